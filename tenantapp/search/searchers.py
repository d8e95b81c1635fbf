"""One searcher per result type. Each returns at most ``q.limit`` hits, best first: exact, then a
word that starts with the query, then the query anywhere, then fuzzy (trigram similarity).

Every filter is served by an index of t0017/t0024: GIN trigram indexes
(``extensions.gin_trgm_ops``) for "anywhere" and similarity, b-tree ``text_pattern_ops`` indexes
for the start of names and e-mails (one- and two-character queries), booking ids, postal codes
and customers' phones (start and end). Fuzzy matches run only when the better ranks found
nothing of a type (the costlier pass); a query typed as a phone number is matched against
phones only (and addresses when it may be a house number). The SQL names the operator and function
schema-qualified (``OPERATOR(extensions.%)``, ``extensions.similarity``): the app role's search
path is ``cp_guard`` and the tables are reached through the tenant's translate map.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, case, cast, func, literal, or_, select

from shared import db
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
from tenantapp.invoices.models import Invoice
from tenantapp.leads.models import Lead
from tenantapp.search.query import CONTAINS, EXACT, FUZZY, PREFIX, SearchQuery
from tenantapp.settings.service import tenant_zone
from tenantapp.workers.models import Worker

PLACE_CANDIDATES = 300


@dataclass(frozen=True)
class Hit:
    type: str
    id: int
    title: str
    subtitle: str
    rank: int
    score: float = 0.0


def _similar(column, q: SearchQuery):
    return column.op("OPERATOR(extensions.%)")(q.text)


def _similarity(column, q: SearchQuery):
    return func.coalesce(func.extensions.similarity(column, q.text), 0.0)


def _text_rank(q: SearchQuery, columns, exact=(), contains=()):
    """CASE giving EXACT/PREFIX/CONTAINS for a row matched on ``columns`` (or ``exact`` and
    ``contains`` terms)."""
    exact_terms = [func.lower(c) == q.lowered for c in columns] + list(exact)
    return case(
        (or_(*exact_terms), EXACT),
        (or_(*[c.op("~*")(q.word_prefix) for c in columns]), PREFIX),
        (or_(*[c.ilike(q.contains) for c in columns], *contains), CONTAINS),
        else_=CONTAINS,
    )


def _text_filter(q: SearchQuery, columns, extra=()):
    """The query anywhere in ``columns`` (trigram indexes), or for a short query at the start
    of ``columns`` (b-tree prefix indexes on ``lower(column)``), or any ``extra`` term."""
    if q.short:
        terms = [func.lower(c).like(q.starts) for c in columns]
    else:
        terms = [c.ilike(q.contains) for c in columns]
    return or_(*terms, *extra)


def _phone_terms(q: SearchQuery, column):
    terms = []
    if q.phone:
        terms.append(column == q.phone)
    if q.phone_digits:
        terms.append(column.like(f"%{q.phone_digits}%"))
    return terms


def _name_email(q: SearchQuery, name, email) -> list:
    """The columns a query can be in: an e-mail has no spaces, a name no "@" (the e-mail
    trigram index is the costliest of a name search, and every "Olivia Smith" ran it)."""
    if "@" in q.text:
        return [email]
    if " " in q.text:
        return [name]
    return [name, email]


def _customer_phone_terms(q: SearchQuery):
    """A customer's phone (stored E.164) by b-tree indexes only: the whole number typed any way
    (equality), else its last digits ("555-0123": ``reverse(phone)`` prefix index) or its first
    national digits ("780 555": ``+1780555…``, the phone's prefix index). A trigram "contains"
    over 50 000 numbers that share most trigrams (+1780…) costs more than the whole search."""
    if q.phone:
        return [Customer.phone == q.phone]
    if not q.phone_digits:
        return []
    digits = q.phone_digits
    return [
        func.reverse(Customer.phone).like(digits[::-1] + "%"),
        Customer.phone.like(f"+{q.calling_code}{digits}%"),
    ]


def _best(hits: list[Hit], limit: int) -> list[Hit]:
    """One hit per id (its best rank), best first, at most ``limit``."""
    best: dict[int, Hit] = {}
    for hit in hits:
        kept = best.get(hit.id)
        if kept is None or (hit.rank, -hit.score) < (kept.rank, -kept.score):
            best[hit.id] = hit
    return sorted(best.values(), key=lambda h: (h.rank, -h.score, -h.id))[:limit]


def _fuzzy(q: SearchQuery, id_column, column, where, found: list[Hit], kind: str) -> list[Hit]:
    """The typo pass ("did you mean"): only when the better ranks found nothing of this type,
    the most similar rows, up to ``q.limit``. Filling a list that already has exact or prefix
    matches with look-alikes cost a trigram similarity scan of thousands of names per search
    (every "Olivia …" is 0.3-similar to "Olivia Smith") for rows below the ones wanted."""
    room = q.limit - len(found)
    if found or room <= 0 or not q.fuzzy:
        return found
    score = _similarity(column, q)
    stmt = (
        select(id_column, score.label("score"))
        .where(*where, _similar(column, q))
        .order_by(score.desc(), id_column.desc())
        .limit(room + len(found))
    )
    seen = {h.id for h in found}
    extra = [Hit(kind, i, "", "", FUZZY, s) for i, s in db.session().execute(stmt) if i not in seen]
    return found + extra[:room]


def _join(*parts) -> str:
    return " · ".join(p for p in parts if p)


def customers(q: SearchQuery) -> list[Hit]:
    """Customers by name, e-mail, phone (any format) or a property's address or postal code."""
    sess = db.session()
    active = Customer.anonymized_at.is_(None)
    phone_terms = _customer_phone_terms(q)
    if q.phone_digits:  # typed as a phone: matched as a phone, not inside names or e-mails
        exact = Customer.phone == q.phone if q.phone else literal(False)
        rank, matched = case((exact, EXACT), else_=PREFIX), or_(*phone_terms)
    else:
        exact_phone = [Customer.phone == q.phone] if q.phone else []
        columns = _name_email(q, Customer.name, Customer.email)
        rank = _text_rank(q, columns, exact=exact_phone)
        matched = _text_filter(q, columns, phone_terms)
    score = _similarity(Customer.name, q)
    own = (
        select(Customer.id, rank.label("rank"), score.label("score"))
        .where(active, matched)
        .order_by("rank", score.desc(), Customer.id.desc())
        .limit(q.limit)
    )
    found = [Hit("customer", r.id, "", "", r.rank, r.score) for r in sess.execute(own)]
    # Addresses: not for one or two characters, nor for a phone number (a house number has at
    # most 6 digits and no dashes or brackets).
    if not q.short and (q.phone_digits is None or q.house_number):
        postal = func.upper(func.replace(Property.postal_code, " ", ""))
        postal_exact = [postal == q.postal] if q.postal_like else []
        postal_terms = [postal.like(q.postal + "%")] if q.postal_like else []
        # At most PLACE_CANDIDATES matching properties are ranked: a street name shared by
        # thousands of homes ("Jasper") costs a regex and a similarity per row otherwise, for
        # rows that all rank alike; a house number or postal code narrows it.
        candidates = (
            select(Property.id)
            .where(or_(Property.address.ilike(q.contains), *postal_terms))
            .limit(PLACE_CANDIDATES)
            .scalar_subquery()
        )
        place_rank = _text_rank(q, [Property.address], exact=postal_exact)
        place_score = _similarity(Property.address, q)
        places = (
            select(Property.customer_id, place_rank.label("rank"), place_score.label("score"))
            .where(Property.id.in_(candidates))
            .order_by("rank", place_score.desc(), Property.customer_id.desc())
            .limit(q.limit * 2)
        )
        found += [
            Hit("customer", r.customer_id, "", "", r.rank, r.score) for r in sess.execute(places)
        ]
    ranked = _fuzzy(q, Customer.id, Customer.name, [active], _best(found, q.limit), "customer")
    if not ranked:
        return []
    ids = [h.id for h in ranked]
    first_address = (  # the first live property is the usual one
        select(Property.address)
        .where(Property.customer_id == Customer.id, Property.archived_at.is_(None))
        .order_by(Property.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = {
        r.id: r
        for r in sess.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.email,
                Customer.phone,
                first_address.label("address"),
            ).where(Customer.id.in_(ids), active)
        )
    }
    out = []
    for hit in ranked:
        c = rows.get(hit.id)
        if c is None:
            continue
        subtitle = _join(c.email, c.phone, c.address)
        out.append(Hit("customer", c.id, c.name, subtitle, hit.rank, hit.score))
    return out


def leads(q: SearchQuery) -> list[Hit]:
    """Leads by name, e-mail, phone, address or postal code (or their id)."""
    exact = [Lead.phone == q.phone] if q.phone else []
    extra = _phone_terms(q, Lead.phone)
    if q.digits and q.digits == q.text.lstrip("#") and len(q.digits) <= 18:
        exact.append(Lead.id == int(q.digits))
        extra.append(Lead.id == int(q.digits))
    columns = [Lead.name, Lead.email] if q.short else [Lead.name, Lead.email, Lead.address]
    if q.phone_digits:  # typed as a phone (or a lead id): not inside names, e-mails, addresses
        columns = [Lead.address] if q.house_number else []
    if columns:
        rank = _text_rank(q, columns, exact=exact)
    else:
        rank = case((or_(*exact), EXACT), else_=PREFIX) if exact else literal(PREFIX)
    score = _similarity(Lead.name, q)
    shown = (Lead.id, Lead.name, Lead.status, Lead.email, Lead.phone, Lead.address)
    stmt = (
        select(*shown, rank.label("rank"), score.label("score"))
        .where(_text_filter(q, columns, extra))
        .order_by("rank", score.desc(), Lead.id.desc())
        .limit(q.limit)
    )
    sess = db.session()
    rows = {r.id: r for r in sess.execute(stmt)}  # the shown columns come with the ranking
    found = [Hit("lead", r.id, "", "", r.rank, r.score) for r in rows.values()]
    found = _fuzzy(q, Lead.id, Lead.name, [], found, "lead")
    missing = [h.id for h in found if h.id not in rows]
    if missing:
        rows.update({r.id: r for r in sess.execute(select(*shown).where(Lead.id.in_(missing)))})
    return [
        Hit(
            "lead",
            h.id,
            rows[h.id].name,
            _join(
                f"Lead #{h.id}",
                rows[h.id].status,
                rows[h.id].email or rows[h.id].phone,
                rows[h.id].address,
            ),
            h.rank,
            h.score,
        )
        for h in found
        if h.id in rows
    ]


def bookings(q: SearchQuery) -> list[Hit]:
    """Bookings by id prefix ("123" or "#123")."""
    text = q.text.lstrip("#")
    if not text.isdigit() or len(text) > 18:
        return []
    id_text = cast(Booking.id, Text)
    rank = case((id_text == text, EXACT), else_=PREFIX)
    stmt = (
        select(Booking, Customer.name, rank.label("rank"))
        .join(Customer, Customer.id == Booking.customer_id)
        .where(id_text.like(text + "%"))
        .order_by("rank", func.length(id_text), Booking.id)
        .limit(q.limit)
    )
    zone = tenant_zone()
    out = []
    for booking, name, r in db.session().execute(stmt):
        when = booking.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        out.append(
            Hit(
                "booking",
                booking.id,
                f"Booking #{booking.id}",
                _join(name, booking.status, when),
                r,
            )
        )
    return out


def workers(q: SearchQuery) -> list[Hit]:
    """Workers by name, e-mail or phone (a small table: read whole, ranked the same way)."""
    phone = func.regexp_replace(func.coalesce(Worker.phone, ""), r"\D", "", "g")
    extra = [phone.like(f"%{q.phone_digits}%")] if q.phone_digits else []
    rank = _text_rank(q, [Worker.name, Worker.email], contains=extra)
    score = _similarity(Worker.name, q)
    shown = (Worker.id, Worker.name, Worker.email, Worker.phone, Worker.active)
    stmt = (
        select(*shown, rank.label("rank"), score.label("score"))
        .where(_text_filter(q, [Worker.name, Worker.email], extra))
        .order_by("rank", score.desc(), Worker.id)
        .limit(q.limit)
    )
    sess = db.session()
    rows = {r.id: r for r in sess.execute(stmt)}  # the shown columns come with the ranking
    found = [Hit("worker", r.id, "", "", r.rank, r.score) for r in rows.values()]
    found = _fuzzy(q, Worker.id, Worker.name, [], found, "worker")
    missing = [h.id for h in found if h.id not in rows]
    if missing:
        rows.update({r.id: r for r in sess.execute(select(*shown).where(Worker.id.in_(missing)))})
    return [
        Hit(
            "worker",
            h.id,
            rows[h.id].name,
            _join(rows[h.id].email, rows[h.id].phone, None if rows[h.id].active else "inactive"),
            h.rank,
            h.score,
        )
        for h in found
        if h.id in rows
    ]


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency}"


def invoices(q: SearchQuery) -> list[Hit]:
    """Invoices by number ("INV-2026-000123", "000123", or its count "123"), by amount ("105",
    "$105.00": the total) or by the customer's name; drafts (no number yet) by name or amount.
    Newest first within a rank."""
    sess = db.session()
    found: list[Hit] = []
    number, amount = Invoice.number, q.amount_cents
    ranks, terms = [], []  # one statement for number and amount (a BitmapOr of two indexes)
    if not q.short:
        exact = [func.lower(number) == q.lowered]
        if q.digits and q.digits == q.text:
            exact.append(number.op("~")(f"-0*{int(q.digits)}$"))
        ranks += [(or_(*exact), EXACT), (func.lower(number).like(q.starts), PREFIX)]
        terms.append(number.ilike(q.contains))
    if amount is not None:
        ranks.append((Invoice.total_cents == amount, PREFIX))
        terms.append(Invoice.total_cents == amount)
    if terms:
        rank = case(*ranks, else_=CONTAINS)
        stmt = (
            select(Invoice.id, rank.label("rank"))
            .where(or_(*terms))
            .order_by("rank", Invoice.id.desc())
            .limit(q.limit)
        )
        found += [Hit("invoice", r.id, "", "", r.rank) for r in sess.execute(stmt)]
    if any(ch.isalpha() for ch in q.text):  # names have letters; "105" or a number has none
        name_rank = _text_rank(q, [Customer.name])
        stmt = (
            select(Invoice.id, name_rank.label("rank"))
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(Customer.anonymized_at.is_(None), _text_filter(q, [Customer.name]))
            .order_by("rank", Invoice.id.desc())
            .limit(q.limit)
        )
        found += [Hit("invoice", r.id, "", "", r.rank) for r in sess.execute(stmt)]
    ranked = _best(found, q.limit)
    if not ranked:
        return []
    rows = {
        inv.id: (inv, name)
        for inv, name in sess.execute(
            select(Invoice, Customer.name)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(Invoice.id.in_([h.id for h in ranked]))
        )
    }
    out = []
    for hit in ranked:
        if hit.id not in rows:
            continue
        inv, name = rows[hit.id]
        title = inv.number or f"Draft invoice #{inv.id}"
        issued = inv.issue_date.isoformat() if inv.issue_date else None
        subtitle = _join(name, inv.status, _money(inv.total_cents, inv.currency), issued)
        out.append(Hit("invoice", inv.id, title, subtitle, hit.rank))
    return out
