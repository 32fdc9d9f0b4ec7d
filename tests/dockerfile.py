"""deploy/Dockerfile as Docker reads it: stages, their instructions, COPY sources, HEALTHCHECK.

Shared by tests/unit/test_dockerfile.py and scripts/check-image, which runs
`python -m tests.dockerfile context|healthcheck` to do outside Docker what the image does.
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case) and its arguments as written."""

    keyword: str
    value: str


@dataclass(frozen=True)
class Stage:
    """A FROM and what follows it up to the next FROM."""

    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[str]:
        """The values of every `keyword` instruction in this stage."""
        return [i.value for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> str | None:
        """The value of the last `keyword` instruction (the one Docker applies), if any."""
        values = self.all(keyword)
        return values[-1] if values else None


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    """The Dockerfile's stages, in order."""
    parser = DockerfileParser(path=str(path), env_replace=False)
    found: list[tuple[str, str | None, list[Instruction]]] = []
    for item in parser.structure:
        keyword, value = item["instruction"].upper(), item["value"]
        if keyword == "FROM":
            words = value.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append((words[0], name, []))
        elif keyword != "COMMENT" and found:
            found[-1][2].append(Instruction(keyword, value))
    return [Stage(base, name, tuple(instructions)) for base, name, instructions in found]


def copy_sources(stage: Stage) -> list[str]:
    """What the stage's COPY instructions take from the build context (not from a stage)."""
    sources: list[str] = []
    for value in stage.all("COPY"):
        words = shlex.split(value)
        if any(word.startswith("--from=") for word in words):
            continue
        sources += [word for word in words if not word.startswith("--")][:-1]
    return sources


def healthcheck_argv(stage: Stage) -> list[str]:
    """The HEALTHCHECK command in exec form (a JSON array after CMD)."""
    value = stage.last("HEALTHCHECK") or ""
    _, _, command = value.partition("CMD")
    argv = json.loads(command)
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), value
    return argv


def main(argv: list[str]) -> int:
    """`context`: the build context paths, one a line; `healthcheck`: its argv as JSON."""
    found = stages()
    if argv == ["context"]:
        print("\n".join(source for stage in found for source in copy_sources(stage)))
    elif argv == ["healthcheck"]:
        print(json.dumps(healthcheck_argv(found[-1])))
    else:
        print("usage: python -m tests.dockerfile context|healthcheck", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
