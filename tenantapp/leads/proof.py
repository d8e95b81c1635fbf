"""The lead token: the public caller's proof that a lead is theirs (SPEC §5.3–§5.4).

``POST /leads`` answers a random token (32 bytes from the CSPRNG, URL-safe) and the lead keeps only
its SHA-256. ``GET /slots?lead_id&lead_token`` and ``POST /bookings`` check it with
``lead_by_proof``: an unknown id, a missing token and a wrong token all raise the same 404, after
the same work (a hash and a constant-time compare against a dummy digest when there is no lead),
so the answer tells nothing about which lead ids exist.

Why random and hashed rather than an HMAC of the id: a stolen database (or backup) yields no
usable token, a ``SECRET_KEY`` rotation does not break quotes customers have open, and a plain
SHA-256 is enough because 256 random bits cannot be guessed offline (no slow hash needed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from shared import db
from shared.errors import NotFound
from tenantapp.leads.models import Lead

TOKEN_BYTES = 32
MAX_TOKEN_CHARS = 256  # anything longer is simply wrong (and not worth hashing)
_NO_LEAD = hashlib.sha256(b"no lead has this digest").hexdigest()


def new_lead_token() -> tuple[str, str]:
    """A fresh token and the digest to store: ``(token, sha256 hex)``."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lead_by_proof(lead_id: int | None, token: str | None, *, for_update: bool = False) -> Lead:
    """The lead ``lead_id`` if ``token`` is its token, else 404 ``not_found`` (same in every case).

    ``for_update`` locks the lead row in the current transaction (booking serialises on it).
    """
    sess = db.session()
    lead = None
    if lead_id is not None:
        lead = sess.get(Lead, lead_id, with_for_update=True if for_update else None)
    given = token if isinstance(token, str) and len(token) <= MAX_TOKEN_CHARS else ""
    stored = lead.token_hash if lead is not None and lead.token_hash else _NO_LEAD
    matches = hmac.compare_digest(token_digest(given), stored)
    if lead is None or not given or not matches:
        raise NotFound("No such lead, or the lead token does not match.")
    return lead
