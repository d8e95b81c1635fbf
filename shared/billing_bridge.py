"""The control plane's billing as the tenant app's console page sees it (SPEC §4.5 "Plan and
billing"): the tenant app may not import the control plane, so the control plane registers its
billing functions here when its app is built (both apps run in one process behind the WSGI
dispatcher), like ``guards.register_worker_session_loader`` the other way round.

- ``status(tenant)``: plan, subscription state, period end, limits, usage and drift
  (``GET /v1/billing/status``);
- ``checkout(tenant, user_id, plan_code, return_to)``: a Stripe Checkout URL
  (``POST /v1/billing/checkout``);
- ``portal(tenant, return_to)``: a Stripe customer-portal URL (``POST /v1/billing/portal``);
- ``resend_verification(user_id)``: the verification e-mail again, unless the address is
  confirmed (``POST /v1/auth/verify-email/resend``) — for the console's "verify" banner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.errors import ServiceUnavailable
from shared.tenancy import TenantRef


@dataclass(frozen=True)
class BillingFunctions:
    status: Callable[[TenantRef], dict]
    checkout: Callable[..., dict]
    portal: Callable[..., dict]
    resend_verification: Callable[[str], None]


_registered: BillingFunctions | None = None


def register(functions: BillingFunctions) -> None:
    global _registered
    _registered = functions


def _functions() -> BillingFunctions:
    if _registered is None:  # the tenant app served without the control plane
        raise ServiceUnavailable("Billing is not available here.", headers={"Retry-After": "60"})
    return _registered


def status(tenant: TenantRef) -> dict:
    return _functions().status(tenant)


def checkout(tenant: TenantRef, user_id: str, plan_code: str, return_to: str) -> dict:
    return _functions().checkout(tenant, user_id, plan_code, None, return_to)


def portal(tenant: TenantRef, return_to: str) -> dict:
    return _functions().portal(tenant, return_to)


def resend_verification(user_id: str) -> None:
    _functions().resend_verification(user_id)
