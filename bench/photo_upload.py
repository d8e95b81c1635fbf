"""Photo upload bench (issue 8): throughput of 1 MiB photos to ``local`` and to a local S3 server.

Runs in a database of its own (dropped at the end) with a private Redis db index, a temporary
storage directory and moto's S3 server on a free port. Two figures per backend:

- **backend put**: ``Storage.put`` of a 1 MiB PNG, back to back (the storage layer alone:
  circuit breaker + atomic file write, or boto3 ``PutObject`` to moto);
- **HTTP upload**: ``POST /t/<slug>/v1/admin/bookings/{id}/photos`` through the WSGI dispatcher
  in-process (werkzeug client): auth, consent check, streamed multipart parse with magic-byte check
  and SHA-256, the put, then the entitlement update and row insert in one transaction.

Each prints uploads/s, MiB/s and p50/p95 latency, and the run writes JSON and the
``## Photo upload`` section of docs/benchmarks.md (other sections are kept).

    .venv/bin/python bench/photo_upload.py            # 200 uploads per figure
    .venv/bin/python bench/photo_upload.py --quick    # 40 uploads per figure
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import statistics
import struct
import sys
import tempfile
import time
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from bench.docs import replace_section  # noqa: E402
from shared.dbsetup import drop_database, setup_database  # noqa: E402
from shared.migrations import upgrade_public  # noqa: E402
from shared.runtime import Runtime, use_runtime  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.storage import build_storage, set_storage  # noqa: E402
from tests.support import claim_redis_db, release_redis_db  # noqa: E402

ADMIN_URL = os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
RESULTS = ROOT / "bench" / "results" / "photo_upload.json"
SECTION = "## Photo upload"
MIB = 1024 * 1024


def png_of(size: int) -> bytes:
    """A valid 1×1 PNG padded to ``size`` bytes (the type check reads the signature)."""
    body = b"\x89PNG\r\n\x1a\n"
    for tag, data in (
        (b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)),
        (b"IDAT", zlib.compress(b"\x00\xff\x00\x00")),
        (b"IEND", b""),
    ):
        body += struct.pack(">I", len(data)) + tag + data
        body += struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    return body + os.urandom(size - len(body))


def summary(samples_ms: list[float], size: int) -> dict:
    total_s = sum(samples_ms) / 1000
    ordered = sorted(samples_ms)
    return {
        "uploads": len(samples_ms),
        "uploads_per_s": round(len(samples_ms) / total_s, 1),
        "mib_per_s": round(len(samples_ms) * size / MIB / total_s, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
    }


def bench_put(storage, n: int, data: bytes) -> list[float]:
    prefix = f"tenants/{uuid.uuid4()}/bench"
    samples = []
    for i in range(n):
        started = time.perf_counter()
        storage.put(f"{prefix}/{i}.png", data, "image/png")
        samples.append((time.perf_counter() - started) * 1000)
    storage.delete_prefix(prefix + "/")
    return samples


def _tenant_with_booking(client, rt) -> tuple[str, dict, int]:
    from zoneinfo import ZoneInfo

    from shared.models.tenants import Tenant

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    resp = client.post(
        "/v1/signup",
        json={
            "company_name": "Bench Photos",
            "slug": slug,
            "email": f"{slug}@bench.example.com",
            "password": "Bench-Password-2026",
        },
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    with rt.owner_engine.begin() as conn:  # room for every upload of the run
        conn.execute(
            update(Tenant)
            .where(Tenant.id == uuid.UUID(body["tenant"]["id"]))
            .values(plan_code="business")
        )
    rt.tenants.bump(body["tenant"]["id"])
    lead = client.post(
        f"/t/{slug}/v1/leads",
        json={
            "name": "Bench Customer",
            "phone": "+1 403 555 0100",
            "email": "customer@bench.example.com",
            "estimate_request": {"beds": 2, "baths": 1},
        },
    ).get_json()
    day = datetime.now(ZoneInfo("America/Edmonton")).date() + timedelta(days=14)
    while day.weekday() != 0:
        day += timedelta(days=1)
    booking = client.post(
        f"/t/{slug}/v1/bookings",
        json={"lead_id": lead["lead_id"], "starts_at": f"{day}T09:00:00", "photo_consent": True},
    )
    assert booking.status_code == 201, booking.get_data(as_text=True)
    return slug, headers, booking.get_json()["id"]


def bench_http(client, slug: str, headers: dict, booking_id: int, n: int, data: bytes) -> list:
    from werkzeug.test import EnvironBuilder

    url = f"/t/{slug}/v1/admin/bookings/{booking_id}/photos"
    # encoded once: the figure is the server's work, not the test client's multipart encoder
    env = EnvironBuilder(
        method="POST", data={"phase": "BEFORE", "file": (io.BytesIO(data), "p.png", "image/png")}
    ).get_environ()
    body, content_type = env["wsgi.input"].read(), env["CONTENT_TYPE"]
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        resp = client.post(url, data=body, headers=headers, content_type=content_type)
        samples.append((time.perf_counter() - started) * 1000)
        if resp.status_code != 201:
            raise RuntimeError(f"upload failed: {resp.status_code} {resp.get_data(as_text=True)}")
    return samples


def run(n: int) -> dict:
    from moto.server import ThreadedMotoServer
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from wsgi import create_wsgi

    dbname = f"cleanplane_bench_{uuid.uuid4().hex[:10]}"
    host = make_url(ADMIN_URL).set(database=dbname)
    app_url = host.set(username="cleanplane_bench_app", password=None)
    owner_url = host.set(username="cleanplane_bench_owner", password=None)
    app_url, owner_url = (u.render_as_string(hide_password=False) for u in (app_url, owner_url))
    setup_database(ADMIN_URL, app_url, owner_url)
    redis_index, redis_client = claim_redis_db()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = "http://{}:{}".format(*moto.get_host_and_port())
    rt = None
    data = png_of(MIB)
    try:
        with tempfile.TemporaryDirectory(prefix="photo-bench-") as storage_dir:
            settings = Settings.from_env(
                {},
                app_env="dev",
                database_url=app_url,
                database_owner_url=owner_url,
                redis_url=f"{REDIS_BASE}/{redis_index}",
                log_level="WARNING",
                tenant_pool_size=0,
                argon2_time_cost=1,
                argon2_memory_cost=1024,
                storage_dir=storage_dir,
            )
            s3 = settings.replace(
                storage_backend="s3",
                s3_bucket="bench-photos",
                s3_endpoint_url=endpoint,
                s3_access_key_id="bench",
                s3_secret_access_key="bench",
            )
            rt = Runtime(settings)
            upgrade_public(rt.owner_engine)
            backends = {"local": build_storage(settings), "s3": build_storage(s3)}
            backends["s3"].client.create_bucket(Bucket="bench-photos")
            client = Client(create_wsgi(settings, runtime=rt), Response)
            figures = {}
            with use_runtime(rt):
                slug, headers, booking_id = _tenant_with_booking(client, rt)
                for name, storage in backends.items():
                    set_storage(rt, storage)
                    bench_put(storage, 5, data)  # warm up connections and imports
                    bench_http(client, slug, headers, booking_id, 3, data)
                    figures[f"{name}_put"] = summary(bench_put(storage, n, data), MIB)
                    figures[f"{name}_http"] = summary(
                        bench_http(client, slug, headers, booking_id, n, data), MIB
                    )
            env = {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "storage_dir_fs": _filesystem(storage_dir),
            }
    finally:
        moto.stop()
        if rt is not None:
            rt.dispose()
        redis_client.close()
        release_redis_db(redis_index)
        drop_database(ADMIN_URL, dbname)
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "photo_bytes": MIB,
        "n": n,
        "figures": figures,
        "environment": env,
    }


def _filesystem(path: str) -> str:
    try:
        import subprocess

        out = subprocess.run(["df", "-T", path], capture_output=True, text=True, check=True)
        return out.stdout.splitlines()[-1].split()[1]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


def docs_section(result: dict, command: str) -> str:
    f, env = result["figures"], result["environment"]
    names = {
        "local_put": "`local` backend put",
        "local_http": "HTTP upload → `local`",
        "s3_put": "`s3` backend put (moto server)",
        "s3_http": "HTTP upload → `s3` (moto server)",
    }
    lines = [
        SECTION,
        "",
        f"Command: `{command}` — last run {result['at']} on {env['cpus']} CPUs, Python "
        f"{env['python']}; {result['n']} uploads of a 1 MiB PNG per figure, sequential, one "
        f"process; local storage on {env['storage_dir_fs']}.",
        "",
        "| figure | uploads/s | MiB/s | p50 | p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in names.items():
        s = f[key]
        lines.append(
            f"| {label} | {s['uploads_per_s']} | {s['mib_per_s']} | {s['p50_ms']} ms "
            f"| {s['p95_ms']} ms |"
        )
    lines += [
        "",
        "Backend put = `Storage.put` alone (breaker + temp file, fsync and rename for `local`; "
        "boto3 `PutObject` to moto's S3 server on localhost for `s3`, so the network leg is "
        "loopback and moto's in-memory store, not a real provider). HTTP upload = "
        "`POST /t/<slug>/v1/admin/bookings/{id}/photos` through the WSGI dispatcher in-process: "
        "staff auth, consent check, streamed multipart parse with magic-byte check and SHA-256, "
        "spool, put, then the `storage_bytes` entitlement and the row insert in one transaction. "
        "No SPEC target exists for this figure; it is reported. JSON: "
        "`bench/results/photo_upload.json`.",
        "",
    ]
    return "\n".join(lines)


def write_docs(section: str) -> None:
    replace_section(SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="40 uploads per figure")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    n = 40 if args.quick else args.uploads
    result = run(n)
    for name, figure in result["figures"].items():
        for key, value in figure.items():
            print(f"photo_upload {name} {key} {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_docs:
        command = "python bench/photo_upload.py" + (" --quick" if args.quick else "")
        write_docs(docs_section(result, command))


if __name__ == "__main__":
    main()
