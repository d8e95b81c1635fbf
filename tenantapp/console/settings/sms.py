"""Settings → SMS (SPEC §5.12): the workspace's own sending number, quiet hours for automated
texts and the review page (``PATCH /admin/settings``, admin), the number's state in the control
plane's ``sms_numbers`` (one workspace per number; inbound texts are routed by it) and the
texts the workspace sends (read only: ``tenantapp.sms.templates``)."""

from __future__ import annotations

from sqlalchemy import select

from shared import db
from shared.models.sms import SmsNumber
from shared.tenancy import current_tenant
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.settings import common
from tenantapp.settings import service
from tenantapp.sms.templates import AUTOMATED, TEMPLATES

HERE = "console.settings_sms"
FIELDS = ("sms_from", "sms_quiet_start", "sms_quiet_end", "review_url")
NULLABLE = ("sms_from", "review_url")


def _registered() -> list[str]:
    """The numbers the control plane routes to this workspace."""
    stmt = select(SmsNumber.phone_number).where(SmsNumber.tenant_id == current_tenant().id)
    return list(db.session().scalars(stmt))


def _page(status=200, errors=None, summary=None, values=None):
    row = service.get_settings()
    return common.page(
        "sms.html",
        HERE,
        status=status,
        values=values or {name: getattr(row, name) or "" for name in FIELDS},
        sms_from=row.sms_from,
        registered=_registered(),
        templates=[(name, TEMPLATES[name], name in AUTOMATED) for name in TEMPLATES],
        errors=errors or {},
        summary=summary,
    )


@blp.get("/settings/sms")
@console_page("admin")
def settings_sms():
    return _page()


@blp.post("/settings/sms")
@console_page("admin")
def save_sms():
    return common.save_settings(
        lambda: common.settings_body(FIELDS, nullable=NULLABLE), HERE, "sms", _page, FIELDS
    )
