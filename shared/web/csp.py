"""Content-Security-Policy for our HTML pages, built in one place.

Every page starts from ``default-src 'self'`` with no inline script or style (no ``'unsafe-inline'``,
no nonces: our pages keep script and style in fingerprinted files). A page adds a third-party host
only where it uses it (``TURNSTILE`` on a form with the captcha on; Stripe only on a page that
embeds Stripe) and says who may frame it (``frame-ancestors``, ``'none'`` unless the page is meant
to be embedded, like the booking page on a company's own site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

# An origin as a CSP source: scheme://host[:port], nothing that could end the directive.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?$")
TURNSTILE_HOST = "https://challenges.cloudflare.com"
NONE = "'none'"


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` (lower-cased), or None when it is not an http(s) URL
    whose origin can safely stand in a CSP header."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    origin = f"{parts.scheme}://{parts.hostname.lower()}"
    try:
        port = parts.port
    except ValueError:
        return None
    if port is not None:
        origin += f":{port}"
    return origin if _ORIGIN.match(origin) else None


@dataclass(frozen=True)
class Csp:
    """One page's policy; the tuples hold sources added to ``'self'`` (``frame`` and
    ``frame_ancestors`` replace ``'none'``)."""

    script: tuple[str, ...] = ()
    connect: tuple[str, ...] = ()
    img: tuple[str, ...] = ()
    frame: tuple[str, ...] = ()
    form_action: tuple[str, ...] = ()
    frame_ancestors: tuple[str, ...] = ()

    def with_turnstile(self) -> Csp:
        """The hosts Cloudflare Turnstile's widget needs (script and its iframe)."""
        return replace(
            self, script=(*self.script, TURNSTILE_HOST), frame=(*self.frame, TURNSTILE_HOST)
        )

    def framed_by(self, urls) -> Csp:
        """Allow the origins of ``urls`` to frame the page (invalid ones are dropped)."""
        origins = tuple(dict.fromkeys(o for o in map(origin_of, urls or ()) if o))
        return replace(self, frame_ancestors=origins)

    @property
    def frameable(self) -> bool:
        return bool(self.frame_ancestors)

    def header(self) -> str:
        def srcs(extra: tuple[str, ...]) -> str:
            return " ".join(("'self'", *extra))

        def only(extra: tuple[str, ...]) -> str:
            return " ".join(extra) or NONE

        return "; ".join(
            (
                "default-src 'self'",
                f"script-src {srcs(self.script)}",
                "style-src 'self'",
                f"img-src {srcs(self.img)}",
                f"connect-src {srcs(self.connect)}",
                "font-src 'self'",
                f"frame-src {only(self.frame)}",
                "object-src 'none'",
                "base-uri 'none'",
                f"form-action {srcs(self.form_action)}",
                f"frame-ancestors {only(self.frame_ancestors)}",
            )
        )


PAGE = Csp()
