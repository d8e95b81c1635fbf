"""One circuit breaker per outside dependency (stripe, mail, storage, export, captcha).

Calls to a dependency that keeps failing fail fast for ``reset_timeout`` seconds instead of tying up
workers; one trial call then decides whether it has recovered.
"""

from __future__ import annotations

import threading

import pybreaker

from shared.errors import ServiceUnavailable

_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_lock = threading.Lock()
STATE_VALUES = {"closed": 0, "half-open": 1, "open": 2}


def breaker(name: str, fail_max: int = 5, reset_timeout: float = 30) -> pybreaker.CircuitBreaker:
    with _lock:
        if name not in _breakers:
            _breakers[name] = pybreaker.CircuitBreaker(
                fail_max=fail_max, reset_timeout=reset_timeout, name=name
            )
        return _breakers[name]


def call(name: str, fn, *args, **kwargs):
    """Call ``fn`` through the ``name`` breaker; an open circuit raises 503."""
    try:
        return breaker(name).call(fn, *args, **kwargs)
    except pybreaker.CircuitBreakerError as exc:
        raise ServiceUnavailable(
            f"{name} is unavailable right now; try again shortly.", code="dependency_unavailable"
        ) from exc


def states() -> dict[str, str]:
    return {name: b.current_state for name, b in _breakers.items()}


def reset_all() -> None:
    with _lock:
        _breakers.clear()
