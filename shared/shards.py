"""Shards: named databases that hold tenant schemas.

The control plane (schema ``public``: tenants, accounts, billing, move state) lives only in the
default shard, ``DATABASE_URL``. Other shards are listed in ``SHARDS`` as ``name=url`` pairs (the app
role's URL) with the owner role's URL for DDL in ``SHARD_OWNER_URLS`` (same format; defaults to the
app URL, like ``DATABASE_OWNER_URL``). A shard database holds tenant schemas plus the ``cp_guard``
and ``extensions`` schemas made by ``shared.dbsetup`` — never control-plane tables.

Every tenant row names its shard; ``Runtime.tenant_engine(schema, shard)`` routes to that shard's
pool, so the tenant session picks the right database with no extra statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.engine import make_url

DEFAULT_SHARD = "default"
SHARD_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class ShardConfigError(ValueError):
    pass


class UnknownShard(KeyError):
    """A tenant row or a command names a shard this process has no URL for."""


@dataclass(frozen=True)
class Shard:
    name: str
    url: str
    owner_url: str

    @property
    def app_role(self) -> str:
        return make_url(self.url).username

    @property
    def database(self) -> str:
        return make_url(self.url).database


def parse_pairs(items: list[str], setting: str) -> dict[str, str]:
    """``["a=postgresql://...", ...]`` → ``{"a": "postgresql://..."}``, names checked."""
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not url:
            raise ShardConfigError(f"{setting}: expected name=url, got {item!r}")
        if not SHARD_NAME_RE.fullmatch(name):
            raise ShardConfigError(f"{setting}: bad shard name {name!r}")
        if name in pairs:
            raise ShardConfigError(f"{setting}: shard {name!r} listed twice")
        pairs[name] = url
    return pairs


def shard_map(
    database_url: str, owner_url: str, shards: list[str], shard_owner_urls: list[str]
) -> dict[str, Shard]:
    """Every shard by name, the default one (``DATABASE_URL``) first."""
    remote = parse_pairs(shards, "SHARDS")
    owners = parse_pairs(shard_owner_urls, "SHARD_OWNER_URLS")
    if DEFAULT_SHARD in remote:
        raise ShardConfigError(f"SHARDS: {DEFAULT_SHARD!r} is DATABASE_URL and cannot be listed")
    unknown = set(owners) - set(remote)
    if unknown:
        raise ShardConfigError(f"SHARD_OWNER_URLS names unknown shards: {sorted(unknown)}")
    result = {DEFAULT_SHARD: Shard(DEFAULT_SHARD, database_url, owner_url)}
    for name, url in remote.items():
        result[name] = Shard(name, url, owners.get(name, url))
    return result
