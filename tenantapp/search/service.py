"""Global search (SPEC §5.9): one query over every registered type, each ranked exact > prefix
of any word > contains > fuzzy, at most ``limit`` (≤ 20) per type."""

from __future__ import annotations

from tenantapp.search.query import RANKS, SearchQuery
from tenantapp.search.registry import SEARCHERS
from tenantapp.settings.service import get_settings

MAX_PER_TYPE = 20


def search(text: str, types: list[str] | None, limit: int) -> dict:
    """``{items: [{type, id, title, subtitle, match}]}`` grouped by type in registry order."""
    query = SearchQuery.parse(text, limit, get_settings().country)
    wanted = set(types) if types else None
    items = []
    for name, searcher in SEARCHERS:
        if wanted is not None and name not in wanted:
            continue
        for hit in searcher(query):
            items.append(
                {
                    "type": hit.type,
                    "id": hit.id,
                    "title": hit.title,
                    "subtitle": hit.subtitle,
                    "match": RANKS[hit.rank],
                }
            )
    return {"items": items}
