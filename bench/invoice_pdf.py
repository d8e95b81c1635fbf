"""Invoice PDF bench (issue 24): WeasyPrint render time of a realistic invoice (target ≤ 300 ms).

Runs in a database of its own (dropped at the end) with a private Redis db index. It signs up a
tenant with GST and PST, books and completes a 3-bed deep clean with add-ons (so the invoice is
made by ``/complete`` like a real one), records a partial e-transfer payment and a credit note,
then measures, one after another:

- **render**: ``pdf.render_pdf`` of the loaded invoice (template → HTML → WeasyPrint → bytes);
- **HTTP**: ``GET /t/<slug>/v1/admin/invoices/{id}/pdf`` through the WSGI dispatcher in-process
  (auth, the reads, the render).

Each prints p50/p95/max in ms and the PDF size; the run writes JSON and the ``## Invoice PDF``
section of docs/benchmarks.md (other sections kept). ``--save PATH`` keeps one PDF to look at.

    .venv/bin/python bench/invoice_pdf.py             # 60 renders per figure
    .venv/bin/python bench/invoice_pdf.py --quick     # 15 renders per figure
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from bench import common  # noqa: E402
from bench.common import bench_runtime, environment  # noqa: E402
from shared.runtime import use_runtime  # noqa: E402

SECTION = "## Invoice PDF"
TARGET_MS = 300


def _ok(resp, status=200) -> dict:
    if resp.status_code != status:
        raise RuntimeError(f"{resp.status_code}: {resp.get_data(as_text=True)[:500]}")
    return resp.get_json()


def _invoice(client, rt) -> tuple[str, dict, int]:
    """A tenant with tax rates and one issued, partly paid and credited invoice."""
    from shared.tenancy import tenant_context
    from tenantapp.bookings.models import Booking

    slug = f"bench-{uuid.uuid4().hex[:8]}"
    body = _ok(
        client.post(
            "/v1/signup",
            json={
                "company_name": "Sparkle & Shine Cleaning Co.",
                "slug": slug,
                "email": f"{slug}@bench.example.com",
                "password": "Bench-Password-2026",
            },
        ),
        201,
    )
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    url = f"/t/{slug}/v1"
    _ok(
        client.patch(
            f"{url}/admin/settings",
            json={
                "contact_email": "office@sparkle.example.com",
                "tax_number": "123456789RT0001",
                "tax_rates": [
                    {
                        "code": "GST",
                        "name": "GST",
                        "rate": "5.000",
                        "registration_number": "123456789RT0001",
                    },
                    {"code": "PST", "name": "PST", "rate": "7.000", "applies_to_add_ons": False},
                ],
                "invoice_due_days": 14,
                "invoice_footer": "Thank you! E-transfer to pay@sparkle.example.com.",
            },
            headers=headers,
        )
    )
    lead = _ok(
        client.post(
            f"{url}/leads",
            json={
                "name": "Jordan Avery-Thompson",
                "phone": "+1 403 555 0100",
                "email": "jordan@example.com",
                "address": "10230 Jasper Ave NW, Suite 1200, Edmonton AB",
                "postal_code": "T5J 4P6",
                "estimate_request": {
                    "beds": 3,
                    "baths": 2,
                    "service_type": "deep",
                    "heavy_grease": True,
                    "add_ons": {"oven": True, "fridge": True, "linen_beds": 3, "steam_sofa_3": 1},
                },
            },
        ),
        201,
    )
    day = datetime.now(ZoneInfo("America/Edmonton")).date() + timedelta(days=14)
    while day.weekday() != 0:
        day += timedelta(days=1)
    booking = _ok(
        client.post(
            f"{url}/bookings",
            json={
                "lead_id": lead["lead_id"],
                "lead_token": lead["lead_token"],
                "starts_at": f"{day}T09:00:00",
            },
        ),
        201,
    )
    with tenant_context(rt.tenants.by_id(body["tenant"]["id"])):
        from shared import db

        with db.transaction() as tx:
            tx.execute(
                update(Booking).where(Booking.id == booking["id"]).values(deposit_status=None)
            )
    if booking["status"] == "PENDING":
        _ok(client.post(f"{url}/admin/bookings/{booking['id']}/confirm", headers=headers))
    _ok(client.post(f"{url}/admin/bookings/{booking['id']}/complete", headers=headers))
    items = _ok(client.get(f"{url}/admin/invoices", headers=headers))["items"]
    invoice_id = items[0]["id"]
    _ok(
        client.post(
            f"{url}/admin/invoices/{invoice_id}/payments",
            json={"amount_cents": 10000, "method": "etransfer", "reference": "ET-58213"},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    _ok(
        client.post(
            f"{url}/admin/invoices/{invoice_id}/credit-notes",
            json={
                "lines": [
                    {"kind": "custom", "description": "Late arrival", "unit_price_cents": 1500}
                ],
                "reason": "Crew arrived 40 minutes late",
            },
            headers=headers,
        ),
        201,
    )
    return slug, headers, invoice_id


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
        "max_ms": round(ordered[-1], 1),
    }


def run(n: int, save: str | None) -> dict:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from wsgi import create_wsgi

    with bench_runtime() as rt:
        client = Client(create_wsgi(rt.settings, runtime=rt), Response)
        with use_runtime(rt):
            slug, headers, invoice_id = _invoice(client, rt)
            pdf_url = f"/t/{slug}/v1/admin/invoices/{invoice_id}/pdf"
            render, cpu, http, size = _measure(rt, client, slug, headers, invoice_id, n)
            if save:
                Path(save).write_bytes(client.get(pdf_url, headers=headers).data)
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": {"render": _stats(render), "render_cpu": _stats(cpu), "http": _stats(http)},
        "pdf_bytes": size,
        "target_ms": TARGET_MS,
        "environment": environment(),
    }


def _measure(rt, client, slug, headers, invoice_id, n):
    from shared.tenancy import tenant_context
    from tenantapp.invoices import pdf, reading, state

    url = f"/t/{slug}/v1/admin/invoices/{invoice_id}/pdf"
    tenant = rt.tenants.by_slug(slug)
    for _ in range(3):  # warm up: fonts, template compile, connections
        client.get(url, headers=headers)
    http = []
    body = b""
    for _ in range(n):
        started = time.perf_counter()
        resp = client.get(url, headers=headers)
        http.append((time.perf_counter() - started) * 1000)
        body = resp.data
        if resp.status_code != 200:
            raise RuntimeError(resp.get_data(as_text=True))
    render, cpu = [], []
    with tenant_context(tenant):
        inv = state.get_invoice(invoice_id)
        view = reading.invoice_view(invoice_id)
        for _ in range(n):
            started, started_cpu = time.perf_counter(), time.thread_time()
            pdf.render_pdf(view, inv.seller, inv.footer)
            render.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
    return render, cpu, http, len(body)


def docs_section(result: dict, command: str) -> str:
    f, env = result["figures"], result["environment"]
    verdict = "within" if f["render_cpu"]["p95_ms"] <= TARGET_MS else "OVER"
    return "\n".join(
        [
            SECTION,
            "",
            f"Command: `{command}` — last run {result['at']} on {env['cpus']} CPUs, Python "
            f"{env['python']}, load average {env['loadavg_1m']} (the machine is shared).",
            "",
            "| figure | renders | p50 | p95 | max |",
            "|---|---:|---:|---:|---:|",
            *(
                f"| {label} | {f[k]['n']} | {f[k]['p50_ms']} ms | {f[k]['p95_ms']} ms "
                f"| {f[k]['max_ms']} ms |"
                for k, label in (
                    ("render", "template → WeasyPrint → PDF bytes (wall clock)"),
                    ("render_cpu", "the same, CPU time of the rendering thread"),
                    ("http", "`GET /admin/invoices/{id}/pdf` in-process"),
                )
            ),
            "",
            f"Target (SPEC §10): ≤ {TARGET_MS} ms per invoice — {verdict} target at p95 of the "
            "render's own CPU time (wall clock on this shared 2-core machine also counts waiting "
            "for a core behind other work; compare it with the load average above). The "
            "invoice: 7 lines (deep clean, 4 add-ons), GST and PST (add-ons exempt from PST), a "
            f"payment and a credit note; PDF {result['pdf_bytes']} bytes. Renders run one after "
            "another after 3 warm-up renders (the first render of a process loads fonts, ~1 s). "
            "JSON: `bench/results/invoice_pdf.json`.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="15 renders per figure")
    parser.add_argument("--save", help="write one rendered PDF to this path")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    n = 15 if args.quick else args.renders
    result = run(n, args.save)
    for name, figure in result["figures"].items():
        for key, value in figure.items():
            print(f"invoice_pdf {name} {key} {value}")
    print(f"invoice_pdf pdf_bytes {result['pdf_bytes']}")
    command = "python bench/invoice_pdf.py" + (" --quick" if args.quick else "")
    text = None if args.no_docs else docs_section(result, command)
    common.save("invoice_pdf", result, SECTION, text)


if __name__ == "__main__":
    main()
