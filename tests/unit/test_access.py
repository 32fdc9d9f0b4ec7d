"""The outsider policy and the workspace check, with a stand-in for Slack's answers."""

from __future__ import annotations

import pytest

from bot.core.model import Sop, Step
from bot.services.access import Viewer, may_see, refused, same_install, visible

STAFF = Viewer("U1")
GUEST = Viewer("UGUEST", external=True, reason="guest")


class Audiences:
    """Slack's answers about people, and the questions asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.channels = {"support": {"U1", "UGUEST"}, "ops": {"U1"}}
        self.groups = {"contractors": {"UGUEST"}}
        self.emails = {"UGUEST": "Gina@Contractor.example"}

    def email_of(self, user_id: str) -> str | None:
        self.asked.append(f"email {user_id}")
        return self.emails.get(user_id)

    def in_channel(self, name: str, user_id: str) -> bool:
        self.asked.append(f"#{name}")
        return user_id in self.channels.get(name, set())

    def in_group(self, handle: str, user_id: str) -> bool:
        self.asked.append(f"@{handle}")
        return user_id in self.groups.get(handle, set())


class Entry:
    """A catalog entry as the rule sees it."""

    def __init__(self, slug: str, *audience: str) -> None:
        self.slug = slug
        self.sop = Sop(
            slug=slug, title=slug, steps=(Step(number=1, title="Do it"),), audience=audience
        )


ENTRIES = [
    Entry("by-channel", "#support"),
    Entry("by-other-channel", "#ops"),
    Entry("by-group", "@contractors"),
    Entry("by-id", "#ops", "UGUEST"),
    Entry("by-email", "gina@contractor.example"),
    Entry("nobody", "@managers", "#general"),
    Entry("no-audience"),
]


def slugs(entries) -> list[str]:
    return [e.slug for e in entries]


def test_staff_see_everything_without_a_question_asked():
    audiences = Audiences()
    for policy in ("deny", "listed", "allow"):
        assert visible(ENTRIES, viewer=STAFF, policy=policy, audiences=audiences) == tuple(ENTRIES)
    assert audiences.asked == []


def test_listed_shows_an_outsider_only_the_sops_whose_audience_names_them():
    shown = visible(ENTRIES, viewer=GUEST, policy="listed", audiences=Audiences())
    assert slugs(shown) == ["by-channel", "by-group", "by-id", "by-email"]


def test_a_user_id_in_the_audience_is_matched_before_any_question():
    audiences = Audiences()
    assert may_see(ENTRIES[3].sop, viewer=GUEST, policy="listed", audiences=audiences)
    assert audiences.asked == []


def test_deny_shows_nothing_and_allow_everything():
    audiences = Audiences()
    assert visible(ENTRIES, viewer=GUEST, policy="deny", audiences=audiences) == ()
    assert slugs(visible(ENTRIES, viewer=GUEST, policy="allow", audiences=audiences)) == slugs(
        ENTRIES
    )
    assert audiences.asked == []
    assert refused(GUEST, "deny") and not refused(GUEST, "listed") and not refused(STAFF, "deny")


def test_an_outsider_without_an_email_is_not_matched_by_one():
    audiences = Audiences()
    audiences.emails.clear()
    assert not may_see(ENTRIES[4].sop, viewer=GUEST, policy="listed", audiences=audiences)


@pytest.mark.parametrize(
    ("installed", "sent", "ours"),
    [
        (("T1", None), ("T1", None), True),
        (("T1", None), ("T2", None), False),
        (("T1", None), (None, None), False),  # no workspace named: not ours
        (("T1", "E1"), ("T1", "E1"), True),
        (("T1", "E1"), ("T1", None), True),  # events of some kinds name no organisation
        (("T1", "E1"), ("T1", "E2"), False),
        (("T1", None), ("T1", "E9"), False),
        ((None, "E1"), (None, "E1"), True),  # an organisation-wide install
        ((None, "E1"), ("T5", "E1"), True),
        ((None, "E1"), ("T5", "E2"), False),
    ],
)
def test_same_install(installed, sent, ours):
    assert (
        same_install(
            installed_team=installed[0],
            installed_enterprise=installed[1],
            team=sent[0],
            enterprise=sent[1],
        )
        is ours
    )
