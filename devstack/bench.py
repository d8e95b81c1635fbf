"""``make bench``: the quick versions of the benches in ``bench/``, on the servers ``make test`` uses.

Each bench makes its own database and Redis db index (SPEC §10) and prints one line per figure.
The quick runs never rewrite docs/benchmarks.md: that table comes from the full runs, whose
commands it records. A bench listed here but not in this checkout yet is skipped with a message.
"""

from __future__ import annotations

import subprocess
import sys

from devstack.services import ServiceError
from devstack.testrun import ROOT, find_services, service_env

QUICK = [
    ("bench/provision.py", ["--quick", "--no-docs"]),
    ("bench/fleet_migrate.py", ["--tenants", "100", "--no-docs"]),
    ("bench/photo_upload.py", ["--quick", "--no-docs"]),
    (
        "bench/public_api.py",
        ["--seconds", "2", "--rounds", "1", "--out", ".data/bench/public_api.json", "--no-docs"],
    ),
    ("bench/fanout.py", ["--tenants", "200", "--no-docs"]),
    ("bench/invoice_pdf.py", ["--quick", "--no-docs"]),
    ("bench/ops_console.py", ["--tenants", "2000", "--requests", "5", "--no-docs"]),
]


def main() -> int:
    present = [(script, args) for script, args in QUICK if (ROOT / script).exists()]
    for script, _ in QUICK:
        if not (ROOT / script).exists():
            print(f"make bench: {script} is not in this checkout yet; skipped")
    if not present:
        return 0
    try:
        found = find_services("make bench")
    except ServiceError as exc:
        print(f"make bench: {exc}", file=sys.stderr)
        return 1
    (ROOT / ".data" / "bench").mkdir(parents=True, exist_ok=True)
    failed = []
    try:
        for script, args in present:
            print(f"== {script} {' '.join(args)}", flush=True)
            if subprocess.call([sys.executable, script, *args], cwd=ROOT, env=service_env(found)):
                failed.append(script)
    finally:
        found.stop()
    if failed:
        print(f"make bench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
