// The playground page: draws the server's HTML fragments and sends what the person does.
// Every fragment is built and escaped on the server (bot/playground/render); this file only
// ever writes server HTML with innerHTML, and anything else with textContent.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const ui = { view: "", tab: "home", thread: "", slug: "" };
  const drawn = {};
  let gen = null;
  let drawnKey = "";
  let clockBase = null;
  let busy = false;
  let again = false;

  function key() {
    return [ui.view, ui.tab, ui.thread, ui.slug].join("|");
  }

  function setHtml(id, html) {
    if (drawn[id] === html) return false;
    drawn[id] = html;
    $(id).innerHTML = html;
    return true;
  }

  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 5000);
  }

  async function api(name, body) {
    const response = await fetch("/play/api/" + name, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Playground": "1" },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({ error: "HTTP " + response.status }));
    if (!response.ok || data.error) {
      toast(data.error || "HTTP " + response.status);
      throw new Error(data.error || "HTTP " + response.status);
    }
    setTimeout(refresh, 50);
    return data;
  }

  async function refresh() {
    if (busy) {
      again = true;  // the answer in flight may be for what the person just left
      return;
    }
    busy = true;
    again = false;
    const asked = key();
    try {
      const params = new URLSearchParams(ui);
      if (drawnKey === asked && gen) params.set("gen", gen);
      const response = await fetch("/play/api/state?" + params.toString());
      const state = await response.json();
      // Drawing an answer for a view the person has since left would take them back to it.
      if (!state.same && asked === key()) draw(state);
      else if (asked !== key()) again = true;
    } catch (err) {
      // The server is restarting or gone; the next poll tries again.
    } finally {
      busy = false;
      if (again) setTimeout(refresh, 0);
    }
  }

  function draw(s) {
    ui.view = s.view;
    if (!s.thread) ui.thread = "";
    gen = s.gen;
    drawnKey = key();
    drawUsers(s);
    clockBase = { at: s.clock.epoch_ms, seen: Date.now(), tz: s.clock.tz };
    tickClock();
    $("to-digest").textContent =
      "To next digest (" + s.clock.digest + ", covers " + s.clock.covers + ")";
    $("to-digest").title = "The digest posts at " + s.clock.digest_zone +
      " and reports on the day before; times here are in " + s.clock.tz + ".";
    setHtml("sidebar", s.sidebar);
    $("title").textContent = s.title;
    $("topic").textContent = s.topic;
    $("tabs").hidden = s.view !== "app";
    document.querySelectorAll(".tab").forEach((t) => {
      t.classList.toggle("active", t.dataset.tab === ui.tab);
    });
    setHtml("banner", s.publish || "");
    const scroll = $("scroll");
    const atBottom = scroll.scrollHeight - scroll.scrollTop - scroll.clientHeight < 40;
    const viewChanged = drawn.mainKey !== s.view + ui.tab;
    drawn.mainKey = s.view + ui.tab;
    if (setHtml("main", s.main) && (atBottom || viewChanged) && !s.main.includes("data-inert")) {
      scroll.scrollTop = scroll.scrollHeight;
    }
    const writable = s.view !== "preview" && !(s.view === "app" && ui.tab === "home");
    $("composer").hidden = !writable;
    $("text").placeholder = "Message " + (s.view === "app" ? "sopbot" : s.title);
    $("thread").hidden = !s.thread;
    if (s.thread) {
      // Like Slack: new replies scroll into view unless the person scrolled up to read.
      const inner = $("thread-inner");
      const atEnd = inner.scrollHeight - inner.scrollTop - inner.clientHeight < 40;
      const opened = drawn.threadKey !== ui.thread;
      drawn.threadKey = ui.thread;
      if (setHtml("thread-inner", s.thread) && (atEnd || opened)) inner.scrollTop = inner.scrollHeight;
    } else {
      drawn.threadKey = "";
    }
    $("overlay").hidden = !s.modal;
    setHtml("modal", s.modal || "");
  }

  function drawUsers(s) {
    const select = $("user");
    const signature = JSON.stringify(s.people);
    if (select.dataset.people !== signature) {
      select.dataset.people = signature;
      select.replaceChildren(...s.people.map((p) => {
        const option = document.createElement("option");
        option.value = p.id;
        option.textContent = p.label;
        return option;
      }));
    }
    select.value = s.me.id;
  }

  function tickClock() {
    if (!clockBase) return;
    const now = new Date(clockBase.at + (Date.now() - clockBase.seen));
    const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit",
      minute: "2-digit", hour12: false, timeZone: clockBase.tz };
    $("clock").textContent =
      now.toLocaleString("en-GB", options) + " " + clockBase.tz + " (your Slack time zone)";
  }

  function openView(view) {
    ui.view = view;
    ui.thread = "";
    if (view === "app") {
      ui.tab = "home";
      api("home").catch(() => {});
    }
    refresh();
  }

  // -- what a click or a choice refers to ------------------------------------------------------

  function target(el) {
    const holder = el.closest("[data-source]");
    const info = el.closest("[data-action-id]") || el;
    return {
      source: holder ? holder.dataset.source : "",
      action_id: info.dataset.actionId,
      block_id: info.dataset.blockId || null,
    };
  }

  function inModal(el) {
    return el.closest(".modal");
  }

  function press(button) {
    const body = { ...target(button), value: button.dataset.value ?? null };
    const modal = inModal(button);
    if (modal) body.values = collect(modal);
    api("click", body).catch(() => {});
  }

  function choose(el, value, query) {
    const body = { ...target(el), value };
    if (query !== undefined) body.query = query;
    api("select", body).catch(() => {});
  }

  function valueOf(el) {
    const kind = el.dataset.kind;
    if (kind === "external_select") return el.dataset.chosen ? JSON.parse(el.dataset.chosen) : null;
    if (kind === "checkboxes") {
      return [...el.querySelectorAll("input:checked")].map((i) => i.value);
    }
    if (kind === "radio_buttons") {
      const picked = el.querySelector("input:checked");
      return picked ? picked.value : null;
    }
    if (el.multiple) return [...el.selectedOptions].map((o) => o.value).filter(Boolean);
    return el.value === "" ? null : el.value;
  }

  function collect(modal) {
    const values = {};
    modal.querySelectorAll("[data-input][data-kind]").forEach((el) => {
      values[el.dataset.blockId] = valueOf(el);
    });
    return values;
  }

  function missing(modal) {
    let empty = false;
    modal.querySelectorAll(".b-input").forEach((block) => {
      const el = block.querySelector("[data-input]");
      const value = el ? valueOf(el) : null;
      const blank = value === null || (Array.isArray(value) && value.length === 0);
      block.querySelectorAll(".in-required").forEach((n) => n.remove());
      if (blank && !block.dataset.optional) {
        empty = true;
        const note = document.createElement("div");
        note.className = "in-error in-required";
        note.textContent = "Please complete this required field.";
        block.appendChild(note);
      }
    });
    return empty;
  }

  function confirmFirst(button, dialog) {
    $("confirm-box").innerHTML = dialog.innerHTML;
    $("confirm-overlay").hidden = false;
    $("confirm-box").querySelector(".confirm-ok").onclick = () => {
      $("confirm-overlay").hidden = true;
      press(button);
    };
    $("confirm-box").querySelector(".confirm-deny").onclick = () => {
      $("confirm-overlay").hidden = true;
    };
  }

  // -- external selects: the app suggests options as the person types ----------------------------

  async function suggest(box, input) {
    const found = await api("suggest", { ...target(box), query: input.value }).catch(() => null);
    const list = box.querySelector(".ext-options");
    list.replaceChildren(...(found ? found.options : []).map((o) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "ext-option";
      item.textContent = o.label;
      item.onclick = () => {
        list.hidden = true;
        input.value = o.label;
        if (box.dataset.input) box.dataset.chosen = JSON.stringify(o.option);
        if (!box.dataset.input || box.dataset.dispatch) choose(box, o.option.value, input.value);
      };
      return item;
    }));
    list.hidden = !found || found.options.length === 0;
  }

  // -- events ----------------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const el = event.target;
    const inert = el.closest("[data-inert]");
    const side = el.closest(".side-item");
    if (side) return openView(side.dataset.view);
    const tab = el.closest("[data-tab]");
    if (tab) {
      ui.tab = tab.dataset.tab;
      if (ui.tab === "home") api("home").catch(() => {});
      return refresh();
    }
    const replies = el.closest("[data-thread]");
    if (replies) {
      ui.thread = replies.dataset.thread;
      return refresh();
    }
    if (el.closest("[data-close-thread]")) {
      ui.thread = "";
      return refresh();
    }
    const advance = el.closest("[data-advance]");
    if (advance) {
      const how = advance.dataset.advance;
      const body = how === "digest" ? { to: "digest" } : { seconds: Number(how) };
      return api("advance", body).then((answer) => {
        const covers = answer.covers ? " The digest in #ops-managers covers " +
          new Date(answer.covers + "T12:00:00Z").toLocaleDateString("en-GB",
            { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }) + "." : "";
        toast("Clock moved; due jobs ran." + covers);
      }).catch(() => {});
    }
    const modal = inModal(el);
    if (modal && el.closest("[data-close]")) {
      return api("close", { view_id: modal.dataset.viewId }).catch(() => {});
    }
    if (modal && el.closest("[data-submit]")) {
      if (missing(modal)) return;
      return api("submit", { view_id: modal.dataset.viewId, values: collect(modal) }).catch(() => {});
    }
    if (inert) return;
    const overflow = el.closest(".btn-overflow");
    if (overflow) {
      const menu = overflow.parentElement.querySelector(".menu");
      menu.hidden = !menu.hidden;
      return;
    }
    const item = el.closest(".menu-item");
    if (item) {
      item.closest(".menu").hidden = true;
      return choose(item.closest(".overflow"), item.dataset.optionValue);
    }
    const button = el.closest('button[data-kind="button"]');
    if (button) {
      const dialog = button.nextElementSibling;
      if (dialog && dialog.classList.contains("confirm")) return confirmFirst(button, dialog);
      return press(button);
    }
  });

  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.id === "user") {
      ui.thread = "";
      return api("user", { user: el.value }).then(() => {
        if (ui.view === "app" && ui.tab === "home") api("home").catch(() => {});
      }).catch(() => {});
    }
    if (el.matches("[data-preview-pick]")) {
      ui.slug = el.value;
      return refresh();
    }
    const holder = el.closest("[data-kind]");
    if (!holder || el.closest("[data-inert]")) return;
    if (holder.dataset.input && !holder.dataset.dispatch) return;  // sent with the form
    if (holder.matches("select") || holder.matches(".choices")) choose(holder, valueOf(holder));
  });

  let typing = null;
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.classList.contains("ext-input")) return;
    clearTimeout(typing);
    typing = setTimeout(() => suggest(input.closest(".ext"), input), 200);
  });
  document.addEventListener("focusin", (event) => {
    const input = event.target;
    if (input.classList && input.classList.contains("ext-input")) {
      suggest(input.closest(".ext"), input);
    }
  });

  function composer(form, textarea, threadOf) {
    const send = () => {
      const text = textarea.value;
      if (!text.trim()) return;
      api("send", { view: ui.view, text, thread_ts: threadOf() })
        .then(() => { textarea.value = ""; })
        .catch(() => {});
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        send();
      }
    });
  }

  // An image (a chart) that loads after its message was drawn keeps a list scrolled to its end.
  document.addEventListener("load", (event) => {
    const box = event.target.tagName === "IMG" && event.target.closest("#scroll, #thread-inner");
    if (box && box.scrollHeight - box.scrollTop - box.clientHeight < event.target.height + 80) {
      box.scrollTop = box.scrollHeight;
    }
  }, true);

  composer($("composer"), $("text"), () => null);
  composer($("thread-composer"), $("thread-text"), () => ui.thread);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("confirm-overlay").hidden) $("confirm-overlay").hidden = true;
  });
  setInterval(refresh, 500);
  setInterval(tickClock, 1000);
  refresh();
})();
