"""The lines of a booking's invoice, from the estimate the booking was priced with.

service (labour) + recurring discount (negative, on the service) + one line per add-on +
referral credit (negative, pro rata) + a price adjustment when staff overrode the price; their sum
is the booking's pre-tax ``total_cents`` exactly (checked: any difference becomes the adjustment
line, so the invariant holds whatever produced the booking's total).
"""

from __future__ import annotations

from decimal import Decimal

from tenantapp.bookings.models import Booking
from tenantapp.leads.models import Lead
from tenantapp.pricing.models import PricingConfig

SERVICE_NAMES = {
    "standard": "Standard cleaning",
    "deep": "Deep cleaning",
    "move_out": "Move-out cleaning",
    "move_in": "Move-in cleaning",
}
FREQUENCY_NAMES = {"weekly": "Weekly", "biweekly": "Biweekly", "monthly": "Monthly"}


def _line(kind, description, unit_price_cents, quantity=1, taxable=True, applies_to=None) -> dict:
    return {
        "kind": kind,
        "description": description[:500],
        "quantity": Decimal(quantity),
        "unit_price_cents": int(unit_price_cents),
        "taxable": taxable,
        "applies_to": applies_to,
    }


def _add_on_lines(sess, request: dict, config_id: int | None) -> list[dict]:
    """One line per add-on priced with the booking's config version (exact unit prices)."""
    add_ons = request.get("add_ons") or {}
    config = sess.get(PricingConfig, config_id) if config_id is not None else None
    if not add_ons or config is None:
        return []
    flags = config.config["add_ons"]["flags"]
    per_unit = config.config["add_ons"]["per_unit"]
    lines = []
    for name in sorted(add_ons):
        value = add_ons[name]
        label = name.replace("_", " ").capitalize()
        if name in flags and value is True:
            lines.append(_line("add_on", label, Decimal(flags[name]) * 100))
        elif name in per_unit and not isinstance(value, bool) and value:
            lines.append(_line("add_on", label, Decimal(per_unit[name]) * 100, quantity=value))
    return lines


def _priced(sess, booking: Booking) -> tuple[dict, dict, int | None]:
    """(estimate, request, pricing config id) the booking was priced from: its own copy (t0012),
    else its lead's (older rows)."""
    lead = sess.get(Lead, booking.lead_id) if booking.lead_id is not None else None
    estimate = booking.estimate or (lead.estimate if lead else None) or {}
    request = booking.estimate_request or (lead.estimate_request if lead else None) or {}
    config_id = estimate.get("pricing_config_id") or (lead.pricing_config_id if lead else None)
    return estimate, request, config_id


def booking_lines(sess, booking: Booking) -> list[dict]:
    """The invoice lines of ``booking`` (see the module docstring)."""
    estimate, request, config_id = _priced(sess, booking)
    hours = estimate.get("billed_cleaner_hours")
    service = SERVICE_NAMES.get(booking.service_type, "Cleaning")
    lines = []
    if estimate:
        baths = Decimal(str(request.get("baths", 0))).normalize()
        details = f"{request.get('beds', 0)} bd / {baths:f} ba"
        if hours is not None:
            details += f", {hours:g} cleaner-hours"
        lines.append(_line("service", f"{service} ({details})", estimate.get("labor_cents", 0)))
    discount = estimate.get("discount_cents", 0)
    if discount:
        freq = FREQUENCY_NAMES.get(request.get("frequency"), "Recurring")
        lines.append(_line("discount", f"{freq} discount", -discount, applies_to="service"))
    add_on_lines = _add_on_lines(sess, request, config_id)
    priced = sum(int(ln["quantity"] * ln["unit_price_cents"]) for ln in add_on_lines)
    if add_on_lines and priced == estimate.get("add_ons_cents", 0):
        lines.extend(add_on_lines)
    elif estimate.get("add_ons_cents"):
        lines.append(_line("add_on", "Add-ons", estimate["add_ons_cents"]))
    if booking.credit_applied_cents:
        lines.append(_line("discount", "Referral credit", -booking.credit_applied_cents))
    difference = booking.total_cents - sum(
        int(ln["unit_price_cents"] * ln["quantity"]) for ln in lines
    )
    if not lines:  # a staff booking without an estimate: its price is the service
        lines.append(_line("service", service, booking.total_cents))
    elif difference:
        # A staff price override (audited on the booking with its reason), or any other change
        # of the booking's total after its estimate: its own line, so the sum is the total.
        reason = booking.price_override_reason
        label = "Price adjustment" + (f": {reason}" if reason else "")
        kind = "discount" if difference < 0 else "fee"
        lines.append(_line(kind, label, difference))
    return lines
