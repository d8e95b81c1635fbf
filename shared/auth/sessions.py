"""Staff sessions: issuing token pairs, opening and revoking sessions.

One implementation for the API (``/v1/auth/*``) and the staff console's cookie sessions
(``shared/web/staff_session.py``): both open a ``sessions`` row here and both are checked against it
on every request, so revoking a session ends it everywhere at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, update

from shared.auth import tokens
from shared.auth.guards import forget_sessions
from shared.models.accounts import RefreshToken, UserSession
from shared.settings import Settings


def issue_tokens(settings: Settings, session_id: uuid.UUID, user_id, tenant_id) -> dict:
    access, exp = tokens.issue(
        settings, typ="staff", sub=str(user_id), tid=str(tenant_id), sid=str(session_id)
    )
    return {"access_token": access, "expires_at": exp}


def open_session(conn, settings: Settings, *, user_id, tenant_id, membership_id) -> dict:
    """Create a session with its first refresh token; ``conn`` is a Connection or Session."""
    now = datetime.now(UTC)
    session_id = uuid.uuid4()
    conn.execute(
        insert(UserSession).values(
            id=session_id,
            user_id=user_id,
            tenant_id=tenant_id,
            membership_id=membership_id,
            expires_at=now + tokens.REFRESH_TTL,
        )
    )
    raw, digest = tokens.new_refresh_token()
    conn.execute(
        insert(RefreshToken).values(
            session_id=session_id, token_hash=digest, expires_at=now + tokens.REFRESH_TTL
        )
    )
    pair = issue_tokens(settings, session_id, user_id, tenant_id)
    pair["refresh_token"] = raw
    pair["session_id"] = session_id
    return pair


def revoke_sessions(sess, reason: str, *, keep=None, **where) -> list[uuid.UUID]:
    """Revoke the open sessions matching ``where`` (column=value), except ``keep``."""
    stmt = update(UserSession).where(UserSession.revoked_at.is_(None)).filter_by(**where)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    stmt = stmt.values(revoked_at=datetime.now(UTC), revoked_reason=reason).returning(
        UserSession.id
    )
    return [row.id for row in sess.execute(stmt)]


forget_after_commit = forget_sessions
