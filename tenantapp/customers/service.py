"""Customers and their properties (SPEC §5.3, §5.9).

Leads attach to a customer found by normalised e-mail, else E.164 phone, else a new one; staff
create and edit customers and the properties they own. A property that leads or bookings point
at is archived, never deleted (the foreign keys decide, so this package needs no import of the
features above it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import phonenumbers
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from shared import db
from shared.errors import Conflict, NotFound, field_error
from shared.pagination import decode_cursor, page
from tenantapp.audit.service import changes, record
from tenantapp.customers.models import Customer, Property
from tenantapp.settings.models import TenantSettings

DEFAULT_REGION = "CA"  # SPEC §5.1's default; a tenant's ``country`` setting replaces it
MAX_TAGS, MAX_TAG_LENGTH = 20, 50
PROPERTY_FIELDS = (
    "address",
    "postal_code",
    "access_notes",
    "key_notes",
    "parking",
    "pets",
    "allergies",
    "home",
    "notes",
)


def _now() -> datetime:
    return datetime.now(UTC)


def jsonable(value):
    """``value`` with Decimals (an estimate request's baths) as JSON numbers."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def normalise_email(email: str | None) -> str | None:
    """Trimmed, lower-cased e-mail (None and blank are None)."""
    return email.strip().lower() or None if email else None


def phone_region() -> str:
    """The tenant's ``country`` setting: the region of numbers written without ``+``."""
    settings = db.session().get(TenantSettings, 1)
    return getattr(settings, "country", None) or DEFAULT_REGION


def normalise_phone(raw: str, field: str = "phone", region: str | None = None) -> str:
    """E.164 form of ``raw`` (national formats read in the tenant's country) or a 422."""
    try:
        number = phonenumbers.parse(raw, region or phone_region())
    except phonenumbers.NumberParseException as exc:
        raise field_error(field, "phone is not a valid phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise field_error(field, "phone is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def match_or_create(sess, name: str, email: str | None, phone: str) -> Customer:
    """The customer with this e-mail, else with this phone, else a new one."""
    if email:
        found = sess.scalar(select(Customer).where(Customer.email == email))
        if found is not None:
            return found
    found = sess.scalar(
        select(Customer).where(Customer.phone == phone).order_by(Customer.id).limit(1)
    )
    if found is not None:
        if email and found.email is None:
            found.email = email
        return found
    if email:
        # Two leads with a new e-mail at once: the unique index decides, both attach to one row.
        sess.execute(
            insert(Customer)
            .values(name=name, email=email, phone=phone)
            .on_conflict_do_nothing(
                index_elements=["email"], index_where=Customer.email.isnot(None)
            )
        )
        return sess.scalar(select(Customer).where(Customer.email == email))
    customer = Customer(name=name, email=None, phone=phone)
    sess.add(customer)
    sess.flush()
    return customer


# ------------------------------------------------------------------------------------ customers
def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_customers(limit: int, cursor: str | None, q: str | None = None) -> dict:
    """A page of customers, newest first; ``q`` keeps those whose name or e-mail contains it
    (any case) or whose phone contains its digits (any format, 3 digits or more).

    A plain filter: the indexed, ranked search box is ``/admin/search``."""
    stmt = select(Customer).order_by(Customer.id.desc()).limit(limit + 1)
    if q and q.strip():
        contains = "%" + _like(q.strip().lower()) + "%"
        conditions = [
            func.lower(Customer.name).like(contains, escape="\\"),
            Customer.email.like(contains, escape="\\"),
        ]
        if len(_digits(q)) >= 3:
            conditions.append(Customer.phone.like("%" + _digits(q) + "%"))
        stmt = stmt.where(or_(*conditions))
    after = decode_cursor(cursor, int)
    if after:
        stmt = stmt.where(Customer.id < after[0])
    rows = list(db.session().scalars(stmt))
    return page(rows, limit, lambda c: [c.id])


def _tags(tags: list[str]) -> list[str]:
    """Trimmed, lower-cased, without duplicates, in the order given."""
    out: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if tag and tag not in out:
            out.append(tag)
    return out


def _contact(data: dict) -> dict:
    """Normalised e-mail, phone and tags of a create or patch body (only the keys given)."""
    out = {}
    if "email" in data:
        out["email"] = normalise_email(data["email"])
    if "phone" in data:
        out["phone"] = normalise_phone(data["phone"]) if data["phone"] else None
    if "tags" in data:
        out["tags"] = _tags(data["tags"] or [])
    return out


def _email_taken(tx, email: str | None, customer_id: int | None = None) -> None:
    if not email:
        return
    stmt = select(Customer.id).where(Customer.email == email)
    if customer_id is not None:
        stmt = stmt.where(Customer.id != customer_id)
    other = tx.scalar(stmt)
    if other is not None:
        raise Conflict(f"Customer {other} already has this e-mail address.")


def _sms_consent(customer: Customer, opt_in: bool, source: str, now: datetime) -> None:
    """Record a change of SMS consent with where and when it was given or withdrawn."""
    if customer.sms_opt_in != opt_in or customer.sms_opt_in_at is None:
        customer.sms_opt_in, customer.sms_opt_in_source, customer.sms_opt_in_at = (
            opt_in,
            source,
            now,
        )


def create_customer(data: dict) -> Customer:
    """A customer entered by staff (a phone-in): e-mail or phone required; a known e-mail → 409."""
    fields = {**data, **_contact(data)}
    if not fields.get("email") and not fields.get("phone"):
        raise field_error("phone", "give a phone number or an e-mail address")
    with db.transaction() as tx:
        _email_taken(tx, fields.get("email"))
        customer = Customer(
            name=fields["name"].strip(),
            email=fields.get("email"),
            phone=fields.get("phone"),
            notes=fields.get("notes"),
            tags=fields.get("tags") or [],
            auto_charge=bool(fields.get("auto_charge")),
        )
        if fields.get("sms_opt_in"):
            _sms_consent(customer, True, "staff", _now())
        tx.add(customer)
        try:
            tx.flush()
        except IntegrityError as exc:  # a concurrent create with the same e-mail
            raise Conflict("Another customer already has this e-mail address.") from exc
        record(tx, "customer.create", "customer", customer.id, after=customer_fields(customer))
    return customer


def customer_fields(c: Customer) -> dict:
    return {
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "notes": c.notes,
        "tags": list(c.tags or []),
        "sms_opt_in": c.sms_opt_in,
        "auto_charge": c.auto_charge,
    }


def _locked_customer(tx, customer_id: int) -> Customer:
    customer = tx.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def update_customer(customer_id: int, data: dict) -> Customer:
    """Edit a customer; audited with what changed. An erased customer cannot be edited (409)."""
    fields = {**data, **_contact(data)}
    with db.transaction() as tx:
        customer = _locked_customer(tx, customer_id)
        if customer.anonymized_at is not None:
            raise Conflict("This customer's data was erased; create a new customer.")
        if "name" in fields:
            fields["name"] = fields["name"].strip()
        email = fields.get("email", customer.email)
        phone = fields.get("phone", customer.phone)
        if not email and not phone:
            raise field_error("phone", "a customer keeps a phone number or an e-mail address")
        _email_taken(tx, fields.get("email"), customer.id)
        opt_in = fields.pop("sms_opt_in", None)
        editable = ("name", "email", "phone", "notes", "tags", "auto_charge")
        before, after = changes(customer, {k: fields[k] for k in editable if k in fields})
        if opt_in is not None and opt_in != customer.sms_opt_in:
            before["sms_opt_in"], after["sms_opt_in"] = customer.sms_opt_in, opt_in
            _sms_consent(customer, opt_in, "staff", _now())
        if after:
            try:
                tx.flush()
            except IntegrityError as exc:
                raise Conflict("Another customer already has this e-mail address.") from exc
            record(tx, "customer.update", "customer", customer.id, before, after)
    return customer


# ----------------------------------------------------------------------------------- properties
def get_customer(customer_id: int) -> Customer:
    customer = db.session().get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def list_properties(customer_id: int, include_archived: bool = False) -> list[Property]:
    """The customer's properties, oldest first (archived ones only when asked)."""
    get_customer(customer_id)
    stmt = select(Property).where(Property.customer_id == customer_id).order_by(Property.id)
    if not include_archived:
        stmt = stmt.where(Property.archived_at.is_(None))
    return list(db.session().scalars(stmt))


def _property(tx, customer_id: int, property_id: int, *, lock: bool = False) -> Property:
    stmt = select(Property).where(Property.id == property_id, Property.customer_id == customer_id)
    found = tx.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound("No such property.")
    return found


def property_fields(p: Property) -> dict:
    return {name: getattr(p, name) for name in PROPERTY_FIELDS}


def create_property(customer_id: int, data: dict) -> Property:
    """A new property of the customer; audited."""
    with db.transaction() as tx:
        customer = _locked_customer(tx, customer_id)
        if customer.anonymized_at is not None:
            raise Conflict("This customer's data was erased.")
        prop = Property(customer_id=customer.id, **{k: data.get(k) for k in PROPERTY_FIELDS})
        tx.add(prop)
        tx.flush()
        record(tx, "property.create", "property", prop.id, after=property_fields(prop))
    return prop


def update_property(customer_id: int, property_id: int, data: dict) -> Property:
    """Edit a property; ``archived`` archives or restores it. Audited."""
    with db.transaction() as tx:
        prop = _property(tx, customer_id, property_id, lock=True)
        before, after = changes(prop, {k: data[k] for k in PROPERTY_FIELDS if k in data})
        if "archived" in data and data["archived"] != (prop.archived_at is not None):
            before["archived"], after["archived"] = not data["archived"], data["archived"]
            prop.archived_at = _now() if data["archived"] else None
        if after:
            record(tx, "property.update", "property", prop.id, before, after)
    return prop


def delete_property(customer_id: int, property_id: int) -> Property | None:
    """Delete a property nothing points at (None); one that leads or bookings point at is
    archived instead and returned. Audited either way."""
    with db.transaction() as tx:
        prop = _property(tx, customer_id, property_id, lock=True)
        try:
            with tx.begin_nested():
                tx.delete(prop)
                tx.flush()
        except IntegrityError:  # a lead or booking points at it (foreign key)
            tx.expire(prop)
            if prop.archived_at is None:
                prop.archived_at = _now()
            record(tx, "property.archive", "property", property_id, after={"archived": True})
            return prop
        record(tx, "property.delete", "property", property_id, before=property_fields(prop))
    return None


def bookable_property(tx, customer_id: int, property_id: int, field: str = "property_id"):
    """The customer's live property for a new booking or lead, or a 422 on ``field``."""
    prop = tx.scalar(
        select(Property).where(Property.id == property_id, Property.customer_id == customer_id)
    )
    if prop is None:
        raise field_error(field, "No such property for this customer.")
    if prop.archived_at is not None:
        raise field_error(field, "This property is archived; restore it or pick another.")
    return prop


def _address_key(address: str | None, postal_code: str | None) -> tuple[str, str]:
    """The t0012 migration's key: trimmed, case-folded address; postal code without spaces."""
    return (
        (address or "").strip().lower(),
        (postal_code or "").replace(" ", "").upper(),
    )


def property_for_lead(tx, customer: Customer, data: dict, home: dict) -> Property:
    """The customer's property at the lead's address (same key as the t0012 migration), its
    details refreshed from the lead; else a new one. An archived match is restored."""
    key = _address_key(data.get("address"), data.get("postal_code"))
    for prop in tx.scalars(
        select(Property).where(Property.customer_id == customer.id).order_by(Property.id)
    ):
        if _address_key(prop.address, prop.postal_code) == key:
            break
    else:
        prop = Property(customer_id=customer.id)
        tx.add(prop)
    prop.address = (data.get("address") or "").strip() or prop.address
    prop.postal_code = (data.get("postal_code") or "").strip() or prop.postal_code
    for name in ("access_notes", "parking", "pets", "allergies"):
        if data.get(name):
            setattr(prop, name, data[name])
    prop.home = home
    prop.archived_at = None
    tx.flush()
    return prop
