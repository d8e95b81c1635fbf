"""Queue names (constants, never literals at call sites) and the one way to open a queue.

rq 3 has no implicit connection stack: every ``Queue`` is built with an explicit ``connection=``.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue

DEFAULT = "default"
EMAIL = "email"
EXPORT = "export"
MAINTENANCE = "maintenance"
PROVISIONING = "provisioning"

# Worker listening order: user-visible work first, housekeeping last.
ALL = (PROVISIONING, EMAIL, DEFAULT, EXPORT, MAINTENANCE)


class UnknownQueue(ValueError):
    """A queue name that is not one of the constants above."""


def connection_of(connection_or_runtime) -> Redis:
    """The Redis connection of a ``Runtime`` (its ``.redis``) or the connection itself."""
    return getattr(connection_or_runtime, "redis", connection_or_runtime)


def queue(name: str, connection, **kwargs) -> Queue:
    """Open queue ``name`` (one of the constants) on ``connection`` (a Redis client or Runtime)."""
    if name not in ALL:
        raise UnknownQueue(f"unknown queue {name!r}; use a constant from jobs.queues")
    return Queue(name, connection=connection_of(connection), **kwargs)
