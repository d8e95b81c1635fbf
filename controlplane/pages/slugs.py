"""Workspace addresses for the sign-up page: a suggestion from the company's name and whether an
address is free (the same format rule and reserved names as ``POST /v1/signup``)."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select

from shared.models.tenants import Tenant
from shared.runtime import current_runtime
from shared.tenancy import slug_problem

MAX_LEN = 40
MIN_LEN = 3
VARIANTS = 20  # name, name-2 ... name-20 tried for a free suggestion


def from_name(name: str) -> str:
    """``"Sparkle & Shine Cléaning"`` → ``"sparkle-shine-cleaning"`` (may be empty)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = re.sub(r"^[0-9-]+", "", slug)  # must start with a letter
    slug = slug[:MAX_LEN].rstrip("-")
    if slug and len(slug) < MIN_LEN:
        slug = f"{slug}-co"
    return slug


def _taken(candidates: list[str]) -> set[str]:
    with current_runtime().engine.connect() as conn:
        return set(conn.scalars(select(Tenant.slug).where(Tenant.slug.in_(candidates))))


def _variant(base: str, n: int) -> str:
    tail = f"-{n}"
    return base[: MAX_LEN - len(tail)].rstrip("-") + tail


def check(slug: str) -> dict:
    """``{slug, available, message, suggestion}`` for the address someone typed."""
    slug = slug.strip().lower()[: MAX_LEN + 10]
    problem = slug_problem(slug)
    if problem:
        fixed = from_name(slug)
        return {
            "slug": slug,
            "available": False,
            "message": f"The address {problem}.",
            "suggestion": suggest(fixed) if fixed else None,
        }
    if slug not in _taken([slug]):
        return {"slug": slug, "available": True, "message": None, "suggestion": None}
    return {
        "slug": slug,
        "available": False,
        "message": "That workspace address is taken.",
        "suggestion": suggest(slug),
    }


def suggest(base: str) -> str | None:
    """The first free address among ``base``, ``base-2`` ... (None when all are taken)."""
    if not base or slug_problem(base):
        return None
    candidates = [base] + [_variant(base, n) for n in range(2, VARIANTS + 1)]
    candidates = [c for c in candidates if not slug_problem(c)]
    taken = _taken(candidates)
    return next((c for c in candidates if c not in taken), None)
