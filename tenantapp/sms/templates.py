"""SMS templates (SPEC §5.12): short, plain text, the company's name first.

Each template is a ``str.format`` string over a small context; a missing value is a ``KeyError``
at queue time, so the caller's transaction fails instead of a customer getting a blank. Times are
shown in the tenant's zone. Links are the same signed links the e-mails carry (the manage link,
the invoice's pay link, the feedback link); no third-party URL shortener sees them.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

STOP_FOOTER = "Reply STOP to opt out."

TEMPLATES: dict[str, str] = {
    "booking_confirmed": (
        "{company_name}: your cleaning is confirmed for {when}. Details or changes: {manage_url}"
    ),
    "booking_reminder_24h": (
        "{company_name}: reminder, we clean at {address} {when}. Details or changes: {manage_url}"
    ),
    "on_my_way": "{company_name}: {worker_first_name} is on the way{eta}.",
    "invoice_issued": "{company_name}: invoice {invoice_number} for {amount} is ready. Pay: {pay_url}",
    "review_request": "{company_name}: how did we do? Rate your cleaning from 0 to 10: {feedback_url}",
    "help": (
        "{company_name}: for help call {contact_phone} or e-mail {contact_email}. "
        "Reply STOP to opt out, START to opt back in."
    ),
    "shared_reply": (
        "{company_name} does not read replies to this number. Please call {contact_phone}."
    ),
}
AUTOMATED = ("booking_confirmed", "booking_reminder_24h", "invoice_issued", "review_request")


def when(value: datetime | str, zone: ZoneInfo) -> str:
    """``Tue 8 Dec, 09:00`` in the tenant's zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = value.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def render(template: str, context: dict) -> str:
    """The text of ``template`` for ``context`` (KeyError for a missing value)."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown SMS template {template!r}")
    return TEMPLATES[template].format_map(context).strip()


def with_footer(body: str, first_to_number: bool) -> str:
    """The first text to a number ends with how to opt out (SPEC §5.12)."""
    return f"{body}\n{STOP_FOOTER}" if first_to_number and STOP_FOOTER not in body else body
