"""Keep a job process alive through database and Redis outages (SPEC §8).

rq's worker leaves its work loop on most Redis errors and rq-scheduler's loop raises on the first
one; a worker's start-up also reads Postgres (the tenant directory preload). Without a retry the
process would exit and ``make run`` (or any supervisor) would have to notice. ``run_resiliently``
calls the process's main loop again after a failure, with a capped exponential backoff, until the
loop reports a requested stop (or a finished burst). SIGTERM/SIGINT during the pause stop it.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable

log = logging.getLogger("jobs.resilience")

FIRST_DELAY = 1.0
MAX_DELAY = 15.0
HEALTHY_AFTER = 60.0  # a loop that ran this long before failing starts again from FIRST_DELAY


def _exit_on_signal(signum, frame) -> None:  # noqa: ARG001
    raise SystemExit(0)


def run_resiliently(
    loop: Callable[[], bool],
    what: str,
    *,
    first_delay: float = FIRST_DELAY,
    max_delay: float = MAX_DELAY,
) -> None:
    """Call ``loop()`` until it returns True (stop requested, burst done); retry on failures.

    ``loop`` returning False means it ended on its own (rq's worker does that on a Redis error);
    an exception (Redis or Postgres unreachable at start-up, a lost connection) is logged.
    Either way the loop starts again after a pause.
    """
    delay = first_delay
    while True:
        began = time.monotonic()
        try:
            if loop():
                return
            reason = "its loop ended"
        except (SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - an outage must not end the process
            reason = f"{type(exc).__name__}: {exc}"
        if time.monotonic() - began >= HEALTHY_AFTER:
            delay = first_delay
        log.warning(
            "%s stopped unexpectedly (%s); starting again in %.0f s", what, reason[:300], delay
        )
        # rq installs handlers that expect a running loop; during the pause a signal just exits.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        signal.signal(signal.SIGINT, _exit_on_signal)
        time.sleep(delay)
        delay = min(delay * 2, max_delay)
