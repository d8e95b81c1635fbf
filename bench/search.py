"""Global search bench (issue 22, SPEC §5.9): ``GET /admin/search`` with 50 000 customers in one
tenant must answer at p95 ≤ 50 ms.

Runs in a database of its own (dropped at the end) with a private Redis db index. It signs a
tenant up through the API, writes 50 000 customers (names, e-mails, E.164 phones) each with a
property (street address, postal code) and 2 000 leads straight into the tenant's schema, ANALYZEs,
then sends a mix of queries through the whole WSGI stack in-process (auth, tenant resolution,
every searcher): full names, surname prefixes, typos, a phone typed four ways, a 7-digit phone
tail, street words, postal codes, e-mail prefixes and booking-id prefixes. It prints
``search p95_ms=<x>`` (and p50, max, per-kind p95) and writes JSON and the ``## Search`` section
of docs/benchmarks.md.

    .venv/bin/python bench/search.py            # 50 000 customers, 400 queries
    .venv/bin/python bench/search.py --quick    # 50 000 customers, 100 queries
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs as `python bench/<name>.py` too

from bench.common import bench_runtime, environment, save  # noqa: E402
from shared.runtime import use_runtime  # noqa: E402

SECTION = "## Search"
TARGET_P95_MS = 50.0

FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Ava",
    "Elijah",
    "Sophia",
    "Lucas",
    "Mia",
    "Levi",
    "Isabella",
    "Mason",
    "Evelyn",
    "Logan",
    "Harper",
    "James",
    "Luna",
    "Ethan",
    "Camila",
    "Jack",
    "Gianna",
    "Aiden",
    "Ella",
    "Owen",
    "Aria",
    "Wyatt",
    "Scarlett",
    "Leo",
    "Chloe",
    "Henry",
    "Nora",
    "Ryan",
    "Lily",
    "Sebastian",
    "Hazel",
    "Mateo",
    "Zoey",
    "Caleb",
    "Riley",
    "Julian",
    "Layla",
    "Jayden",
    "Aurora",
    "Grayson",
    "Penelope",
    "Isaac",
    "Violet",
    "Ezra",
    "Stella",
    "Luke",
    "Hannah",
    "Gabriel",
    "Avery",
    "Carter",
    "Ellie",
    "Anthony",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Cote",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagne",
    "Ouellet",
    "Pelletier",
    "Belanger",
    "Levesque",
]
STREETS = [
    "Jasper Ave",
    "Whyte Ave",
    "Stony Plain Rd",
    "Kingsway",
    "Gateway Blvd",
    "Calgary Trail",
    "Ellerslie Rd",
    "Fort Rd",
    "Yellowhead Trail",
    "Saskatchewan Dr",
    "Victoria Promenade",
    "Rabbit Hill Rd",
    "Anthony Henday Dr",
    "Terwillegar Dr",
    "Windermere Blvd",
    "Summerside Dr",
    "Mill Woods Rd",
    "Castle Downs Rd",
    "Namao Dr",
    "Ada Blvd",
]
LETTERS = "ABCEGHJKLMNPRSTVXY"


def _postal(rng: random.Random) -> str:
    d = rng.randrange
    return f"T{d(10)}{rng.choice(LETTERS)} {d(10)}{rng.choice(LETTERS)}{d(10)}"


def _phone(n: int) -> str:
    return f"+1780{4200000 + n:07d}"


def seed(rt, tenant_id: str, customers: int, rng: random.Random) -> list[dict]:
    """Write the rows; returns the customers written (for building queries)."""
    from shared import db
    from shared.tenancy import tenant_context
    from tenantapp.customers.models import Customer, Property
    from tenantapp.leads.models import Lead

    people = []
    for n in range(customers):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        people.append(
            {
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{n}@example.com".lower(),
                "phone": _phone(n),
            }
        )
    with tenant_context(rt.tenants.by_id(tenant_id)):
        sess = db.session()
        before = sess.scalar(select(func.coalesce(func.max(Customer.id), 0)))
        for start in range(0, customers, 5000):
            sess.execute(insert(Customer), people[start : start + 5000])
        ids = list(
            sess.scalars(select(Customer.id).where(Customer.id > before).order_by(Customer.id))
        )
        places = [
            {
                "customer_id": cid,
                "address": f"{rng.randrange(100, 19999)} {rng.choice(STREETS)} NW",
                "postal_code": _postal(rng),
            }
            for cid in ids
        ]
        for start in range(0, len(places), 5000):
            sess.execute(insert(Property), places[start : start + 5000])
        lead = sess.scalar(select(Lead).limit(1))
        if lead is not None:  # leads copied from the one real lead (every column filled)
            template = {
                c.key: getattr(lead, c.key)
                for c in Lead.__table__.columns
                if c.key not in ("id", "referral_code", "name", "email", "created_at", "updated_at")
            }
            leads = [
                {
                    **template,
                    "name": people[i]["name"],
                    "email": people[i]["email"],
                    "referral_code": f"B{i:07d}",
                }
                for i in range(0, min(customers, 2000))
            ]
            sess.execute(insert(Lead), leads)
        sess.commit()
        schema = rt.tenants.by_id(tenant_id).schema_name
    with rt.owner_engine.begin() as conn:
        conn.execute(text(f'ANALYZE "{schema}".customers, "{schema}".properties, "{schema}".leads'))
    for person, cid, place in zip(people, ids, places, strict=True):
        person.update(id=cid, address=place["address"], postal_code=place["postal_code"])
    return people


def queries(people: list[dict], n: int, rng: random.Random) -> list[tuple[str, str]]:
    out = []
    kinds = (
        "full_name",
        "surname",
        "typo",
        "phone_e164",
        "phone_dashes",
        "phone_digits",
        "phone_tail",
        "street",
        "postal",
        "email",
        "booking_id",
    )
    for i in range(n):
        p = rng.choice(people)
        kind = kinds[i % len(kinds)]
        digits = p["phone"][2:]
        q = {
            "full_name": p["name"],
            "surname": p["name"].split()[1][:5],
            "typo": p["name"][:-2] + p["name"][-1] + p["name"][-2],
            "phone_e164": f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}",
            "phone_dashes": f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
            "phone_digits": digits,
            "phone_tail": f"{digits[3:6]}-{digits[6:]}",
            "street": p["address"].split()[1],
            "postal": p["postal_code"],
            "email": p["email"].split("@")[0][:12],
            "booking_id": str(rng.randrange(1, 20)),
        }[kind]
        out.append((kind, q))
    return out


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)], 2)


def run(customers: int, n: int, keep: bool = False) -> dict:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response

    from wsgi import create_wsgi

    rng = random.Random(22)
    with bench_runtime(keep=keep) as rt:
        client = Client(create_wsgi(rt.settings, runtime=rt), Response)
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        resp = client.post(
            "/v1/signup",
            json={
                "company_name": "Bench Search",
                "slug": slug,
                "email": f"{slug}@bench.example.com",
                "password": "Bench-Password-2026",
            },
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        body = resp.get_json()
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        client.post(
            f"/t/{slug}/v1/leads",
            json={
                "name": "Bench Lead",
                "phone": "+1 403 555 0100",
                "email": "lead@bench.example.com",
                "estimate_request": {"beds": 2, "baths": 1},
            },
        )
        started = time.perf_counter()
        with use_runtime(rt):
            people = seed(rt, body["tenant"]["id"], customers, rng)
        seed_s = time.perf_counter() - started
        url = f"/t/{slug}/v1/admin/search"
        for _, q in queries(people, 20, rng):  # warm up pools, caches, imports
            client.get(url, query_string={"q": q}, headers=headers)
        # The same stack answering a trivial staff read: what the machine's load costs every
        # request, so the search figure can be read against it.
        baseline = []
        for _ in range(max(20, n // 4)):
            t0 = time.perf_counter()
            client.get(f"/t/{slug}/v1/admin/settings", headers=headers)
            baseline.append((time.perf_counter() - t0) * 1000)
        samples: dict[str, list[float]] = {}
        every = []
        for kind, q in queries(people, n, rng):
            t0 = time.perf_counter()
            resp = client.get(url, query_string={"q": q}, headers=headers)
            elapsed = (time.perf_counter() - t0) * 1000
            if resp.status_code != 200:
                raise RuntimeError(f"search failed: {resp.status_code} {resp.get_data()[:300]}")
            samples.setdefault(kind, []).append(elapsed)
            every.append(elapsed)
        figures = {
            "customers": customers,
            "queries": n,
            "p50_ms": round(statistics.median(every), 2),
            "p95_ms": p95(every),
            "max_ms": round(max(every), 2),
            "per_kind_p95_ms": {k: p95(v) for k, v in sorted(samples.items())},
            "seed_seconds": round(seed_s, 1),
            "baseline_settings_p95_ms": p95(baseline),
        }
        env = environment()
    return {"figures": figures, "env": env, "target_p95_ms": TARGET_P95_MS}


def docs_section(result: dict, command: str) -> str:
    f, env = result["figures"], result["env"]
    kinds = ", ".join(f"{k} {v}" for k, v in f["per_kind_p95_ms"].items())
    verdict = "meets" if f["p95_ms"] <= TARGET_P95_MS else "MISSES"
    return (
        f"{SECTION}\n\n"
        f"`{command}` — `GET /admin/search` through the whole WSGI stack, {f['customers']} "
        f"customers (each with a property) and 2 000 leads in one tenant, {f['queries']} queries "
        f"of eleven kinds; {env['cpus']} cores, load average {env['loadavg_1m']} at the end, "
        f"Python {env['python']}.\n\n"
        f"| figure | value |\n|---|---|\n"
        f"| p50 | {f['p50_ms']} ms |\n| **p95** | **{f['p95_ms']} ms** ({verdict} the "
        f"{TARGET_P95_MS:.0f} ms target) |\n| max | {f['max_ms']} ms |\n\n"
        f"p95 per kind (ms): {kinds}. Baseline on the same run: `GET /admin/settings` p95 "
        f"{f['baseline_settings_p95_ms']} ms (what the machine's load costs any request).\n\n"
        "What changed the figure (issue 22, profiled with EXPLAIN ANALYZE on a kept bench "
        "database and cProfile of `search.service.search`): postal codes by a b-tree prefix "
        "index, and only for postal-like queries (the trigram index scanned long posting "
        "lists for every query); customers' phones by b-tree equality, prefix and "
        "`reverse(phone)` tail indexes, and a phone-like query matched against phones only; "
        "the typo pass only when a type found nothing, at similarity ≥ 0.45; no e-mail "
        "lookup for a query with a space; at most 300 candidate properties ranked per address "
        "match; rows read with their ranking; one `set_config` for the transaction settings. "
        "On this shared machine before the changes (a `--quick` run, settings baseline "
        "8.0 ms): p95 348 ms; the run above (baseline 7.6 ms): the figure in the table. The "
        "lead's quiet-machine run before the changes printed p95 76 ms with a 2.6 ms "
        "baseline.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--quick", action="store_true", help="100 queries")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN)")
    args = parser.parse_args()
    logging.getLogger("cleanplane").setLevel(logging.WARNING)
    n = 100 if args.quick else args.queries
    result = run(args.customers, n, args.keep)
    f = result["figures"]
    print(f"search p95_ms={f['p95_ms']}")
    print(f"search p50_ms={f['p50_ms']} max_ms={f['max_ms']} customers={f['customers']}")
    print(f"search baseline_settings_p95_ms={f['baseline_settings_p95_ms']}")
    for kind, value in f["per_kind_p95_ms"].items():
        print(f"search {kind} p95_ms={value}")
    command = "python bench/search.py" + (" --quick" if args.quick else "")
    save("search", result, SECTION, None if args.no_docs else docs_section(result, command))


if __name__ == "__main__":
    main()
