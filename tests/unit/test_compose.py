"""deploy/compose.yaml: valid Compose, and the production layout deploy/README.md describes."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from tests.conftest import ROOT

COMPOSE = ROOT / "deploy" / "compose.yaml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
# The Compose Specification's own schema (source and commit: tests/schemas/README.md).
SCHEMA = ROOT / "tests" / "schemas" / "compose-spec.json"
WEB = ["sopbot", "run", "--no-worker"]
WORKER = ["sopbot", "worker"]
MIGRATE = ["sopbot", "db", "upgrade"]
AFTER_MIGRATE = {"migrate": {"condition": "service_completed_successfully"}}
INTERPOLATION = re.compile(r"\$\{(\w+)(:?[-?][^}]*)?\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def running(command: list[str]) -> list[str]:
    return [name for name, service in services().items() if service.get("command") == command]


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def problems(validator: Draft7Validator, document: dict[str, Any]) -> list[str]:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def test_compose_file_matches_the_compose_specification(validator: Draft7Validator):
    assert problems(validator, compose()) == []


def test_the_schema_refuses_what_compose_would(validator: Draft7Validator):
    misspelt = copy.deepcopy(compose())
    misspelt["services"]["worker"]["comand"] = WORKER
    unknown = copy.deepcopy(compose())
    unknown["services"]["web1"]["depends_on"]["migrate"]["condition"] = "service_done"
    assert problems(validator, misspelt) and problems(validator, unknown)


def test_postgres_keeps_its_data_in_a_named_volume_and_reports_health():
    db = services()["db"]
    assert db["image"].startswith("postgres:")
    volume, _, target = db["volumes"][0].partition(":")
    assert volume in compose()["volumes"] and target == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_migrate_is_a_one_shot_db_upgrade_once_postgres_is_healthy():
    assert running(MIGRATE) == ["migrate"]
    migrate = services()["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}


def test_two_web_processes_and_one_worker_start_only_after_the_migration_succeeded():
    webs, workers = running(WEB), running(WORKER)
    assert (len(webs), len(workers)) == (2, 1)
    for name in [*webs, *workers]:
        assert services()[name]["depends_on"] == AFTER_MIGRATE, name
    # The worker serves no HTTP, so the image's /healthz check would call it unhealthy.
    assert services()[workers[0]]["healthcheck"] == {"disable": True}


def test_every_sopbot_process_runs_the_image_of_deploy_dockerfile_in_http_mode():
    sopbots = running(WEB) + running(WORKER) + running(MIGRATE)
    for name in sopbots:
        service = services()[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}, name
        assert (service["init"], service["env_file"]) == (True, ".env"), name
        assert service["environment"]["SLACK_APP_TOKEN"] == "", name
        assert "@db:5432/" in service["environment"]["DATABASE_URL"], name
    assert set(services()) == {*sopbots, "db", "proxy"}


def test_only_the_proxy_publishes_a_port_and_not_on_every_interface_by_default():
    published = {name: s["ports"] for name, s in services().items() if "ports" in s}
    assert list(published) == ["proxy"]
    assert published["proxy"] == ["${HTTP_BIND:-127.0.0.1}:${HTTP_PORT:-8080}:80"]


def test_no_secret_is_written_in_the_file():
    text = COMPOSE.read_text(encoding="utf-8")
    assert not re.search(r"xox[a-z]-|xapp-|[0-9a-f]{32}", text)
    for name, service in services().items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN", key):
                assert value == "" or INTERPOLATION.fullmatch(value), f"{name}.{key}"
        url = (service.get("environment") or {}).get("DATABASE_URL", "")
        assert not url or "${POSTGRES_PASSWORD:?" in url, name


def env_example() -> dict[str, str]:
    """KEY=value lines of deploy/.env.example, commented-out ones included."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_env_example_has_every_variable_compose_requires_and_no_value_for_them():
    text = COMPOSE.read_text(encoding="utf-8")
    required = {m[1] for m in INTERPOLATION.finditer(text) if (m[2] or "").startswith(":?")}
    example = env_example()
    assert required <= set(example)
    assert {example[name] for name in required} == {""}


def test_env_example_names_only_variables_that_sopbot_or_compose_read():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, re.MULTILINE))
    interpolated = {m[1] for m in INTERPOLATION.finditer(COMPOSE.read_text(encoding="utf-8"))}
    assert set(env_example()) - documented - interpolated == set()
