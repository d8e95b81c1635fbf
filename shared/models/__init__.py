"""Control-plane tables that both apps read (tenants, accounts, plans and usage)."""

from shared.models.accounts import Membership, RefreshToken, User, UserSession
from shared.models.connect import ConnectAccount
from shared.models.plans import Plan, UsageCounter, UsageEvent
from shared.models.sms import SmsNumber, SmsPlatformOptOut, SmsSharedContact
from shared.models.tenants import Tenant, TenantEvent

__all__ = [
    "ConnectAccount",
    "Membership",
    "Plan",
    "RefreshToken",
    "SmsNumber",
    "SmsPlatformOptOut",
    "SmsSharedContact",
    "Tenant",
    "TenantEvent",
    "UsageCounter",
    "UsageEvent",
    "User",
    "UserSession",
]
