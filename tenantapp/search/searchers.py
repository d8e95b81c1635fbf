"""One searcher per result type. Each returns at most ``q.limit`` hits, best first: exact, then a
word that starts with the query, then the query anywhere, then fuzzy (trigram similarity).

Every filter is served by an index of t0017: GIN trigram indexes (``extensions.gin_trgm_ops``)
for "anywhere" and similarity, b-tree ``text_pattern_ops`` indexes for the start of names and
e-mails (one- and two-character queries) and booking ids. Fuzzy matches only fill what the
better ranks left: when exact, prefix and contains already give ``limit`` rows, no fuzzy row
could be listed, so that (costlier) pass is skipped. The SQL names the operator and function
schema-qualified (``OPERATOR(extensions.%)``, ``extensions.similarity``): the app role's search
path is ``cp_guard`` and the tables are reached through the tenant's translate map.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, case, cast, func, or_, select

from shared import db
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
from tenantapp.invoices.models import Invoice
from tenantapp.leads.models import Lead
from tenantapp.search.query import CONTAINS, EXACT, FUZZY, PREFIX, SearchQuery
from tenantapp.settings.service import tenant_zone
from tenantapp.workers.models import Worker


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


def _best(hits: list[Hit], limit: int) -> list[Hit]:
    """One hit per id (its best rank), best first, at most ``limit``."""
    best: dict[int, Hit] = {}
    for hit in hits:
        kept = best.get(hit.id)
        if kept is None or (hit.rank, -hit.score) < (kept.rank, -kept.score):
            best[hit.id] = hit
    return sorted(best.values(), key=lambda h: (h.rank, -h.score, -h.id))[:limit]


def _fuzzy(q: SearchQuery, id_column, column, where, found: list[Hit], kind: str) -> list[Hit]:
    """Fill up to ``q.limit`` with the most similar rows not found yet."""
    room = q.limit - len(found)
    if room <= 0 or not q.fuzzy:
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
    phone_terms = _phone_terms(q, Customer.phone)
    exact_phone = [Customer.phone == q.phone] if q.phone else []
    rank = _text_rank(q, [Customer.name, Customer.email], exact=exact_phone)
    score = _similarity(Customer.name, q)
    own = (
        select(Customer.id, rank.label("rank"), score.label("score"))
        .where(active, _text_filter(q, [Customer.name, Customer.email], phone_terms))
        .order_by("rank", score.desc(), Customer.id.desc())
        .limit(q.limit)
    )
    found = [Hit("customer", r.id, "", "", r.rank, r.score) for r in sess.execute(own)]
    if not q.short:
        postal = func.upper(func.replace(Property.postal_code, " ", ""))
        place_rank = _text_rank(q, [Property.address], exact=[postal == q.postal])
        place_score = _similarity(Property.address, q)
        places = (
            select(Property.customer_id, place_rank.label("rank"), place_score.label("score"))
            .where(
                or_(
                    Property.address.ilike(q.contains), postal.like(q.postal.replace("%", "") + "%")
                )
            )
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
    rows = {c.id: c for c in sess.scalars(select(Customer).where(Customer.id.in_(ids)))}
    addresses: dict[int, str | None] = {}
    for customer_id, address in sess.execute(
        select(Property.customer_id, Property.address)
        .where(Property.customer_id.in_(ids), Property.archived_at.is_(None))
        .order_by(Property.id)
    ):
        addresses.setdefault(customer_id, address)  # the first property is the usual one
    out = []
    for hit in ranked:
        c = rows.get(hit.id)
        if c is None or c.anonymized_at is not None:
            continue
        subtitle = _join(c.email, c.phone, addresses.get(c.id))
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
    rank = _text_rank(q, columns, exact=exact)
    score = _similarity(Lead.name, q)
    stmt = (
        select(Lead.id, rank.label("rank"), score.label("score"))
        .where(_text_filter(q, columns, extra))
        .order_by("rank", score.desc(), Lead.id.desc())
        .limit(q.limit)
    )
    sess = db.session()
    found = [Hit("lead", r.id, "", "", r.rank, r.score) for r in sess.execute(stmt)]
    found = _fuzzy(q, Lead.id, Lead.name, [], found, "lead")
    if not found:
        return []
    rows = {x.id: x for x in sess.scalars(select(Lead).where(Lead.id.in_([h.id for h in found])))}
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
    stmt = (
        select(Worker.id, rank.label("rank"), score.label("score"))
        .where(_text_filter(q, [Worker.name, Worker.email], extra))
        .order_by("rank", score.desc(), Worker.id)
        .limit(q.limit)
    )
    sess = db.session()
    found = [Hit("worker", r.id, "", "", r.rank, r.score) for r in sess.execute(stmt)]
    found = _fuzzy(q, Worker.id, Worker.name, [], found, "worker")
    rows = {
        w.id: w for w in sess.scalars(select(Worker).where(Worker.id.in_([h.id for h in found])))
    }
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
    if not q.short:
        number = Invoice.number
        exact = [func.lower(number) == q.lowered]
        if q.digits and q.digits == q.text:
            exact.append(number.op("~")(f"-0*{int(q.digits)}$"))
        rank = case(
            (or_(*exact), EXACT), (func.lower(number).like(q.starts), PREFIX), else_=CONTAINS
        )
        stmt = (
            select(Invoice.id, rank.label("rank"))
            .where(number.ilike(q.contains))
            .order_by("rank", Invoice.id.desc())
            .limit(q.limit)
        )
        found += [Hit("invoice", r.id, "", "", r.rank) for r in sess.execute(stmt)]
    if q.amount_cents is not None:
        stmt = (
            select(Invoice.id)
            .where(Invoice.total_cents == q.amount_cents)
            .order_by(Invoice.id.desc())
            .limit(q.limit)
        )
        found += [Hit("invoice", i, "", "", PREFIX) for i in sess.scalars(stmt)]
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
