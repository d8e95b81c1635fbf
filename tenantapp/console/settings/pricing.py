"""Settings → Pricing: the whole pricing config of ``GET/PUT /admin/pricing`` (admin) as one
form, saved by ``pricing.service.update_pricing`` (a new version; ``expected_version`` guards a
change made meanwhile: 409 as a message).

Every input is named by the config path the API reports errors at (``config.rate``,
``config.base_hours.3.hours``), so the API's messages land beside their inputs. Lists are
tables with two empty rows to add to; an emptied row is dropped, and the API's row numbers (in
the list sent) are mapped back to the form's rows. Add-ons are reported by name
(``config.add_ons.flags.oven``) and mapped to that row. Money (the rate, add-on prices) is typed
and stored as the API stores it: a decimal string in currency units ("35.00"), not cents.
"""

from __future__ import annotations

from flask import redirect, request, url_for

from shared.errors import AppError
from tenantapp.console import forms
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.settings import common
from tenantapp.pricing import service
from tenantapp.pricing.config import FREQUENCIES, SERVICE_TYPES

HERE = "console.settings_pricing"
SCALARS = ("currency", "rate", "minimum_cleaner_hours", "time_on_site_step_hours")
# list path → (columns, the integer columns)
TABLES = {
    "team_size.thresholds": (("max_cleaner_hours", "size"), ("size",)),
    "heavy_grease_hours.by_beds": (("max_beds", "hours"), ("max_beds",)),
    "base_hours": (("beds", "baths", "hours"), ("beds", "baths")),
}
ADD_ONS = ("flags", "per_unit")
ADD_ON_COLUMNS = ("name", "price")
SPARE_ROWS = 2
MAX_ROWS = 200


def _rows(path: str, columns) -> list[dict[str, str]]:
    """A table as posted (every row, empty ones too)."""
    rows = []
    for i in range(MAX_ROWS):
        if f"config.{path}.{i}.{columns[0]}" not in request.form:
            break
        rows.append({c: forms.text(f"config.{path}.{i}.{c}").strip() for c in columns})
    return rows


class _Form:
    """The posted form as the API's config, remembering which form row each item came from."""

    def __init__(self) -> None:
        self.kept: dict[str, dict[int, int]] = {}
        self.names: dict[str, dict[str, int]] = {}
        self.problems: dict[str, str] = {}
        text = {p: forms.text(f"config.{p}").strip() for p in SCALARS + ("multi_floor_hours",)}
        self.config: dict = dict(text)
        self.config["service_multipliers"] = {
            k: forms.text(f"config.service_multipliers.{k}").strip() for k in SERVICE_TYPES
        }
        self.config["frequency_discount_percent"] = {
            k: forms.text(f"config.frequency_discount_percent.{k}").strip() for k in FREQUENCIES
        }
        lists = {path: self._list(path, *spec) for path, spec in TABLES.items()}
        self.config["team_size"] = {
            "thresholds": lists["team_size.thresholds"],
            "otherwise": forms.number(forms.text("config.team_size.otherwise")),
        }
        self.config["heavy_grease_hours"] = {
            "by_beds": lists["heavy_grease_hours.by_beds"],
            "otherwise": forms.text("config.heavy_grease_hours.otherwise").strip(),
        }
        self.config["base_hours"] = lists["base_hours"]
        self.config["add_ons"] = {kind: self._add_ons(kind) for kind in ADD_ONS}

    def _list(self, path: str, columns, integers) -> list[dict]:
        out, kept = [], {}
        for i, row in enumerate(_rows(path, columns)):
            if not any(row.values()):
                continue
            kept[len(out)] = i
            out.append({c: forms.number(v) if c in integers else v for c, v in row.items()})
        self.kept[path] = kept
        return out

    def _add_ons(self, kind: str) -> dict[str, str]:
        prices, names = {}, {}
        for i, row in enumerate(_rows(f"add_ons.{kind}", ADD_ON_COLUMNS)):
            if not any(row.values()):
                continue
            if row["name"] in names:  # a JSON object cannot say it twice: the form must
                self.problems[f"config.add_ons.{kind}.{i}.name"] = "This name is listed twice."
                continue
            names[row["name"]] = i
            prices[row["name"]] = row["price"]
        self.names[kind] = names
        return prices

    def input_of(self, field: str, message: str) -> str:
        """The form input (or row, or table) for an error the API reports at ``field``."""
        path = field.removeprefix("config.")
        for table in TABLES:
            if path.startswith(table + "."):
                index, _, rest = path[len(table) + 1 :].partition(".")
                if index.isdigit():
                    row = self.kept[table].get(int(index), index)
                    return f"config.{table}.{row}" + (f".{rest}" if rest else "")
        for kind in ADD_ONS:
            prefix = f"add_ons.{kind}."
            if path.startswith(prefix) and path[len(prefix) :] in self.names.get(kind, {}):
                row = self.names[kind][path[len(prefix) :]]
                column = "name" if message.startswith("Names are") else "price"
                return f"config.add_ons.{kind}.{row}.{column}"
        return field


def _form_rows(config: dict) -> dict[str, list[dict]]:
    """The tables of a config (stored or posted) as rows of text, with the empty rows to add."""
    rows = {
        "team_size.thresholds": config["team_size"]["thresholds"],
        "heavy_grease_hours.by_beds": config["heavy_grease_hours"]["by_beds"],
        "base_hours": config["base_hours"],
    }
    rows = {path: [dict(r) for r in items] for path, items in rows.items()}
    for kind in ADD_ONS:
        rows[f"add_ons.{kind}"] = [
            {"name": name, "price": price} for name, price in config["add_ons"][kind].items()
        ]
    for path, items in rows.items():
        columns = TABLES[path][0] if path in TABLES else ADD_ON_COLUMNS
        items.extend({c: "" for c in columns} for _ in range(SPARE_ROWS))
    return rows


def _posted_config() -> tuple[dict, dict[str, list[dict]]]:
    """What was typed, for showing the form again: scalars and the tables' rows as posted."""
    tables = {path: _rows(path, spec[0]) for path, spec in TABLES.items()}
    for kind in ADD_ONS:
        tables[f"add_ons.{kind}"] = _rows(f"add_ons.{kind}", ADD_ON_COLUMNS)
    return _Form().config, tables


def _page(status=200, errors=None, summary=None):
    current = service.get_current_config()
    if request.method == "POST":
        config, tables = _posted_config()
        version = forms.text("expected_version")
    else:
        config, tables, version = current.config, _form_rows(current.config), current.version
    return common.page(
        "pricing.html",
        HERE,
        status=status,
        config=config,
        tables=tables,
        table_columns={p: s[0] for p, s in TABLES.items()},
        add_ons=ADD_ONS,
        service_types=SERVICE_TYPES,
        frequencies=FREQUENCIES,
        version=version,
        current=current,
        errors=errors or {},
        summary=summary,
    )


def shown_keys(tables: dict[str, list[dict]]) -> set[str]:
    """Every key the page shows an error beside: inputs, rows and tables."""
    keys = {f"config.{p}" for p in (*SCALARS, "multi_floor_hours")}
    keys |= {f"config.service_multipliers.{k}" for k in SERVICE_TYPES}
    keys |= {f"config.frequency_discount_percent.{k}" for k in FREQUENCIES}
    keys |= {"config.team_size.otherwise", "config.heavy_grease_hours.otherwise"}
    for path, rows in tables.items():
        keys.add(f"config.{path}")
        for i, row in enumerate(rows):
            keys.add(f"config.{path}.{i}")
            keys |= {f"config.{path}.{i}.{c}" for c in row}
    return keys


@blp.get("/settings/pricing")
@console_page("admin")
def settings_pricing():
    return _page()


@blp.post("/settings/pricing")
@console_page("admin")
def save_pricing():
    form = _Form()
    version = forms.number(forms.text("expected_version"))
    try:
        if form.problems:
            return _page(422, form.problems)
        service.update_pricing(form.config, version if isinstance(version, int) else None)
    except AppError as exc:
        if exc.status == 404 and not exc.extra.get("errors"):
            raise
        shown = shown_keys(_posted_config()[1])
        errors, leftovers = {}, []
        for item in exc.extra.get("errors", []):
            key = form.input_of(item.get("field") or "", item["message"])
            if key in shown:
                errors.setdefault(key, item["message"])
            else:
                leftovers.append(f"{item.get('field')}: {item['message']}")
        summary = "; ".join(leftovers) or exc.detail
        return _page(exc.status, errors, summary)
    return redirect(url_for(HERE, done="pricing"), 303)
