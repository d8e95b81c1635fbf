"""docker-compose.yml against the Compose spec schema, and every command it runs exists here.

`docker compose` itself is not available on this machine, so this is the CI check of the file:
the schema ships inside check-jsonschema (no network at test time).
"""

from __future__ import annotations

import configparser
import copy
import importlib
import importlib.util
import json
import shlex
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = {"migrate", "web", "worker", "scheduler"}
REQUIRED = APP_SERVICES | {"postgres", "redis", "mailpit", "minio"}


def compose_schema() -> dict:
    path = resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def schema_errors(document: dict) -> list[str]:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_matches_the_compose_spec(compose):
    assert schema_errors(compose) == []


def test_schema_check_rejects_a_misspelt_key(compose):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["comand"] = broken["services"]["web"].pop("command")
    assert any("comand" in error for error in schema_errors(broken))


def test_compose_has_every_service_with_health_checks(compose):
    services = compose["services"]
    assert set(services) >= REQUIRED
    for name in ("postgres", "redis", "web", "mailpit", "minio"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["restart"] == "no"
    for name in APP_SERVICES - {"migrate"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def _check_module(module: str) -> None:
    if module.startswith("jobs.") and importlib.util.find_spec("jobs") is None:
        # jobs/ lands from its own branch; once it is here every jobs.* command is checked too.
        return
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"python -m {module}: no such module"
    source = Path(spec.origin).read_text()
    assert '__name__ == "__main__"' in source, f"python -m {module} has no __main__ block"


def _check_wsgi_target(target: str) -> None:
    module, _, call = target.partition(":")
    assert call.endswith("()"), target
    factory = getattr(importlib.import_module(module), call[:-2], None)
    assert callable(factory), f"{target}: no such factory"


def _check_alembic(args: list[str]) -> None:
    ini = configparser.ConfigParser()
    ini.read(ROOT / "alembic.ini")
    section = args[args.index("-n") + 1] if "-n" in args else "alembic"
    assert (ROOT / ini[section]["script_location"] / "env.py").exists(), section


def check_command(argv: list[str]) -> None:
    """Fail unless ``argv`` runs something this project has (unknown programs fail too)."""
    program, args = argv[0], argv[1:]
    if program == "sh" and args[0] == "-c":
        for part in args[1].split("&&"):
            check_command(shlex.split(part))
    elif program == "python" and args[0] == "-m":
        _check_module(args[1])
    elif program == "python" and args[0] == "-c":
        compile(args[1], "<healthcheck>", "exec")
    elif program == "gunicorn":
        _check_wsgi_target(args[0])
    elif program == "flask":
        _check_wsgi_target(args[args.index("--app") + 1])
    elif program == "alembic":
        _check_alembic(args)
    else:
        raise AssertionError(f"unknown program in an app service: {argv}")


def app_commands(compose: dict) -> list[list[str]]:
    commands = []
    for service in compose["services"].values():
        if "build" not in service:
            continue  # third-party images run their own programs
        commands.append(service["command"])
        test = service.get("healthcheck", {}).get("test")
        if test:
            commands.append(test[1:])  # drop "CMD"
    return commands


def test_every_app_command_exists_in_the_project(compose):
    commands = app_commands(compose)
    assert len(commands) >= len(APP_SERVICES)
    for argv in commands:
        check_command(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["python", "-m", "shared.no_such_module"],
        ["python", "-m", "shared.settings"],  # exists but cannot be run
        ["gunicorn", "wsgi:no_such_factory()"],
        ["alembic", "-n", "no_such_track", "upgrade", "head"],
        ["celery", "worker"],
    ],
)
def test_command_check_rejects_what_does_not_exist(argv):
    with pytest.raises((AssertionError, KeyError)):
        check_command(argv)


def test_dockerfile_builds_the_image_the_app_services_use(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install" in dockerfile
    for name in APP_SERVICES:
        assert compose["services"][name]["build"] == "."


def test_web_sits_behind_a_buffering_nginx_and_runs_threaded_workers(compose):
    """Slow clients (issue 18): nginx buffers whole requests and responses; only it is published;
    gunicorn uses gthread like ``make run``."""
    services = compose["services"]
    assert "ports" not in services["web"], "web must be reached through the proxy only"
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert proxy["ports"] == ["8000:80"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    mount = proxy["volumes"][0].split(":")
    conf = (ROOT / mount[0]).read_text()
    assert mount[1] == "/etc/nginx/conf.d/default.conf"
    for directive in (
        "server web:8000;",
        "proxy_request_buffering on;",
        "proxy_buffering on;",
        "client_body_timeout",
        "client_header_timeout",
        "X-Forwarded-For $proxy_add_x_forwarded_for;",
    ):
        assert directive in conf, directive
    web = services["web"]["command"]
    assert web[web.index("--worker-class") + 1] == "gthread"
    assert int(web[web.index("--threads") + 1]) >= 4
    from devstack.run import web_command

    launched = web_command({}, "127.0.0.1", "8000")
    for flag in ("--worker-class", "--threads", "--timeout", "--keep-alive"):
        assert launched[launched.index(flag) + 1] == web[web.index(flag) + 1], flag


def test_every_web_launcher_loads_the_gunicorn_config_with_the_metrics_hooks(tmp_path, monkeypatch):
    """docs/operations.md: the gunicorn config wipes the multiprocess directory before the first
    worker and drops a dead worker's live gauges (child_exit)."""
    from gunicorn.app.base import Application

    from devstack.run import web_command
    from shared import metrics

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for command in (services["web"]["command"], web_command({}, "127.0.0.1", "8000")):
        assert command[command.index("--config") + 1] == "gunicorn.conf.py"
    assert '"--config", "gunicorn.conf.py"' in dockerfile
    config = Application.get_config_from_filename(None, str(ROOT / "gunicorn.conf.py"))
    assert config["child_exit"] is metrics.gunicorn_child_exit
    assert config["on_starting"] is metrics.gunicorn_on_starting

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_1.db").write_bytes(b"stale")  # an earlier run's file
    config["on_starting"](server=None)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"live")  # a worker's live gauge
    (tmp_path / "counter_4242.db").write_bytes(b"kept")  # counters outlive their worker
    config["child_exit"](server=None, worker=type("Worker", (), {"pid": 4242})())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db"]
