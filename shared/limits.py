"""Rate limits with flask-limiter on Redis (falls back to memory if Redis is down).

The client IP comes from ``X-Forwarded-For`` only when the direct peer is a trusted proxy.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import time
from functools import lru_cache

import redis
from flask import Flask, request
from flask_limiter import Limiter
from limits import parse

from shared.errors import AppError
from shared.runtime import current_runtime

log = logging.getLogger("cleanplane.limits")


@lru_cache(maxsize=32)
def _networks(cidrs: tuple[str, ...]):
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def client_ip(req=None) -> str:
    req = req or request._get_current_object()
    peer = req.remote_addr or "0.0.0.0"  # noqa: S104 - only a key, never bound
    trusted = _networks(tuple(current_runtime().settings.trusted_proxy_cidrs))
    if not trusted:
        return peer  # the common case: no proxy to see through, nothing to parse
    try:
        peer_ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if any(peer_ip in net for net in trusted):
        forwarded = [p.strip() for p in req.headers.get("X-Forwarded-For", "").split(",")]
        # Walk from the right: the first address that is not a trusted proxy is the client.
        for hop in reversed([p for p in forwarded if p]):
            try:
                hop_ip = ipaddress.ip_address(hop)
            except ValueError:
                break
            if not any(hop_ip in net for net in trusted):
                return hop
    return peer


def make_limiter(key_prefix: str = "cp-limits", **kwargs) -> Limiter:
    return Limiter(
        key_func=client_ip,
        headers_enabled=False,  # X-RateLimit-* cost 2 Redis calls per request; 429s say Retry-After
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        strategy="fixed-window",
        key_prefix=key_prefix,
        **kwargs,
    )


def init_limiter(limiter: Limiter, app: Flask, redis_url: str) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = redis_url
    app.config["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
    limiter.init_app(app)


def setting(name: str):
    """A limit string read from settings at request time (tests set their own)."""
    return lambda: getattr(current_runtime().settings, name)


# ---------------------------------------------------------------- failed sign-ins per account


class FailureLimit:
    """Failed attempts counted per key in a fixed window (SPEC §8).

    ``check`` refuses with 429 and ``Retry-After`` once ``limit`` failures were recorded in the
    window, before any credential is looked at, so the attempt after the limit is refused
    whatever it carries and from whatever address. The counters live in Redis (shared by every
    process); when Redis is unavailable they fall back to this process's memory, like the
    request limiter, and the API keeps serving.
    """

    def __init__(self, scope: str, limit_setting: str):
        self.scope = scope
        self.limit_setting = limit_setting
        self._memory: dict[str, tuple[int, float]] = {}

    def _limit(self) -> tuple[int, int]:
        item = parse(getattr(current_runtime().settings, self.limit_setting))
        return item.amount, item.get_expiry()

    def key(self, ident: str) -> str:
        digest = hashlib.sha256(ident.strip().lower().encode()).hexdigest()[:40]
        return f"auth-fail:{self.scope}:{digest}"

    def retry_after(self, ident: str) -> int | None:
        """Seconds until ``ident`` may try again, or None when it is under the limit."""
        amount, window = self._limit()
        key = self.key(ident)
        try:
            r = current_runtime().redis
            count, ttl = r.pipeline().get(key).ttl(key).execute()
            count = int(count or 0)
        except redis.RedisError:
            count, reset_at = self._memory.get(key, (0, 0.0))
            if reset_at <= time.time():
                count = 0
            ttl = int(reset_at - time.time()) + 1
        if count < amount:
            return None
        return max(1, int(ttl) if ttl and ttl > 0 else window)

    def check(self, ident: str) -> None:
        """Raise 429 ``rate_limited`` when ``ident`` has used up its failures."""
        wait = self.retry_after(ident)
        if wait is not None:
            raise RateLimited(
                "Too many failed attempts; try again later.",
                headers={"Retry-After": str(wait)},
            )

    def failed(self, ident: str) -> None:
        """Record one failed attempt for ``ident``."""
        _, window = self._limit()
        key = self.key(ident)
        try:
            r = current_runtime().redis
            r.pipeline().set(key, 0, ex=window, nx=True).incr(key).execute()
        except redis.RedisError:
            count, reset_at = self._memory.get(key, (0, 0.0))
            if reset_at <= time.time():
                count, reset_at = 0, time.time() + window
            self._memory[key] = (count + 1, reset_at)

    def succeeded(self, ident: str) -> None:
        """Forget ``ident``'s failures after a successful sign-in."""
        key = self.key(ident)
        self._memory.pop(key, None)
        with contextlib.suppress(redis.RedisError):
            current_runtime().redis.delete(key)


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests"


# Staff sign-ins (password, MFA code, reset confirm) share one bucket per e-mail; workers are
# keyed by tenant id and e-mail (a worker e-mail is unique within its workspace only).
login_failures = FailureLimit("login", "rate_limit_login_account")
operator_failures_ip = FailureLimit("operator-ip", "rate_limit_operator_auth")
operator_failures_all = FailureLimit("operator-all", "rate_limit_operator_auth_global")
worker_login_failures = FailureLimit("worker-login", "rate_limit_login_account")

_xff_warned: set[int] = set()


def warn_untrusted_forwarding(settings) -> bool:
    """In production, log once per process and settings when ``X-Forwarded-For`` arrives but
    ``TRUSTED_PROXY_CIDRS`` is empty: the header is ignored, so every client behind the proxy
    shares the proxy's address (per-IP limits then hit everyone at once)."""
    if not settings.is_prod or settings.trusted_proxy_cidrs:
        return False
    if "X-Forwarded-For" not in request.headers or id(settings) in _xff_warned:
        return False
    _xff_warned.add(id(settings))
    log.warning(
        "X-Forwarded-For received but TRUSTED_PROXY_CIDRS is empty: the header is ignored and "
        "rate limits key on the proxy's address; set TRUSTED_PROXY_CIDRS to your proxies",
        extra={"peer": request.remote_addr},
    )
    return True
