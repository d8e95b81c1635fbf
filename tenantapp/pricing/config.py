"""The pricing config document: its default, its validation and its canonical hash.

The config is stored as JSON with every decimal quantity written as a **string** (``"35.00"``,
``"1.35"``), so the canonical JSON — and therefore ``config_hash`` — is the same in every language
and never depends on float formatting. Validation accepts JSON numbers or decimal strings and
normalises them: money to two places, other decimals to at least one place (``"1.0"``, ``"0.5"``).
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.errors import ValidationFailed
from tenantapp.pricing.defaults import DEFAULT_CONFIG

__all__ = ["DEFAULT_CONFIG", "canonical_json", "config_hash", "validate_config"]

SERVICE_TYPES = ("standard", "deep", "move_out", "move_in")
FREQUENCIES = ("one_time", "weekly", "biweekly", "monthly")
MAX_BEDS = 10
MAX_BATHS = 10
ADD_ON_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
DECIMAL_TEXT = re.compile(r"^[0-9]{1,7}(\.[0-9]{1,6})?$")


def canonical_json(config: dict) -> str:
    """Sorted keys, compact separators: the bytes ``config_hash`` is taken over."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def config_hash(config: dict) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(config).encode()).hexdigest()


def decimal_text(value: Decimal, places: int | None = None) -> str:
    """``places`` fixed (money), else the value with trailing zeros dropped but one place kept."""
    if places is not None:
        return str(value.quantize(Decimal(1).scaleb(-places)))
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


class _Checker:
    """Walks a raw config, collecting every problem with its dotted path."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append({"field": path, "message": message})

    def obj(self, raw: Any, path: str, keys: tuple[str, ...]) -> dict | None:
        """A JSON object with exactly ``keys`` (unknown and missing keys are both reported)."""
        if not isinstance(raw, dict):
            self.fail(path, "Must be an object.")
            return None
        for key in raw:
            if key not in keys:
                self.fail(f"{path}.{key}", "Unknown field.")
        for key in keys:
            if key not in raw:
                self.fail(f"{path}.{key}", "Missing data for required field.")
        return raw

    def dec(
        self, raw: Any, path: str, *, places: int, low: Decimal, high: Decimal, low_open=False
    ) -> Decimal | None:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            self.fail(path, "Must be a number or a decimal string.")
            return None
        text = raw if isinstance(raw, str) else repr(raw)
        if isinstance(raw, int):
            text = str(raw)
        if not DECIMAL_TEXT.match(text):
            self.fail(path, "Must be a non-negative decimal number.")
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex already rules this out
            self.fail(path, "Must be a decimal number.")
            return None
        problem = None
        if -value.as_tuple().exponent > places and value != value.quantize(
            Decimal(1).scaleb(-places)
        ):
            problem = f"At most {places} decimal places."
        elif value < low or (low_open and value == low):
            problem = f"Must be greater than {low}." if low_open else f"Must be at least {low}."
        elif value > high:
            problem = f"Must be at most {high}."
        if problem:
            self.fail(path, problem)
            return None
        return value

    def get(self, row: dict, key: str, path: str, check, *args, **kwargs):
        """``check(row[key], path.key, ...)`` when present (a missing key was already reported)."""
        return check(row[key], f"{path}.{key}", *args, **kwargs) if key in row else None

    def int_(self, raw: Any, path: str, low: int, high: int) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, int):
            self.fail(path, "Must be an integer.")
            return None
        if not low <= raw <= high:
            self.fail(path, f"Must be between {low} and {high}.")
            return None
        return raw

    def items(self, raw: Any, path: str, low: int, high: int) -> list:
        if not isinstance(raw, list):
            self.fail(path, "Must be a list.")
            return []
        if not low <= len(raw) <= high:
            self.fail(path, f"Must have between {low} and {high} items.")
        return raw


HOURS = {"places": 2, "low": Decimal(0), "high": Decimal(100)}
MONEY = {"places": 2, "low": Decimal(0), "high": Decimal(100000)}


def validate_config(raw: Any, prefix: str = "config") -> dict:
    """Check a complete pricing config; return its normalised form or raise ``ValidationFailed``
    listing every problem at once (dotted paths under ``prefix``)."""
    c = _Checker()
    out: dict[str, Any] = {}
    top = c.obj(raw, prefix, tuple(DEFAULT_CONFIG))
    if top is None:
        raise ValidationFailed(c.errors)
    p = prefix

    def money(value, path):
        d = c.dec(value, path, **MONEY)
        return None if d is None else decimal_text(d, 2)

    def hours(value, path, positive=False):
        d = c.dec(value, path, **HOURS, low_open=positive)
        return None if d is None else decimal_text(d)

    if "currency" in top:
        if isinstance(top["currency"], str) and CURRENCY.match(top["currency"]):
            out["currency"] = top["currency"]
        else:
            c.fail(f"{p}.currency", "Must be a three-letter upper-case ISO 4217 code.")
    if "rate" in top:
        out["rate"] = money(top["rate"], f"{p}.rate")
    if "minimum_cleaner_hours" in top:
        out["minimum_cleaner_hours"] = hours(
            top["minimum_cleaner_hours"], f"{p}.minimum_cleaner_hours"
        )
    if "time_on_site_step_hours" in top:
        out["time_on_site_step_hours"] = hours(
            top["time_on_site_step_hours"], f"{p}.time_on_site_step_hours", positive=True
        )
    if "multi_floor_hours" in top:
        out["multi_floor_hours"] = hours(top["multi_floor_hours"], f"{p}.multi_floor_hours")
    if "team_size" in top:
        out["team_size"] = _team_size(c, top["team_size"], f"{p}.team_size")
    if "service_multipliers" in top:
        path = f"{p}.service_multipliers"
        got = c.obj(top["service_multipliers"], path, SERVICE_TYPES) or {}
        out["service_multipliers"] = {
            k: _text(
                c.dec(
                    got[k], f"{path}.{k}", places=3, low=Decimal(0), high=Decimal(10), low_open=True
                )
            )
            for k in SERVICE_TYPES
            if k in got
        }
    if "frequency_discount_percent" in top:
        path = f"{p}.frequency_discount_percent"
        got = c.obj(top["frequency_discount_percent"], path, FREQUENCIES) or {}
        out["frequency_discount_percent"] = {
            k: _text(c.dec(got[k], f"{path}.{k}", places=2, low=Decimal(0), high=Decimal(100)))
            for k in FREQUENCIES
            if k in got
        }
    if "heavy_grease_hours" in top:
        out["heavy_grease_hours"] = _heavy_grease(
            c, top["heavy_grease_hours"], f"{p}.heavy_grease_hours"
        )
    if "base_hours" in top:
        out["base_hours"] = _base_hours(c, top["base_hours"], f"{p}.base_hours")
    if "add_ons" in top:
        out["add_ons"] = _add_ons(c, top["add_ons"], f"{p}.add_ons", money)
    if c.errors:
        raise ValidationFailed(c.errors, detail="The pricing config has invalid fields.")
    return out


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _team_size(c: _Checker, raw: Any, path: str) -> dict:
    got = c.obj(raw, path, ("thresholds", "otherwise")) or {}
    rows, prev = [], None
    for i, item in enumerate(c.items(got.get("thresholds", []), f"{path}.thresholds", 0, 10)):
        ipath = f"{path}.thresholds.{i}"
        row = c.obj(item, ipath, ("max_cleaner_hours", "size")) or {}
        limit = c.get(row, "max_cleaner_hours", ipath, c.dec, **HOURS, low_open=True)
        size = c.get(row, "size", ipath, c.int_, 1, 20)
        if limit is not None and size is not None:
            if prev and (limit <= prev[0] or size <= prev[1]):
                c.fail(ipath, "Thresholds must rise in both max_cleaner_hours and size.")
            prev = (limit, size)
            rows.append({"max_cleaner_hours": decimal_text(limit), "size": size})
    otherwise = c.get(got, "otherwise", path, c.int_, 1, 20)
    if otherwise is not None and prev and otherwise <= prev[1]:
        c.fail(f"{path}.otherwise", "Must be larger than the last threshold's size.")
    return {"thresholds": rows, "otherwise": otherwise}


def _heavy_grease(c: _Checker, raw: Any, path: str) -> dict:
    got = c.obj(raw, path, ("by_beds", "otherwise")) or {}
    rows, prev = [], None
    for i, item in enumerate(c.items(got.get("by_beds", []), f"{path}.by_beds", 0, MAX_BEDS + 1)):
        ipath = f"{path}.by_beds.{i}"
        row = c.obj(item, ipath, ("max_beds", "hours")) or {}
        beds = c.get(row, "max_beds", ipath, c.int_, 0, MAX_BEDS)
        extra = c.get(row, "hours", ipath, c.dec, **HOURS)
        if beds is not None:
            if prev is not None and beds <= prev:
                c.fail(f"{ipath}.max_beds", "Must be larger than the previous row's max_beds.")
            prev = beds
        if beds is not None and extra is not None:
            rows.append({"max_beds": beds, "hours": decimal_text(extra)})
    otherwise = c.get(got, "otherwise", path, c.dec, **HOURS)
    return {"by_beds": rows, "otherwise": _text(otherwise)}


def _base_hours(c: _Checker, raw: Any, path: str) -> list:
    rows, seen = [], set()
    for i, item in enumerate(c.items(raw, path, 1, (MAX_BEDS + 1) * (MAX_BATHS + 1))):
        ipath = f"{path}.{i}"
        row = c.obj(item, ipath, ("beds", "baths", "hours")) or {}
        beds = c.get(row, "beds", ipath, c.int_, 0, MAX_BEDS)
        baths = c.get(row, "baths", ipath, c.int_, 0, MAX_BATHS)
        value = c.get(row, "hours", ipath, c.dec, **HOURS, low_open=True)
        if beds is not None and baths is not None:
            if (beds, baths) in seen:
                c.fail(ipath, f"Duplicate row for beds={beds}, baths={baths}.")
            seen.add((beds, baths))
            if value is not None:
                rows.append({"beds": beds, "baths": baths, "hours": decimal_text(value)})
    rows.sort(key=lambda r: (r["beds"], r["baths"]))
    return rows


def _add_ons(c: _Checker, raw: Any, path: str, money) -> dict:
    got = c.obj(raw, path, ("flags", "per_unit")) or {}
    out: dict[str, dict] = {}
    for kind in ("flags", "per_unit"):
        if kind not in got:
            continue
        prices = got[kind]
        if not isinstance(prices, dict):
            c.fail(f"{path}.{kind}", "Must be an object of name → price.")
            continue
        if len(prices) > 50:
            c.fail(f"{path}.{kind}", "At most 50 add-ons.")
        out[kind] = {}
        for name, price in prices.items():
            if not ADD_ON_NAME.match(str(name)):
                c.fail(
                    f"{path}.{kind}.{name}",
                    "Names are 1-40 of a-z, 0-9 and _, starting with a letter.",
                )
                continue
            flags = got.get("flags")
            if kind == "per_unit" and isinstance(flags, dict) and name in flags:
                c.fail(f"{path}.{kind}.{name}", "Already defined as a flag add-on.")
            out[kind][name] = money(price, f"{path}.{kind}.{name}")
    return out
