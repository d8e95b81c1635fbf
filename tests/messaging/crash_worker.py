"""A delivery worker the crash test SIGKILLs: it delivers one tenant's outbox and, right after the
SMTP server accepted the first message (before the row is marked sent), writes a marker and hangs.

Run as ``python -m tests.messaging.crash_worker`` with DATABASE_URL, REDIS_URL, SMTP_URL, APP_ENV,
TENANT_ID and MARKER in the environment.
"""

import os
import pathlib
import time

from shared.runtime import Runtime, use_runtime
from shared.settings import Settings
from shared.tenancy import tenant_context
from tenantapp.outbox.delivery import deliver_due


def main() -> None:
    rt = Runtime(Settings.from_env())
    marker = pathlib.Path(os.environ["MARKER"])

    def hang(message):
        marker.write_text(str(message.id))
        time.sleep(600)

    with use_runtime(rt):
        tenant = rt.tenants.by_id(os.environ["TENANT_ID"])
        with tenant_context(tenant):
            deliver_due(batch=1, after_send=hang)


if __name__ == "__main__":
    main()
