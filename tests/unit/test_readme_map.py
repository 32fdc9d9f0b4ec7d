"""README's Development map names every folder of bot/ and everything in bot/slack."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def development_map() -> str:
    """The first code block under README's `## Development`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Development\n", 1)[1]
    return section.split("```", 2)[1]


def named(tree: str) -> set[str]:
    """Every `name.py` and `name/` the map shows."""
    return set(re.findall(r"(?<![\w/.])(\w+(?:\.py|/))", tree))


def entries(folder: Path, *, only_packages: bool = False) -> set[str]:
    """A folder's modules (`x.py`) and packages (`x/`), as the map writes them."""
    found = set()
    for path in folder.iterdir():
        if path.is_dir() and (path / "__init__.py").exists():
            found.add(f"{path.name}/")
        elif path.suffix == ".py" and path.name != "__init__.py" and not only_packages:
            found.add(path.name)
    return found


def test_every_slack_module_and_folder_is_in_the_development_map():
    missing = entries(ROOT / "bot" / "slack") - named(development_map())
    assert not missing, f"README's Development map does not say what these own: {sorted(missing)}"


def test_every_package_of_bot_is_in_the_development_map():
    missing = entries(ROOT / "bot", only_packages=True) - named(development_map())
    assert not missing, f"README's Development map does not say what these own: {sorted(missing)}"
