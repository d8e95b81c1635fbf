"""Every control-plane table, imported so ``CPBase.metadata`` is complete for Alembic."""

from controlplane.provisioning.models import PoolSchema  # noqa: F401
from controlplane.shards.models import TenantMove  # noqa: F401
from shared.models import (  # noqa: F401
    Membership,
    Plan,
    RefreshToken,
    Tenant,
    TenantEvent,
    UsageCounter,
    UsageEvent,
    User,
    UserSession,
)
from shared.operator_tokens import OperatorToken  # noqa: F401
