"""Rate limits with flask-limiter on Redis (falls back to memory if Redis is down).

The client IP comes from ``X-Forwarded-For`` only when the direct peer is a trusted proxy.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from flask import Flask, request
from flask_limiter import Limiter

from shared.runtime import current_runtime


@lru_cache(maxsize=32)
def _networks(cidrs: tuple[str, ...]):
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def client_ip() -> str:
    peer = request.remote_addr or "0.0.0.0"  # noqa: S104 - only a key, never bound
    trusted = _networks(tuple(current_runtime().settings.trusted_proxy_cidrs))
    try:
        peer_ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if trusted and any(peer_ip in net for net in trusted):
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")]
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
