"""Pricing: the tenant's versioned config and the estimator built on it.

The algorithm itself is the pure ``estimate(request, pricing)`` (``tenantapp.pricing.estimator``)
and config validation is ``validate_config`` (``tenantapp.pricing.config``); both are re-exported
here so leads and bookings price through one module. This module adds the database side: reading
the current version and writing a new one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping

from flask import g, has_request_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from shared import db
from shared.aftercommit import on_commit
from shared.errors import Conflict, ServiceUnavailable
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.pricing.config import DEFAULT_CONFIG, config_hash, validate_config
from tenantapp.pricing.estimator import Estimate, EstimateRequest, PricingSnapshot, estimate
from tenantapp.pricing.models import PricingConfig

__all__ = [
    "DEFAULT_CONFIG",
    "Estimate",
    "EstimateRequest",
    "PricingSnapshot",
    "current_pricing",
    "estimate",
    "estimate_now",
    "get_current_config",
    "update_pricing",
    "validate_config",
]


def _latest(sess) -> PricingConfig | None:
    stmt = select(PricingConfig).order_by(PricingConfig.version.desc()).limit(1)
    return sess.scalars(stmt).first()


def get_current_config() -> PricingConfig:
    """The current (highest-version) config row of the tenant in context."""
    row = _latest(db.session())
    if row is None:  # every path seeds version 1; a missing row is a broken tenant
        raise ServiceUnavailable("This workspace has no pricing config.")
    return row


# The current version per tenant, cached in-process under the tenant's directory version (read from
# Redis once per request anyway): a PUT bumps that version after committing, so every process
# reloads on its next request. The TTL bounds staleness should the Redis counter ever be lost.
CACHE_SECONDS = 60.0
_current: dict[object, tuple[int, float, PricingSnapshot]] = {}


def current_pricing() -> PricingSnapshot:
    """The tenant's current pricing version, without a database round trip when cached."""
    tenant = current_tenant()
    now = time.monotonic()
    hit = _current.get(tenant.id)
    if hit is not None and hit[0] == tenant.version and hit[1] > now:
        return hit[2]
    row = get_current_config()
    snapshot = PricingSnapshot(row.id, row.version, row.config_hash, row.config)
    if len(_current) >= 10000:
        _current.clear()
    _current[tenant.id] = (tenant.version, now + CACHE_SECONDS, snapshot)
    return snapshot


def estimate_now(data: Mapping) -> Estimate:
    """Price a schema-validated ``/estimate`` body with the tenant's current config."""
    return estimate(EstimateRequest.from_dict(data), current_pricing())


def update_pricing(raw_config: dict, expected_version: int | None = None) -> PricingConfig:
    """Validate a complete config (every problem at once), store it as the next version and audit
    the change. ``expected_version`` guards against overwriting a change made meanwhile; without
    it the last writer wins. Writers of one tenant are serialised by an advisory lock."""
    config = validate_config(raw_config)
    try:
        row = _store_next_version(config, expected_version)
    except IntegrityError as exc:  # only if someone bypassed the lock
        raise Conflict("The pricing config changed meanwhile; reload and retry.") from exc
    return row


def _writer_lock_key() -> int:
    digest = hashlib.blake2b(f"pricing:{current_tenant().id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _store_next_version(config: dict, expected_version: int | None) -> PricingConfig:
    digest = config_hash(config)
    principal = g.get("principal") if has_request_context() else None
    with db.transaction() as tx:
        tx.execute(select(func.pg_advisory_xact_lock(_writer_lock_key())))
        current = _latest(tx)  # read after the lock: sees every committed version
        version = current.version if current else 0
        if expected_version is not None and expected_version != version:
            raise Conflict(f"The pricing config is at version {version}, not {expected_version}.")
        row = PricingConfig(
            version=version + 1,
            config=config,
            config_hash=digest,
            created_by=getattr(principal, "user_id", None),
        )
        tx.add(row)
        tx.flush()
        old = current.config if current else {}
        changed = sorted(k for k in config if old.get(k) != config[k])
        record(
            tx,
            "pricing.update",
            "pricing_config",
            row.id,
            before={"version": version, "config_hash": current and current.config_hash}
            | {k: old.get(k) for k in changed},
            after={"version": row.version, "config_hash": digest} | {k: config[k] for k in changed},
        )
        on_commit(_forget_cached_config, tx)
    return row


def _forget_cached_config() -> None:
    """After a new version commits: drop this process's copy, and bump the tenant version so
    every other process reloads too."""
    tenant = current_tenant()
    _current.pop(tenant.id, None)
    current_runtime().tenants.bump(tenant.id)
