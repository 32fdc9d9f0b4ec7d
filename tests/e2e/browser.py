"""Headless Chromium driven by Selenium, with the moves a person makes on the playground page."""

from __future__ import annotations

import importlib.util
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
T = TypeVar("T")


def missing() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]')"
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists() and shutil.which(binary.name) is None:
            return f"{binary} is missing (apt-get install -y chromium chromium-driver)"
    return None


def _binary(path: Path) -> str:
    return str(path) if path.exists() else str(shutil.which(path.name))


class Page:
    """One browser tab on the playground: find, wait, type, click, and save screenshots."""

    def __init__(self, profile: Path, *, width: int = 1400, height: int = 900) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--window-size={width},{height}")
        options.add_argument(f"--user-data-dir={profile}")  # a fresh profile per run
        options.binary_location = _binary(CHROMIUM)
        self.driver = webdriver.Chrome(service=Service(_binary(CHROMEDRIVER)), options=options)

    def close(self) -> None:
        self.driver.quit()

    def open(self, url: str) -> None:
        self.driver.get(url)
        self.wait(lambda: self.css("#sidebar .side-item"), what="the sidebar")

    def wait(self, predicate: Callable[[], T], *, timeout: float = 10.0, what: str = "it") -> T:
        """Poll `predicate` until it is truthy (Selenium's wait, which retries stale elements)."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        wait = WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.1,
            ignored_exceptions=[StaleElementReferenceException],
        )
        return wait.until(lambda _: predicate(), message=f"waited {timeout}s for {what}")

    def css(self, selector: str, within: Any = None) -> list[Any]:
        from selenium.webdriver.common.by import By

        return (within or self.driver).find_elements(By.CSS_SELECTOR, selector)

    def one(self, selector: str, *, what: str | None = None) -> Any:
        return self.wait(lambda: (self.css(selector) or [None])[0], what=what or selector)

    def button(self, label: str, *, within: str = "body", timeout: float = 10.0) -> Any:
        """The last visible button whose text is exactly `label`, inside `within`."""

        def find() -> Any:
            found = [
                b
                for area in self.css(within)
                for b in self.css("button", area)
                if b.is_displayed() and b.text.strip() == label
            ]
            return found[-1] if found else None

        return self.wait(find, timeout=timeout, what=f"a {label!r} button in {within}")

    def text_of(self, selector: str) -> str:
        return " ".join(e.text for e in self.css(selector))

    def wait_text(self, selector: str, text: str, *, timeout: float = 10.0) -> str:
        return self.wait(
            lambda: text in (t := self.text_of(selector)) and t, timeout=timeout, what=f"{text!r}"
        )

    def type(self, selector: str, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.one(selector)
        box.clear()
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def side_item(self, label: str) -> Any:
        """The sidebar entry whose label is `label` (`support`, `sopbot`, `SOP preview`)."""
        return next((e for e in self.css(".side-item") if e.text.strip().endswith(label)), None)

    def open_view(self, label: str) -> None:
        """Click a sidebar entry until the page shows it.

        Again after a second without it: a click that lands while the page redraws its sidebar
        (after a change of person, say) goes to the entry being replaced, which never opens.
        """
        clicked: list[float] = []

        def opened() -> bool:
            item = self.side_item(label)
            if item is None:
                return False
            if clicked and "active" in (item.get_attribute("class") or ""):
                return True
            if not clicked or time.monotonic() - clicked[-1] > 1.0:
                item.click()
                clicked.append(time.monotonic())
            return False

        self.wait(opened, what=f"{label} to open")

    def choose(self, selector: str, visible_text: str) -> None:
        """Pick an option, again if the page redrew the select in between (a stale element)."""
        from selenium.webdriver.support.ui import Select

        def pick() -> bool:
            Select(self.one(selector)).select_by_visible_text(visible_text)
            return True

        self.wait(pick, what=f"{visible_text!r} in {selector}")

    def shot(self, folder: Path, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def errors(self) -> list[str]:
        """Severe console messages (a script error on the page, say)."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
