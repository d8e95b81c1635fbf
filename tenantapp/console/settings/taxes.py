"""Settings → Taxes: the tax rates invoices use (``tax_rates`` of ``PATCH /admin/settings``,
admin), the tax number printed on invoices and whether prices include tax.

The rates are a table, one row per rate plus an empty row to add one; "Remove" drops a row.
Invoices snapshot the rates when they are issued (docs/invoicing.md): a change applies to
invoices issued from then on. Errors of a row's field (``tax_rates.<n>.rate``) go beside it;
the list's own rules (at most 4 active, unique codes) above the table.
"""

from __future__ import annotations

from flask import request

from tenantapp.console import forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.settings import common
from tenantapp.settings import service
from tenantapp.settings.schemas import MAX_ACTIVE_TAX_RATES

HERE = "console.settings_taxes"
TEXTS = ("code", "name", "rate", "registration_number", "accounting_code")
FLAGS = ("applies_to_add_ons", "active")
MAX_ROWS = 13  # the API's 12 and the empty row


def _posted_rows() -> list[dict]:
    """The table as posted: every row, with its form index."""
    rows = []
    for i in range(MAX_ROWS):
        if f"tax_rates.{i}.code" not in request.form:
            break
        row = {k: forms.text(f"tax_rates.{i}.{k}").strip() for k in TEXTS}
        row.update({k: request.form.get(f"tax_rates.{i}.{k}") == "1" for k in (*FLAGS, "remove")})
        rows.append(row)
    return rows


def _body() -> dict:
    """``tax_rates`` (the kept, non-empty rows, in order), ``tax_number`` and
    ``prices_include_tax``, as the API's JSON would carry them."""
    rates = []
    for row in _posted_rows():
        if row["remove"] or not any(row[k] for k in TEXTS):
            continue
        rate = {k: row[k] for k in ("code", "name", "rate")}
        rate |= {k: row[k] or None for k in ("registration_number", "accounting_code")}
        rates.append(rate | {k: row[k] for k in FLAGS})
    body = common.settings_body(("tax_number",), nullable=("tax_number",))
    return body | {"tax_rates": rates, "prices_include_tax": "prices_include_tax" in request.form}


def _kept_index() -> dict[int, int]:
    """Index in the body's ``tax_rates`` → index of the row in the form (rows left out shift)."""
    kept = [
        i
        for i, row in enumerate(_posted_rows())
        if not row["remove"] and any(row[k] for k in TEXTS)
    ]
    return dict(enumerate(kept))


def _fields() -> list[str]:
    return [
        "tax_rates",
        "tax_number",
        *(f"tax_rates.{i}.{k}" for i in range(MAX_ROWS) for k in TEXTS),
    ]


def _page(status=200, errors=None, summary=None, values=None):
    row = service.get_settings()
    if request.method == "POST":
        rows = [r for r in _posted_rows() if not r["remove"]]
        tax_number = forms.text("tax_number")
        included = "prices_include_tax" in request.form
        errors = _to_form_rows(errors or {})
    else:
        rows = [
            {k: r.get(k) or "" for k in TEXTS} | {k: r[k] for k in FLAGS} for r in row.tax_rates
        ]
        tax_number, included = row.tax_number or "", row.prices_include_tax
    if not rows or any(rows[-1][k] for k in TEXTS):
        rows.append({**dict.fromkeys(TEXTS, ""), "applies_to_add_ons": True, "active": True})
    return common.page(
        "taxes.html",
        HERE,
        status=status,
        rows=rows[:MAX_ROWS],
        tax_number=tax_number,
        prices_include_tax=included,
        max_active=MAX_ACTIVE_TAX_RATES,
        errors=errors or {},
        summary=(errors or {}).get("tax_rates") or summary,
    )


def _to_form_rows(errors: dict[str, str]) -> dict[str, str]:
    """The API's ``tax_rates.<n>.<field>`` (n in the list sent) → the form row's input name."""
    kept, out = _kept_index(), {}
    for name, message in errors.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "tax_rates" and parts[1].isdigit():
            name = f"tax_rates.{kept.get(int(parts[1]), parts[1])}.{parts[2]}"
        out[name] = message
    return out


@blp.get("/settings/taxes")
@console_page("admin")
def settings_taxes():
    return _page()


@blp.post("/settings/taxes")
@console_page("admin")
def save_taxes():
    return common.save_settings(_body, HERE, "taxes", _page, _fields())
