"""Who did it, as stored on checklist items and time segments: ``staff:<user id>``,
``worker:<worker id>`` or ``system``."""

from flask import g, has_request_context


def current_actor() -> str:
    principal = g.get("principal") if has_request_context() else None
    if principal is None or principal.user_id is None:
        return "system"
    return f"{principal.typ}:{principal.user_id}"
