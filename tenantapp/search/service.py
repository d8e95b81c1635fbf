"""Global search (SPEC §5.9): one query over every registered type, each ranked exact > prefix
of any word > contains > fuzzy, at most ``limit`` (≤ 20) per type."""

from __future__ import annotations

from sqlalchemy import text

from shared import db
from tenantapp.search.query import FUZZY_THRESHOLD, RANKS, SearchQuery
from tenantapp.search.registry import SEARCHERS
from tenantapp.settings.service import get_settings

MAX_PER_TYPE = 20


def search(q: str, types: list[str] | None, limit: int) -> dict:
    """``{items: [{type, id, title, subtitle, match}]}`` grouped by type in registry order."""
    query = SearchQuery.parse(q, limit, get_settings().country)
    wanted = set(types) if types else None
    sess = db.session()
    # Planner settings for this read-only transaction only (SET LOCAL: nothing stays on the
    # pooled connection). Postgres underrates what ILIKE and trigram similarity cost per row
    # and picks a sequential scan of 50 000 customers over the trigram index; and JIT
    # compilation of such a plan costs more than the query itself.
    # One round trip; set_config(..., true) is SET LOCAL. The typo pass keeps names at least
    # FUZZY_THRESHOLD similar (pg_trgm's 0.3 lets "Olivia Anything" in: thousands of rechecks).
    sess.execute(
        text(
            "SELECT set_config('jit', 'off', true),"
            " set_config('enable_seqscan', :seqscan, true),"
            " set_config('pg_trgm.similarity_threshold', :threshold, true)"
        ),
        {"seqscan": "on" if query.short else "off", "threshold": str(FUZZY_THRESHOLD)},
    )
    hits = []
    try:
        for name, searcher in SEARCHERS:
            if wanted is None or name in wanted:
                hits.extend(searcher(query))
    finally:
        sess.rollback()  # ends the transaction and its SET LOCALs
    items = [
        {
            "type": hit.type,
            "id": hit.id,
            "title": hit.title,
            "subtitle": hit.subtitle,
            "match": RANKS[hit.rank],
        }
        for hit in hits
    ]
    return {"items": items}
