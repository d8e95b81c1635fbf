"""Seeds the default checklist template (service type NULL, version 1) into every new tenant."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from tenantapp.checklists.models import (
    ChecklistTemplate,
    ChecklistTemplateItem,
    ChecklistTemplateVersion,
)
from tenantapp.settings.seed import TenantSeed

DEFAULT_NAME = "Standard visit"
# (label, phase, required) in order; positions are the list indexes.
DEFAULT_ITEMS = (
    ("Walk through with the client and note any existing damage", "BEFORE", True),
    ("Confirm access, alarm and pets instructions", "BEFORE", True),
    ("Kitchen: counters, sink, appliance fronts, floor", "AFTER", True),
    ("Bathrooms: toilet, shower/tub, sink, mirror, floor", "AFTER", True),
    ("Dust reachable surfaces and vacuum/mop floors", "AFTER", True),
    ("Empty bins and replace liners", "AFTER", False),
    ("Final walk-through; lock up and leave keys as agreed", "AFTER", True),
)


def seed_checklist(conn: Connection, seed: TenantSeed) -> None:  # noqa: ARG001 - seeder signature
    """The default template; identical on every provisioning path."""
    template_id = conn.scalar(
        insert(ChecklistTemplate)
        .values(name=DEFAULT_NAME, service_type=None, current_version=1)
        .returning(ChecklistTemplate.id)
    )
    version_id = conn.scalar(
        insert(ChecklistTemplateVersion)
        .values(template_id=template_id, version=1)
        .returning(ChecklistTemplateVersion.id)
    )
    conn.execute(
        insert(ChecklistTemplateItem),
        [
            {
                "version_id": version_id,
                "label": label,
                "phase": phase,
                "required": required,
                "position": position,
            }
            for position, (label, phase, required) in enumerate(DEFAULT_ITEMS)
        ],
    )
