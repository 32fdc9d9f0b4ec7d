"""The SOP as sopbot understands it: plain, immutable values parsed from one Markdown file."""

from __future__ import annotations

import dataclasses
import functools
import reprlib
from dataclasses import dataclass, field
from typing import Any, Literal

Retrain = Literal["auto", "always", "never"]
RETRAIN_CHOICES: tuple[str, ...] = ("auto", "always", "never")
DEFAULT_PASS_MARK = 80


# A hostile file can hold huge or deeply nested values: an error quotes a bounded preview.
MAX_QUOTED = 80
_PREVIEW = reprlib.Repr()  # keyword arguments need Python 3.12
_PREVIEW.maxlevel, _PREVIEW.maxstring, _PREVIEW.maxother = 2, 60, 60
_PREVIEW.maxdict = _PREVIEW.maxlist = _PREVIEW.maxtuple = _PREVIEW.maxset = 4


def quoted(value: object) -> str:
    """`value` as repr() would show it, cut to MAX_QUOTED characters for an error message."""
    shown = _PREVIEW.repr(value)
    return shown if len(shown) <= MAX_QUOTED else shown[: MAX_QUOTED - 1] + "…"


@dataclass(frozen=True)
class Role:
    """A part in the play: who is responsible for which steps."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class Step:
    """One step of the procedure; `number` is 1-based, `body` is Markdown without the Role line."""

    number: int
    title: str
    body: str = ""
    role: str | None = None
    scripts: tuple[str, ...] = ()
    checklist: tuple[str, ...] = ()
    line: int = 0
    expected_seconds: int | None = None  # `Time: 5m` under the step heading


@dataclass(frozen=True)
class Option:
    """One answer to a quiz question."""

    text: str
    correct: bool


@dataclass(frozen=True)
class Question:
    """A quiz question, optionally tied to a step number."""

    number: int
    text: str
    options: tuple[Option, ...]
    explanation: str = ""
    step: int | None = None
    line: int = 0


@dataclass(frozen=True)
class Sop:
    """A parsed SOP file."""

    slug: str
    title: str
    steps: tuple[Step, ...]
    path: str = ""
    owner: str | None = None
    audience: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    review_every_days: int | None = None
    pass_mark: int = DEFAULT_PASS_MARK
    retrain: str = "auto"
    background: str = ""
    roles: tuple[Role, ...] = ()
    outcome: str = ""
    quiz: tuple[Question, ...] = field(default=())
    # `cast:` (bot/core/cast.py): (role, entries) pairs; empty for a one-person SOP.
    cast: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Scheduled runs and the SOP's own managers channel (bot/core/schedule.py).
    schedule: tuple[str, ...] = ()
    timezone: str | None = None
    due_minutes: int = 60
    managers: str | None = None

    def step(self, number: int) -> Step:
        """Return step `number` (1-based)."""
        return self.steps[number - 1]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (for storing a revision's parsed content)."""
        d = _plain(self)
        # Left out when unused, so an SOP without them keeps its stored content and fingerprint.
        for key, unused in _UNUSED.items():
            if d[key] == unused:
                del d[key]
        for step in d["steps"]:
            if step["expected_seconds"] is None:
                del step["expected_seconds"]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sop:
        """Rebuild a Sop from `to_dict` output."""
        d = dict(data)
        d.pop("parsed_by", None)  # bot/core/parse.parsed_by, stored beside the content
        d["steps"] = tuple(
            Step(**{**s, "scripts": tuple(s["scripts"]), "checklist": tuple(s["checklist"])})
            for s in d["steps"]
        )
        d["roles"] = tuple(Role(**r) for r in d.get("roles", ()))
        d["quiz"] = tuple(
            Question(**{**q, "options": tuple(Option(**o) for o in q["options"])})
            for q in d.get("quiz", ())
        )
        for key in ("audience", "tags", "schedule"):
            d[key] = tuple(d.get(key, ()))
        d["cast"] = tuple((role, tuple(entries)) for role, entries in d.get("cast", ()))
        return cls(**d)


_UNUSED: dict[str, Any] = {
    "cast": (),
    "schedule": (),
    "timezone": None,
    "due_minutes": 60,
    "managers": None,
}


@dataclass(frozen=True)
class SopError:
    """A problem in an SOP file, reported as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _plain(value: Any) -> Any:
    """What dataclasses.asdict makes of these immutable values, without its deep copies."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, tuple | list):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value  # str, int, bool, None: asdict's deepcopy returns these unchanged
