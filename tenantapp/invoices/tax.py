"""The invoice arithmetic of SPEC §5.11 as pure functions: line amounts, tax per rate, totals.

- A line's amount is quantity × unit price, rounded half-up to the cent (quantities have at most
  two places).
- Per active rate, tax = round half-up(Σ taxable amounts × rate / 100), **once per invoice**, never
  per line (3 × 33.33 at 5 % is 5.00, not 3 × 1.67 = 5.01).
- Which lines a rate taxes: every ``taxable`` line except tips (never taxed) and, for a rate with
  ``applies_to_add_ons: false``, the add-ons.
- Discounts reduce the base. A discount line with ``applies_to = 'service'`` (the recurring
  discount, which is a share of the labour) reduces the service lines; any other discount (a
  referral credit, a goodwill discount) is spread **pro rata** over every non-tip line, so a rate
  that exempts add-ons only loses the credit's share that fell on taxed lines. A discount with
  ``taxable = false`` reduces no base. Shares are kept unrounded until the one rounding per rate.
- With ``prices_include_tax`` the amounts include every rate that applies to them: the tax in a
  line is amount × rate / (100 + Σ its rates) (for one rate: amount − amount / (1 + rate)), again
  summed unrounded and rounded once per rate; the total is the sum of the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
ONE = Decimal(1)


def cents(value: Decimal) -> int:
    """Round half-up to a whole number of cents."""
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def line_amount(quantity: Decimal, unit_price_cents: int) -> int:
    return cents(Decimal(quantity) * unit_price_cents)


@dataclass(frozen=True)
class Rate:
    code: str
    name: str
    rate: Decimal  # percent, e.g. Decimal("5.000")
    applies_to_add_ons: bool = True
    registration_number: str | None = None
    accounting_code: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> Rate:
        return cls(
            code=data["code"],
            name=data.get("name") or data["code"],
            rate=Decimal(str(data["rate"])),
            applies_to_add_ons=data.get("applies_to_add_ons", True),
            registration_number=data.get("registration_number"),
            accounting_code=data.get("accounting_code"),
        )

    def snapshot(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "rate": f"{self.rate:.3f}",
            "applies_to_add_ons": self.applies_to_add_ons,
            "registration_number": self.registration_number,
            "accounting_code": self.accounting_code,
        }


@dataclass(frozen=True)
class Line:
    kind: str
    amount_cents: int
    taxable: bool = True
    applies_to: str | None = None


@dataclass(frozen=True)
class Totals:
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    taxes: list[dict]  # [{code, name, rate, taxable_cents, tax_cents}]


def rates_of(line: Line, rates: Sequence[Rate]) -> list[Rate]:
    """The rates that tax ``line`` (tips never; add-ons only under rates that cover them)."""
    if not line.taxable or line.kind in ("tip", "discount"):
        return []
    if line.kind == "add_on":
        return [r for r in rates if r.applies_to_add_ons]
    return list(rates)


def effective_amounts(lines: Sequence[Line]) -> list[tuple[Line, Decimal]]:
    """Each non-tip, non-discount line with its amount after the discounts' shares."""
    goods = [ln for ln in lines if ln.kind not in ("tip", "discount")]
    eff = [Decimal(ln.amount_cents) for ln in goods]
    discounts = [ln for ln in lines if ln.kind == "discount" and ln.taxable and ln.amount_cents]
    for scoped in (True, False):
        for disc in discounts:
            if (disc.applies_to == "service") != scoped:
                continue
            idx = [i for i, ln in enumerate(goods) if ln.kind == "service"] if scoped else []
            if not idx:  # unscoped, or no service line to carry it: pro rata over everything
                idx = list(range(len(goods)))
            base = sum((eff[i] for i in idx), Decimal(0))
            if base <= 0:
                continue
            off = Decimal(-disc.amount_cents)
            for i in idx:
                eff[i] -= off * eff[i] / base
    return list(zip(goods, eff, strict=True))


def compute(lines: Sequence[Line], rates: Sequence[Rate], prices_include_tax: bool) -> Totals:
    """Subtotal, tax per rate (rounded once each) and total for ``lines`` under ``rates``."""
    gross = sum(ln.amount_cents for ln in lines)
    shares = effective_amounts(lines)
    taxes = []
    for rate in rates:
        base = Decimal(0)
        tax = Decimal(0)
        for line, amount in shares:
            applied = rates_of(line, rates)
            if rate not in applied:
                continue
            if prices_include_tax:
                together = sum((r.rate for r in applied), Decimal(0))
                base += amount * HUNDRED / (HUNDRED + together)
                tax += amount * rate.rate / (HUNDRED + together)
            else:
                base += amount
                tax += amount * rate.rate / HUNDRED
        taxes.append(
            {
                "code": rate.code,
                "name": rate.name,
                "rate": f"{rate.rate:.3f}",
                "taxable_cents": cents(base),
                "tax_cents": cents(tax),
            }
        )
    tax_cents = sum(t["tax_cents"] for t in taxes)
    if prices_include_tax:
        return Totals(gross - tax_cents, tax_cents, gross, taxes)
    return Totals(gross, tax_cents, gross + tax_cents, taxes)


def split_amount(amount_cents: int, invoice_taxes: list[dict], invoice_total: int) -> dict:
    """A refund's credit note: ``amount_cents`` (tax included) split like the invoice, so the
    credit carries the same share of each rate. Returns {subtotal_cents, tax_cents, taxes}."""
    taxes = []
    for t in invoice_taxes:
        share = Decimal(amount_cents) / invoice_total if invoice_total else Decimal(0)
        taxes.append(
            {
                **{k: t[k] for k in ("code", "name", "rate")},
                "taxable_cents": cents(t["taxable_cents"] * share),
                "tax_cents": cents(t["tax_cents"] * share),
            }
        )
    tax = sum(t["tax_cents"] for t in taxes)
    return {"subtotal_cents": amount_cents - tax, "tax_cents": tax, "taxes": taxes}
