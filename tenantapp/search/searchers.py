"""One searcher per result type. Each returns at most ``q.limit`` hits, best first: exact, then a
word that starts with the query, then the query anywhere, then fuzzy (trigram similarity).

Every filter is served by an index of t0017 (GIN trigram indexes on the searched columns in
``extensions.gin_trgm_ops``, a text-pattern index on booking ids). The SQL names the operator and
function schema-qualified (``OPERATOR(extensions.%)``, ``extensions.similarity``): the app role's
search path is ``cp_guard`` and the tables are reached through the tenant's translate map.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, case, cast, func, or_, select

from shared import db
from tenantapp.bookings.models import Booking
from tenantapp.customers.models import Customer, Property
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
    """CASE giving EXACT/PREFIX/CONTAINS/FUZZY for a row matched on ``columns``."""
    exact_terms = [func.lower(c) == q.lowered for c in columns] + list(exact)
    return case(
        (or_(*exact_terms), EXACT),
        (or_(*[c.op("~*")(q.word_prefix) for c in columns]), PREFIX),
        (or_(*[c.ilike(q.contains) for c in columns], *contains), CONTAINS),
        else_=FUZZY,
    )


def _text_filter(q: SearchQuery, columns, fuzzy_columns, extra=()):
    terms = [c.ilike(q.contains) for c in columns] + list(extra)
    if q.fuzzy:
        terms += [_similar(c, q) for c in fuzzy_columns]
    return or_(*terms)


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


def _join(*parts) -> str:
    return " · ".join(p for p in parts if p)


def customers(q: SearchQuery) -> list[Hit]:
    """Customers by name, e-mail, phone (any format) or a property's address or postal code."""
    sess = db.session()
    phone_exact = [Customer.phone == q.phone] if q.phone else []
    phone_terms = _phone_terms(q, Customer.phone)
    rank = _text_rank(q, [Customer.name, Customer.email], exact=phone_exact, contains=phone_terms)
    score = _similarity(Customer.name, q)
    own = (
        select(Customer.id, rank.label("rank"), score.label("score"))
        .where(
            Customer.anonymized_at.is_(None),
            _text_filter(
                q,
                [Customer.name, Customer.email],
                [Customer.name],
                phone_terms,
            ),
        )
        .order_by("rank", score.desc(), Customer.id.desc())
        .limit(q.limit)
    )
    found = [(r.id, r.rank, r.score) for r in sess.execute(own)]
    postal = func.upper(func.replace(Property.postal_code, " ", ""))
    place_rank = _text_rank(q, [Property.address], exact=[postal == q.postal])
    place_score = _similarity(Property.address, q)
    places = (
        select(Property.customer_id, place_rank.label("rank"), place_score.label("score"))
        .where(
            _text_filter(q, [Property.address], [Property.address], [postal.like(q.postal + "%")])
        )
        .order_by("rank", place_score.desc(), Property.customer_id.desc())
        .limit(q.limit * 2)
    )
    found += [(r.customer_id, r.rank, r.score) for r in sess.execute(places)]
    ranked = _best([Hit("customer", i, "", "", r, s) for i, r, s in found], q.limit)
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
    if q.digits and q.digits == q.text.lstrip("#"):
        exact.append(Lead.id == int(q.digits[:18]))
        extra.append(Lead.id == int(q.digits[:18]))
    postal = func.upper(func.replace(Lead.postal_code, " ", ""))
    exact.append(postal == q.postal)
    rank = _text_rank(q, [Lead.name, Lead.email, Lead.address], exact=exact, contains=extra)
    score = func.greatest(_similarity(Lead.name, q), _similarity(Lead.address, q))
    stmt = (
        select(Lead, rank.label("rank"), score.label("score"))
        .where(
            _text_filter(q, [Lead.name, Lead.email, Lead.address], [Lead.name, Lead.address], extra)
        )
        .order_by("rank", score.desc(), Lead.id.desc())
        .limit(q.limit)
    )
    return [
        Hit(
            "lead",
            lead.id,
            lead.name,
            _join(f"Lead #{lead.id}", lead.status, lead.email or lead.phone, lead.address),
            r,
            s,
        )
        for lead, r, s in db.session().execute(stmt)
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
    """Workers by name, e-mail or phone."""
    phone = func.regexp_replace(func.coalesce(Worker.phone, ""), r"\D", "", "g")
    extra = []
    if q.phone_digits:
        extra.append(phone.like(f"%{q.phone_digits}%"))
    rank = _text_rank(q, [Worker.name, Worker.email], contains=extra)
    score = _similarity(Worker.name, q)
    stmt = (
        select(Worker, rank.label("rank"), score.label("score"))
        .where(_text_filter(q, [Worker.name, Worker.email], [Worker.name], extra))
        .order_by("rank", score.desc(), Worker.id)
        .limit(q.limit)
    )
    return [
        Hit(
            "worker",
            w.id,
            w.name,
            _join(w.email, w.phone, None if w.active else "inactive"),
            r,
            s,
        )
        for w, r, s in db.session().execute(stmt)
    ]
