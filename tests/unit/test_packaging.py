"""The sdist and the wheel carry everything sopbot reads at run time, and work installed."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import sysconfig
import tarfile
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import migrate
from tests.conftest import ROOT
from tests.e2e.test_sopbot_run import free_port

STARTUP_TIMEOUT = 30
# Folders of the checkout and where the wheel puts them (pyproject.toml maps the last two).
SHIPPED = {"bot": "bot", "migrations": "bot/_migrations", "sops": "bot/_sample_sops"}


def checkout_files(folder: str) -> set[str]:
    """Every file under ROOT/folder (bytecode caches aside), relative to ROOT/folder."""
    root = ROOT / folder
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


# What a build must not see: setuptools adds every file named in a stale egg-info's SOURCES.txt
# (and a stale build/ to a wheel built in place), which would hide a file the config leaves out.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "build", "dist", "__pycache__", "*.pyc", "*_cache", "*.db"
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build` of a clean copy of this checkout: an sdist, and a wheel built from it."""
    source = tmp_path_factory.mktemp("source") / "sopbot"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    out = tmp_path_factory.mktemp("dist")
    # No isolation: this environment's setuptools builds it, so the test needs no package index.
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out


@pytest.fixture(scope="module")
def wheel_names(dist: Path) -> set[str]:
    (wheel,) = dist.glob("sopbot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def site(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip installs it (not editable), to put on PYTHONPATH."""
    (wheel,) = dist.glob("sopbot-*.whl")
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def installed(site: Path, **extra: str) -> dict[str, str]:
    """An environment that imports sopbot from `site`, its dependencies from this environment."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_URL", "SOPS_DIR", "PORT", "PYTHONPATH"))
    }
    paths = dict.fromkeys([str(site), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    return {**keep, "PYTHONPATH": os.pathsep.join(paths), **extra}


# -S: no site-packages .pth files, so the checkout's editable install cannot stand in for the
# wheel (its import hook would supply any package the wheel lacks from the checkout).
PYTHON = [sys.executable, "-S"]


def test_the_wheel_holds_every_module_migration_static_file_and_sample_sop(wheel_names: set[str]):
    expected = {
        f"{target}/{name}" for folder, target in SHIPPED.items() for name in checkout_files(folder)
    }
    # Guards against an empty expectation passing vacuously.
    assert {
        "bot/_migrations/env.py",
        "bot/_migrations/script.py.mako",
        "bot/playground/static/index.html",
        "bot/_sample_sops/support/refund-request.md",
    } <= expected
    versions = {
        f"bot/_migrations/versions/{p.name}" for p in (ROOT / "migrations/versions").glob("*.py")
    }
    assert versions and versions <= expected
    missing = sorted(expected - wheel_names)
    assert not missing, f"not in the wheel (list it in pyproject.toml): {missing}"
    tops = {name.split("/")[0] for name in wheel_names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"bot"}
    assert not [name for name in wheel_names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_sdist_holds_the_checkout_that_builds_the_wheel(dist: Path):
    (sdist,) = dist.glob("sopbot-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {f"{folder}/{name}" for folder in SHIPPED for name in checkout_files(folder)}
    expected |= {"README.md", "pyproject.toml", "alembic.ini", "migrations/env.py"}
    missing = sorted(expected - names)
    assert not missing, f"not in the sdist (see MANIFEST.in): {missing}"


PROBE = """
import json, sys
from pathlib import Path
import bot
from bot.cli.play_cmd import copy_sample_sops
from bot.db import migrate
copy = copy_sample_sops(Path(sys.argv[1]))
print(json.dumps({
    "bot": bot.__file__,
    "migrations": str(migrate.migrations_dir()),
    "head": migrate.head_revision(),
    "samples": sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()),
}))
"""


def test_an_installed_wheel_migrates_from_its_own_copy_of_the_migrations(
    site: Path, tmp_path: Path
):
    probe = subprocess.run(
        [*PYTHON, "-c", PROBE, str(tmp_path / "scratch")],
        cwd=tmp_path,
        env=installed(site),
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["bot"]).is_relative_to(site)
    assert Path(found["migrations"]) == site / "bot" / "_migrations"
    assert found["head"] == migrate.head_revision()
    assert found["samples"] == sorted(n for n in checkout_files("sops") if n.endswith(".md"))

    upgrade = subprocess.run(
        [*PYTHON, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env=installed(site, DATABASE_URL=f"sqlite:///{tmp_path / 'sopbot.db'}"),
        capture_output=True,
        text=True,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stdout.strip() == f"database upgraded to {found['head']} (sqlite)"


@pytest.fixture
def play_in_empty_folder(site: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """`python -m bot play` from the unpacked wheel, in a folder without sops/."""
    port = free_port()
    process = subprocess.Popen(
        # --empty: what is checked here is the package; the month of history has its own tests.
        [*PYTHON, "-m", "bot", "play", "--empty"],
        cwd=tmp_path,
        env=installed(site, PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout or ():
            lines.put(line)
        lines.put("")  # end of output: the process is gone, so stop waiting at once

    threading.Thread(target=read, daemon=True).start()
    try:
        try:
            first = lines.get(timeout=STARTUP_TIMEOUT).strip()
        except queue.Empty:
            first = ""
        if first != f"Playground: http://127.0.0.1:{port}/":
            process.kill()
            raise AssertionError(f"printed {first!r}; stderr: {process.communicate()[1]}")
        yield process, first.removeprefix("Playground: ").rstrip("/")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_play_from_an_installed_wheel_without_sops_serves_a_copy_of_the_samples(
    play_in_empty_folder: tuple[subprocess.Popen, str], tmp_path: Path
):
    process, url = play_in_empty_folder
    with urllib.request.urlopen(f"{url}/", timeout=10) as response:
        assert response.status == 200 and b"sopbot playground" in response.read()
    with urllib.request.urlopen(f"{url}/play/static/play.js", timeout=10) as response:
        assert response.status == 200
    with urllib.request.urlopen(f"{url}/play/api/state?view=preview", timeout=10) as response:
        preview = json.load(response)["main"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    assert "Handle a refund request" in preview and "No SOP is published" not in preview
    said = process.stderr.read()
    assert "sops is not a folder; the playground uses a copy of the sample SOPs in" in said
    assert "Traceback" not in said
    assert not (tmp_path / "sops").exists()  # the copy lived in the playground's scratch folder


def test_a_missing_migrations_package_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(migrate, "MIGRATIONS_PACKAGE", "bot._no_such_package")
    with pytest.raises(
        RuntimeError, match=r"reinstall sopbot \(in a checkout: pip install -e \.\)"
    ):
        migrate.migrations_dir()
