"""Where a cookie-authenticated form post comes from: the one same-origin check of every page
family (the console, the owners' pages, the worker pages, the operator console).

``Sec-Fetch-Site`` first: browsers set it on every request and a page cannot forge it, and with
``Referrer-Policy: no-referrer`` Chromium sends ``Origin: null`` on same-origin form posts, which
the header check alone would refuse. Without it (old clients, curl) ``Origin`` or ``Referer`` must
name this host; with neither, the form's CSRF token alone decides.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def same_origin() -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site in ("same-origin", "none")
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return True
    if source == "null":
        return False
    return urlsplit(source).netloc.lower() == request.host.lower()
