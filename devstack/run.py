"""``make run``: the whole stack on one machine, from nothing, in one command.

Finds Postgres and Redis (``devstack.services``: URLs, else localhost, else our own under
``.data/``), creates the roles and the database, migrates the control plane, makes sure the demo
tenant exists, then starts gunicorn, a worker and the scheduler (the last two when ``jobs/`` has
them) and prints where everything is. Ctrl-C (or SIGTERM) stops all it started, in reverse order.
A child that exits later (a crash; an outage never makes one exit) is restarted, with a backoff.
Exit code: 0 after a requested stop, 1 when something could not start, 2 when the port is taken.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy.engine import make_url

from devstack.demo import seed_sample_data
from devstack.services import (
    Found,
    ServiceError,
    find_postgres,
    find_redis,
    port_free,
    spawn,
    stop_process,
)

ROOT = Path(__file__).resolve().parent.parent
DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@cleanplane.dev"
DEMO_PASSWORD = "Demo-Cleanplane-2026"
DEMO_COMPANY = "Demo Cleaning Co."
DEV_OPERATOR = "ops:ops-dev-password"
APP_ROLE, OWNER_ROLE, DB_NAME = "cleanplane_app", "cleanplane_owner", "cleanplane"


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop what we started."""


def say(message: str) -> None:
    print(f"make run: {message}", flush=True)


def _raise_stop(signum, frame):
    raise Stop


# ---------------------------------------------------------------------------------- set-up steps
def resolve(env: dict, data_dir: Path, found: Found) -> dict:
    """Decide every URL; start our own services where needed. Returns the children's env."""
    mode = env.get("SERVICES", "auto")
    if env.get("DATABASE_URL"):
        found.admin_url = env.get("DATABASE_ADMIN_URL")
        found.pg_label = "DATABASE_URL"
        app_url = env["DATABASE_URL"]
        owner_url = env.get("DATABASE_OWNER_URL") or app_url
    else:
        if env.get("DATABASE_ADMIN_URL"):
            found.admin_url, found.pg_label = env["DATABASE_ADMIN_URL"], "DATABASE_ADMIN_URL"
        else:
            find_postgres(mode, data_dir, found, env.get("PG_BINARIES", "auto"))
        server = make_url(found.admin_url).set(database=DB_NAME, password=None)
        app_url = server.set(username=APP_ROLE).render_as_string(hide_password=False)
        owner_url = server.set(username=OWNER_ROLE).render_as_string(hide_password=False)
    if env.get("REDIS_URL"):
        redis_url = env["REDIS_URL"]
        found.redis_label = "REDIS_URL"
    else:
        find_redis(mode, data_dir, found)
        redis_url = f"{found.redis_base}/0"
    host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
    metrics_dir = data_dir / "prometheus"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()
    children = dict(env)
    children.update(
        DATABASE_URL=app_url,
        DATABASE_OWNER_URL=owner_url,
        REDIS_URL=redis_url,
        PORT=port,
        TZ="UTC",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    children.setdefault("OPERATOR_BASIC_AUTH", DEV_OPERATOR)
    children.setdefault("STORAGE_DIR", str(data_dir / "storage"))
    children.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
    return children


def start_mail_catcher(children: dict, data_dir: Path):
    """With no SMTP_URL or SendGrid key, catch mail locally (``.data/mail/``, ``/dev/mail``)."""
    if children.get("SMTP_URL") or children.get("SENDGRID_API_KEY"):
        return None
    try:
        from devstack.mailcatcher import MailCatcher  # aiosmtpd is in the dev extra
    except ImportError as exc:
        say(f"no SMTP_URL and no mail catcher ({exc}): mail stays queued")
        return None
    catcher = MailCatcher(data_dir / "mail", say)
    children["SMTP_URL"] = catcher.start()
    children["DEV_MAIL_DIR"] = str(catcher.folder)
    say(f"mail: caught locally by {children['SMTP_URL']}, kept in {catcher.folder}")
    return catcher


def create_database(env: dict, admin_url: str | None) -> None:
    if not admin_url:
        say("no DATABASE_ADMIN_URL: assuming the roles and the database exist")
        return
    done = subprocess.run(
        [sys.executable, "-m", "shared.dbsetup", "--admin-url", admin_url],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise ServiceError(f"creating roles and database failed:\n{done.stdout}{done.stderr}")


def migrate_and_seed(env: dict) -> str:
    """Control-plane migrations, then the demo tenant through the real signup endpoint."""
    from shared.migrations import upgrade_public
    from shared.runtime import Runtime
    from shared.settings import Settings
    from wsgi import create_wsgi

    settings = Settings.from_env(env)
    runtime = Runtime(settings)
    try:
        upgrade_public(runtime.owner_engine)
        from werkzeug.test import Client

        client = Client(create_wsgi(settings, runtime=runtime))
        body = {
            "company_name": DEMO_COMPANY,
            "slug": DEMO_SLUG,
            "email": DEMO_EMAIL,
            "password": DEMO_PASSWORD,
        }
        resp = client.post("/v1/signup", json=body)
        if resp.status_code == 201:
            sample = seed_sample_data(client, DEMO_SLUG, resp.get_json()["access_token"])
            say(f"demo tenant created with sample data: {sample}")
            outcome = "created"
        elif resp.status_code == 409:
            outcome = "already there"
        else:
            raise ServiceError(f"demo signup answered {resp.status_code}: {resp.get_data(True)}")
        login = client.post("/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        if login.status_code != 200:
            outcome += f" (but its login answered {login.status_code}: password changed?)"
        return outcome
    finally:
        runtime.dispose()


def wait_ready(url: str, procs: list[tuple[str, subprocess.Popen]], timeout: float) -> None:
    """Poll ``url`` until 200; any child that exits meanwhile could not start."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        for name, proc in procs:
            if proc.poll() is not None:
                raise ServiceError(f"{name} exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own server
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            last = f"{exc.code}: {exc.read()[:500]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.3)
    raise ServiceError(f"{url} not ready after {timeout:.0f} s (last: {last})")


# ---------------------------------------------------------------------------------- processes
def web_command(env: dict, host: str, port: str) -> list[str]:
    """Gunicorn as ``make run`` starts it (the slow-client drill starts exactly this).

    ``gthread``: an idle or half-sent connection ties up one thread of a pool (or nothing while it
    sends no bytes, since the worker polls), never a whole worker, so slow clients cannot stall
    the site as they did with two sync workers. Production puts nginx in front as well
    (docs/operations.md).
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "wsgi:create_wsgi()",
        "--bind",
        f"{host}:{port}",
        "--workers",
        env.get("WEB_CONCURRENCY", "2"),
        "--worker-class",
        "gthread",
        "--threads",
        env.get("WEB_THREADS", "8"),
        "--timeout",
        "30",
        "--keep-alive",
        "5",
        "--graceful-timeout",
        "10",
        "--no-control-socket",
        "--access-logfile",
        "-",
        "--logger-class",
        "shared.logs.RedactingGunicornLogger",  # token values out of the access log
    ]


def start_processes(env: dict, host: str, port: str) -> list[tuple[str, subprocess.Popen]]:
    py = sys.executable
    procs = [("web", spawn(web_command(env, host, port), env=env, cwd=ROOT))]
    for name, module in (("worker", "jobs.worker"), ("scheduler", "jobs.scheduler")):
        if (ROOT / (module.replace(".", "/") + ".py")).exists():
            procs.append((name, spawn([py, "-m", module], env=env, cwd=ROOT)))
        else:
            say(f"{module} does not exist yet: no {name} started")
    return procs


def banner(env: dict, host: str, port: str, found: Found, demo: str) -> None:
    base = f"http://{host}:{port}"
    operator = env["OPERATOR_BASIC_AUTH"].split(",")[0]
    lines = [
        "",
        "Cleanplane is running. Ctrl-C stops everything started here.",
        f"  Control-plane API docs  {base}/v1/docs",
        f"  Demo tenant API docs    {base}/t/{DEMO_SLUG}/v1/docs",
        f"  RQ dashboard            {base}/ops/rq/   (operator Basic auth {operator})",
        f"  Health / readiness      {base}/healthz  {base}/readyz",
        f"  Booking page (demo)     {base}/t/{DEMO_SLUG}/book",
        *([f"  Mail caught locally     {base}/dev/mail"] if env.get("DEV_MAIL_DIR") else []),
        f"  Demo login ({demo}): {DEMO_EMAIL} / {DEMO_PASSWORD}  (tenant {DEMO_SLUG})",
        f"    curl -s {base}/v1/auth/login -H 'Content-Type: application/json' "
        f'-d \'{{"email": "{DEMO_EMAIL}", "password": "{DEMO_PASSWORD}"}}\'',
        f"  Postgres  {found.pg_label}",
        f"  Redis     {found.redis_label}",
        "",
    ]
    print("\n".join(lines), flush=True)


RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_HEALTHY_AFTER = 60.0  # a child that ran this long gets its quick restart back


def supervise(procs: list[tuple[str, subprocess.Popen]], env: dict | None = None) -> int:
    """Watch the children until Ctrl-C/SIGTERM (raised as ``Stop``); restart one that exits.

    A database or Redis outage must not take the stack down (SPEC §8): the worker and scheduler
    retry their connections themselves, and a child that still exits (gunicorn whose workers
    cannot boot, a crash) is started again with the same command, after a backoff that doubles
    up to 30 s while it keeps failing. ``procs`` is updated in place, so the caller's clean-up
    stops the restarted children too.
    """
    started = {name: time.monotonic() for name, _ in procs}
    delays = {name: RESTART_FIRST_DELAY for name, _ in procs}
    while True:
        for index, (name, proc) in enumerate(procs):
            if proc.poll() is None:
                continue
            if time.monotonic() - started[name] >= RESTART_HEALTHY_AFTER:
                delays[name] = RESTART_FIRST_DELAY
            delay = delays[name]
            say(f"{name} exited with code {proc.returncode}; restarting it in {delay:.0f} s")
            time.sleep(delay)
            procs[index] = (name, spawn(list(proc.args), env=env, cwd=ROOT))
            started[name] = time.monotonic()
            delays[name] = min(delay * 2, RESTART_MAX_DELAY)
        time.sleep(0.5)


def main() -> int:
    env = dict(os.environ)
    data_dir = Path(env.get("DEVSTACK_DATA") or ROOT / ".data").resolve()
    host, port = env.get("HOST", "127.0.0.1"), env.get("PORT", "8000")
    if not port.isdigit() or not port_free(int(port), host):
        say(f"port {port} on {host} is taken (or not a port): stop what uses it or set PORT=...")
        return 2
    found = Found(admin_url=None, redis_base="", pg_label="", redis_label="")
    procs: list[tuple[str, subprocess.Popen]] = []
    catcher = None
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    rc = 0
    try:
        started = time.monotonic()
        children = resolve(env, data_dir, found)
        catcher = start_mail_catcher(children, data_dir)
        say(f"Postgres: {found.pg_label}")
        say(f"Redis: {found.redis_label}")
        create_database(children, found.admin_url)
        demo = migrate_and_seed(children)
        procs = start_processes(children, host, port)
        wait_ready(f"http://{host}:{port}/readyz", procs, float(env.get("READY_TIMEOUT", 60)))
        banner(children, host, port, found, demo)
        say(f"ready in {time.monotonic() - started:.1f} s")
        rc = supervise(procs, children)
    except Stop:
        say("stopping")
    except ServiceError as exc:
        say(str(exc))
        rc = 1
    except Exception:  # report anything else clearly, then clean up
        say("failed:\n" + traceback.format_exc())
        rc = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for name, proc in reversed(procs):
            stop_process(proc, name)
        if catcher is not None:
            catcher.stop()
        found.stop()
        say("everything started here is stopped")
    return rc


if __name__ == "__main__":
    sys.exit(main())
