"""Reading a client list and applying it (the job's work).

1. Decode: UTF-8 (a BOM is dropped); a file that is not valid UTF-8 is read as Windows-1252
   (Excel's "CSV" on Windows) and the import says so in ``encoding``.
2. Match the header row (line 1) to fields (``columns.py``); no name column → the import fails.
3. Check each row: a name (or first + last), a valid e-mail, a phone valid in the tenant's
   country; every problem is an error ``{line, field, message}`` (1-based file line) and the row
   is skipped. Cells are text, never evaluated (exports escape formula cells on the way out).
4. Dedupe by e-mail, then by phone, against existing customers and earlier rows of the file:
   a match is merged (empty e-mail/phone/notes filled, a new address added as a property), else
   a customer is created. A dry run stops before writing anything.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from sqlalchemy import select

from tenantapp.customers.models import Customer, Property
from tenantapp.imports.columns import match_columns

MAX_ERRORS = 1000  # an import of 10 000 bad rows reports the first thousand problems
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PROGRESS_EVERY = 500


class ImportFailed(Exception):
    """The file as a whole cannot be imported (no header, no name column)."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


@dataclass
class Row:
    line: int
    name: str
    email: str | None
    phone: str | None
    address: str | None
    postal_code: str | None
    notes: str | None


@dataclass
class Outcome:
    encoding: str
    rows: int = 0
    created: int = 0
    merged: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)

    def error(self, line: int, field_name: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "field": field_name, "message": message})


def decode(content: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 with or without BOM, else Windows-1252 (Latin-1 as last)."""
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return content.decode("latin-1"), "latin-1"


def _dialect(text: str):
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return {"delimiter": delimiter if first.count(delimiter) else ","}


def _cell(values: list[str], indexes: list[int] | None) -> str | None:
    for index in indexes or ():
        if index < len(values) and values[index].strip():
            return " ".join(values[index].split())
    return None


def _phone(raw: str, country: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_rows(text: str, country: str, outcome: Outcome) -> list[Row]:
    """Valid rows of the file; problems go to ``outcome`` (and their rows are skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), **_dialect(text))
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportFailed("The file is empty.", [_err(1, "file", "the file is empty")]) from None
    except csv.Error as exc:
        raise ImportFailed("The header row cannot be read.", [_err(1, "file", str(exc))]) from exc
    cols = match_columns(headers)
    if "name" not in cols and "first_name" not in cols and "last_name" not in cols:
        raise ImportFailed(
            "No name column.",
            [_err(1, "header", "no column for the name (Name, or First name and Last name)")],
        )
    rows: list[Row] = []
    line = reader.line_num + 1  # the file line the next record starts on
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            outcome.rows += 1
            outcome.skipped += 1
            outcome.error(line, "row", f"unreadable row: {exc}")
            line = reader.line_num + 1
            continue
        start, line = line, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        outcome.rows += 1
        row = _check(values, cols, start, country, outcome)
        if row is None:
            outcome.skipped += 1
        else:
            rows.append(row)
    return rows


def _err(line: int, field_name: str, message: str) -> dict:
    return {"line": line, "field": field_name, "message": message}


def _check(values, cols, line: int, country: str, outcome: Outcome) -> Row | None:
    problems = []
    name = _cell(values, cols.get("name"))
    if not name:
        parts = [_cell(values, cols.get("first_name")), _cell(values, cols.get("last_name"))]
        name = " ".join(p for p in parts if p) or None
    if not name:
        problems.append(("name", "a name (or first and last name) is required"))
    elif len(name) > 200:
        problems.append(("name", "the name is longer than 200 characters"))
    email = _cell(values, cols.get("email"))
    if email:
        email = email.lower()
        if len(email) > 320 or not EMAIL_RE.match(email):
            problems.append(("email", f"{email!r} is not an e-mail address"))
    phone_raw = _cell(values, cols.get("phone"))
    phone = None
    if phone_raw:
        phone = _phone(phone_raw, country)
        if phone is None:
            problems.append(("phone", f"{phone_raw!r} is not a valid phone number"))
    street = ", ".join(
        p
        for p in (
            _cell(values, cols.get("street")),
            _cell(values, cols.get("street2")),
            _cell(values, cols.get("city")),
            _cell(values, cols.get("region")),
        )
        if p
    )
    postal = _cell(values, cols.get("postal_code"))
    notes = _cell(values, cols.get("notes"))
    if len(street) > 500:
        problems.append(("address", "the address is longer than 500 characters"))
    if postal and len(postal) > 16:
        problems.append(("postal_code", "the postal code is longer than 16 characters"))
    for field_name, message in problems:
        outcome.error(line, field_name, message)
    if problems:
        return None
    return Row(line, name, email, phone, street or None, postal, notes)


def _place_key(address: str | None, postal: str | None) -> tuple[str, str]:
    return ((address or "").strip().lower(), (postal or "").replace(" ", "").upper())


@dataclass
class _Target:
    customer: Customer | None  # None: a row planned in a dry run
    places: set = field(default_factory=set)


def apply_rows(
    sess, rows: list[Row], outcome: Outcome, *, write: bool, progress: Callable[[int], None]
) -> None:
    """Dedupe ``rows`` by e-mail then phone against the tenant's customers and each other;
    create or merge (only when ``write``), counting into ``outcome``."""
    by_email: dict[str, _Target] = {}
    by_phone: dict[str, _Target] = {}
    targets: dict[int, _Target] = {}
    existing = sess.execute(
        select(Customer.id, Customer.email, Customer.phone).where(Customer.anonymized_at.is_(None))
    ).all()
    for cid, email, phone in existing:
        target = targets.setdefault(cid, _Target(None))
        if email:
            by_email.setdefault(email, target)
        if phone:
            by_phone.setdefault(phone, target)
    known_places = {}
    if write:
        for cid, address, postal in sess.execute(
            select(Property.customer_id, Property.address, Property.postal_code)
        ):
            known_places.setdefault(cid, set()).add(_place_key(address, postal))
    ids_of = {id(t): cid for cid, t in targets.items()}
    pending: list[tuple[_Target, Row]] = []
    for n, row in enumerate(rows, 1):
        target = (by_email.get(row.email) if row.email else None) or (
            by_phone.get(row.phone) if row.phone else None
        )
        if target is None:
            target = _Target(None)
            outcome.created += 1
            if write:
                target.customer = Customer(
                    name=row.name, email=row.email, phone=row.phone, notes=row.notes
                )
                sess.add(target.customer)
        else:
            outcome.merged += 1
            if write:
                _merge(sess, target, ids_of, row, known_places)
        if row.email:
            by_email.setdefault(row.email, target)
        if row.phone:
            by_phone.setdefault(row.phone, target)
        if write and (row.address or row.postal_code):
            key = _place_key(row.address, row.postal_code)
            if key not in target.places:
                target.places.add(key)
                pending.append((target, row))
        if n % PROGRESS_EVERY == 0:
            if write:
                _flush(sess, pending)
            progress(n)
    if write:
        _flush(sess, pending)
    progress(len(rows))


def _flush(sess, pending: list) -> None:
    """Insert the new customers (ids come back in one batch), then their new properties."""
    sess.flush()
    sess.add_all(
        Property(customer_id=t.customer.id, address=r.address, postal_code=r.postal_code)
        for t, r in pending
    )
    sess.flush()
    pending.clear()


def _merge(sess, target: _Target, ids_of: dict, row: Row, known_places: dict) -> None:
    if target.customer is None:
        target.customer = sess.get(Customer, ids_of[id(target)])
        target.places = set(known_places.get(target.customer.id, set()))
    customer = target.customer
    if row.email and customer.email is None:
        customer.email = row.email
    if row.phone and customer.phone is None:
        customer.phone = row.phone
    if row.notes and not customer.notes:
        customer.notes = row.notes
