"""Every control-plane table, imported so ``CPBase.metadata`` is complete for Alembic."""

from controlplane.accounts.models import Invitation, PasswordResetToken  # noqa: F401
from controlplane.billing.models import BillingAccount, MeterReport, StripeEvent  # noqa: F401
from controlplane.fleet.models import FleetResult, FleetRun  # noqa: F401
from controlplane.mail.models import PlatformOutboxMessage  # noqa: F401
from controlplane.ops_console.models import OpsAuditEntry, OpsPoint, OpsSnapshot  # noqa: F401
from controlplane.provisioning.models import PoolSchema  # noqa: F401
from controlplane.shards.models import TenantMove  # noqa: F401
from shared.models import (  # noqa: F401
    ConnectAccount,
    Membership,
    Plan,
    RefreshToken,
    SmsNumber,
    SmsPlatformOptOut,
    SmsSharedContact,
    Tenant,
    TenantEvent,
    UsageCounter,
    UsageEvent,
    User,
    UserSession,
)
from shared.operator_tokens import OperatorToken  # noqa: F401
from shared.outbox.dlq import DlqEntry  # noqa: F401
