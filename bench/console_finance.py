"""Staff console part 2 bench (issue 30, SPEC §5.14/§10): server time of the invoices, AR aging,
reports, leads and plans pages with realistic data — 50 000 customers, 1 000 bookings a week
(part 1's seed, ``bench/console.py``) and a year of invoices (1 000 a week: 52 000 invoices with
their lines and payments; 94 % paid, 2 % part paid, 4 % open — 3 000 owing) — target p95 ≤ 100 ms per page.

Own database (dropped at the end), private Redis db index; invoices are copied from one the API
made and issued (every column), in 5 000-row executemany batches, then VACUUMed and ANALYZEd.
Prints
``console2 <page> p95_ms=<x>`` lines and writes the ``## Staff console, part 2`` section of
docs/benchmarks.md.

    .venv/bin/python bench/console_finance.py            # 20 requests per page
    .venv/bin/python bench/console_finance.py --quick    # 5 requests per page
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from bench import console as part1  # noqa: E402
from bench.common import bench_runtime, machine_line, save, time_pages  # noqa: E402
from bench.search import seed  # noqa: E402
from shared.runtime import use_runtime  # noqa: E402

NAME = "console_finance"  # bench/results/console_finance.json
SECTION = "## Staff console, part 2"
TARGET_P95_MS = 100.0
INVOICE_WEEKS, INVOICES_PER_WEEK = 52, 1_000


def seed_invoices(rt, tenant_id, template_id: int, people: list[dict], rng) -> int:
    """A year of issued invoices copied from ``template_id``: 94 % paid (a payment row each),
    2 % part paid, 4 % open (those older than 15 days overdue), one line each."""
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.invoices.models import Invoice, InvoiceLine, InvoicePayment

    tenant = rt.tenants.by_id(tenant_id)
    today = datetime.now(ZoneInfo(tenant.time_zone)).date()
    with tenant_context(tenant):
        sess = db.session()
        model = sess.get(Invoice, template_id)
        line = sess.query(InvoiceLine).filter_by(invoice_id=template_id).one()
        skip = {"id", "number", "customer_id", "booking_id", "issue_date", "due_date", "status"}
        skip |= {"paid_cents", "created_at", "updated_at", "issued_at"}
        inv_t = {
            c.key: getattr(model, c.key) for c in Invoice.__table__.columns if c.key not in skip
        }
        line_t = {
            c.key: getattr(line, c.key)
            for c in InvoiceLine.__table__.columns
            if c.key not in {"id", "invoice_id"}
        }
        total = model.total_cents
        rows, kinds = [], []
        for i in range(INVOICE_WEEKS * INVOICES_PER_WEEK):
            issued = today - timedelta(days=i * 7 // INVOICES_PER_WEEK)
            roll = rng.random()
            kind = "paid" if roll < 0.94 else "part" if roll < 0.96 else "open"
            status = {"paid": "PAID", "part": "PARTIALLY_PAID", "open": "ISSUED"}[kind]
            paid = {"paid": total, "part": total // 2, "open": 0}[kind]
            at = datetime.combine(issued, datetime.min.time(), tzinfo=UTC)
            rows.append(
                {
                    **inv_t,
                    "number": f"INV-B-{i:06d}",
                    "customer_id": people[rng.randrange(len(people))]["id"],
                    "issue_date": issued,
                    "due_date": issued + timedelta(days=15),
                    "status": status,
                    "paid_cents": paid,
                    "issued_at": at,
                    "created_at": at,
                }
            )
            kinds.append((paid, issued))
        ids: list[int] = []
        for begin in range(0, len(rows), 5000):
            ids += sess.scalars(
                insert(Invoice).returning(Invoice.id), rows[begin : begin + 5000]
            ).all()
        lines = [{**line_t, "invoice_id": i} for i in ids]
        payments = [
            {
                "invoice_id": i,
                "amount_cents": paid,
                "method": "etransfer",
                "source": "staff",
                "received_on": min(issued + timedelta(days=5), today),
            }
            for i, (paid, issued) in zip(ids, kinds, strict=True)
            if paid
        ]
        for batch, model_cls in ((lines, InvoiceLine), (payments, InvoicePayment)):
            for begin in range(0, len(batch), 5000):
                sess.execute(insert(model_cls), batch[begin : begin + 5000])
        sess.commit()
    # VACUUM as well as ANALYZE: a year of invoices in production has been vacuumed many times
    # (autovacuum), so index-only scans see an up-to-date visibility map; a freshly bulk-loaded
    # table has none until autovacuum gets to it.
    with rt.owner_engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("invoices", "invoice_lines", "invoice_payments"):
            conn.execute(text(f'VACUUM (ANALYZE) "{tenant.schema_name}".{table}'))
    return len(rows)


def seed_finance(rt, client, rng) -> dict:
    """Sign a tenant up and seed the data set (customers, bookings, a year of invoices, leads,
    a plan), then sign in to the console. Returns what the pages need: ``slug``, ``email``,
    ``tenant_id``, ``base`` (the console's URL), ``people``, ``team_ids``, ``plan``,
    ``booking_id`` (the API's booking, to copy), ``call`` (the API with the owner's token),
    ``bookings``, ``invoices``, ``seed_seconds``."""
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    email = f"{slug}@bench.example.com"
    resp = client.post(
        "/v1/signup",
        json={
            "company_name": "Bench Console",
            "slug": slug,
            "email": email,
            "password": part1.PASSWORD,
        },
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    tenant_id = body["tenant"]["id"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    api = f"/t/{slug}/v1"

    def call(method, path, json_body=None, status=(200, 201)):
        resp = client.open(
            f"{api}{path}",
            method=method,
            json=json_body,
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert resp.status_code in status, (path, resp.get_data(as_text=True)[:300])
        return resp.get_json()

    team_ids = [t["id"] for t in call("GET", "/admin/teams")["items"]]
    started = time.perf_counter()
    with use_runtime(rt):
        people = seed(rt, tenant_id, part1.CUSTOMERS, rng)
        part1._property_ids(rt, tenant_id, people)
    made = call(
        "POST",
        "/admin/bookings",
        {
            "customer_id": people[0]["id"],
            "property_id": people[0]["property_id"],
            "starts_at": (datetime.now(UTC) + timedelta(days=60)).isoformat(),
            "override_availability": True,
            "override_reason": "bench template",
            "estimate_request": {"beds": 2, "baths": 1},
            "skip_deposit": True,
            "team_id": team_ids[0],
        },
    )
    call(
        "PATCH",
        "/admin/settings",
        {"tax_rates": [{"code": "GST", "name": "GST", "rate": "5.000"}]},
    )
    line = {"kind": "service", "description": "Standard clean", "unit_price_cents": 14500}
    inv = call("POST", "/admin/invoices", {"customer_id": people[1]["id"], "lines": [line]})
    call("POST", f"/admin/invoices/{inv['id']}/issue")
    plan = call(
        "POST",
        "/admin/plans",
        {
            "customer_id": people[2]["id"],
            "property_id": people[2]["property_id"],
            "frequency": "weekly",
            "first_date": (datetime.now(UTC).date() + timedelta(days=9)).isoformat(),
            "start_time": "09:00",
            "estimate_request": {"beds": 2, "baths": 1},
        },
    )
    for i in range(60):
        client.post(
            f"/t/{slug}/v1/leads",
            json={
                "name": f"Lead {i}",
                "phone": f"+1 780 555 {i:04d}",
                "estimate_request": {"beds": 2, "baths": 1},
            },
        )
    with use_runtime(rt):
        bookings = part1.seed_bookings(rt, tenant_id, made["id"], people, team_ids, rng)
        invoices = seed_invoices(rt, tenant_id, inv["id"], people, rng)
    seed_s = time.perf_counter() - started
    part1.sign_in(client, slug, email)
    return {
        "slug": slug,
        "email": email,
        "tenant_id": tenant_id,
        "base": f"/t/{slug}/console",
        "people": people,
        "team_ids": team_ids,
        "plan": plan,
        "booking_id": made["id"],
        "call": call,
        "bookings": bookings,
        "invoices": invoices,
        "seed_seconds": seed_s,
    }


def run(n: int, profile: str | None = None) -> dict:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from wsgi import create_wsgi

    rng = random.Random(30)
    with bench_runtime() as rt:
        client = Client(create_wsgi(rt.settings, runtime=rt), Response)
        ctx = seed_finance(rt, client, rng)
        base, plan = ctx["base"], ctx["plan"]
        listing = client.get(f"{base}/invoices?status=PARTIALLY_PAID").get_data(as_text=True)
        invoice_id = re.search(r"/console/invoices/(\d+)", listing).group(1)
        pages = {
            "invoices": f"{base}/invoices",
            "invoices_overdue": f"{base}/invoices?overdue=yes",
            "invoice": f"{base}/invoices/{invoice_id}",
            "aging": f"{base}/invoices/aging",
            "reports": f"{base}/reports",
            "leads": f"{base}/leads",
            "plans": f"{base}/plans",
            "plan": f"{base}/plans/{plan['id']}",
        }
        per_page = time_pages(client, pages, n, profile)
        figures = {
            "customers": part1.CUSTOMERS,
            "bookings": ctx["bookings"],
            "invoices": ctx["invoices"],
            "requests_per_page": n,
            "pages": per_page,
            "worst_p95_ms": max(p["p95_ms"] for p in per_page.values()),
            "seed_seconds": round(ctx["seed_seconds"], 1),
        }
        env = {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_1m": round(os.getloadavg()[0], 1),
        }
    return {"figures": figures, "env": env, "target_p95_ms": TARGET_P95_MS}


def docs_section(result: dict, command: str) -> str:
    f, env = result["figures"], result["env"]
    rows = "\n".join(
        f"| {name} | {p['p50_ms']} | {p['p95_ms']} | {p.get('cpu_p50_ms', '')} | {p['bytes']:,} |"
        for name, p in f["pages"].items()
    )
    over = [name for name, p in f["pages"].items() if p["p95_ms"] > TARGET_P95_MS]
    verdict = (
        "every page meets it"
        if not over
        else f"{', '.join(over)} miss{'es' if len(over) == 1 else ''} it"
    )
    return f"""{SECTION}

`{command}` — {f["customers"]:,} customers, {f["bookings"]:,} bookings and {f["invoices"]:,}
invoices over a year (one line and, for the paid ones, one payment each); {f["requests_per_page"]}
requests per page through the whole WSGI stack in-process, signed in with the console cookie
("our CPU": this process's CPU time per request, so Postgres's own work and waiting are not in it).
Target p95 ≤ {TARGET_P95_MS:.0f} ms per page: {verdict}.

| page | p50 ms | p95 ms | our CPU p50 ms | HTML bytes |
|---|---|---|---|---|
{rows}

{machine_line(env)}.
Seeding took {f["seed_seconds"]} s.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 requests per page")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--profile", help="print a cProfile of one page (e.g. invoices)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    n = 5 if args.quick else 20
    result = run(n, args.profile)
    for name, page in result["figures"]["pages"].items():
        print(
            f"console2 {name} p95_ms={page['p95_ms']} p50_ms={page['p50_ms']} "
            f"cpu_p50_ms={page['cpu_p50_ms']}"
        )
    print(f"console2 worst p95_ms={result['figures']['worst_p95_ms']}")
    command = ".venv/bin/python bench/console_finance.py" + (" --quick" if args.quick else "")
    text = None if args.no_docs else docs_section(result, command)
    save(NAME, result, None if args.no_docs else SECTION, text)


if __name__ == "__main__":
    main()
