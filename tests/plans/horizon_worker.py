"""A process that runs one tenant's horizon extension (the daily job's work) for the kill and
two-worker tests. With MARKER set it writes the marker after its first date committed and hangs
(to be SIGKILLed mid-run).

Run as ``python -m tests.plans.horizon_worker`` with DATABASE_URL, REDIS_URL, APP_ENV, TENANT_ID,
NOW (ISO instant) and optionally MARKER in the environment.
"""

import os
import pathlib
import time
from datetime import datetime

from shared.runtime import Runtime, use_runtime
from shared.settings import Settings
from shared.tenancy import tenant_context
from tenantapp.plans import horizon
from tenantapp.plans import jobs as _jobs  # noqa: F401 - the job's imports (every table)


def main() -> None:
    rt = Runtime(Settings.from_env())
    marker = os.environ.get("MARKER")
    if marker:
        place = horizon.materialise_day

        def then_hang(day, plan_ids, now):
            done = place(day, plan_ids, now)
            pathlib.Path(marker).write_text(day.isoformat())
            time.sleep(600)
            return done

        horizon.materialise_day = then_hang
    with use_runtime(rt), tenant_context(rt.tenants.by_id(os.environ["TENANT_ID"])):
        print(horizon.extend_all(datetime.fromisoformat(os.environ["NOW"])))


if __name__ == "__main__":
    main()
