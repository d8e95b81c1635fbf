"""Booking-page branding: the brand colour's text colour, the logo (SPEC §5.13).

The logo is checked by its magic bytes (PNG, JPEG or WebP; SVG can carry script and is refused),
at most 512 KiB as uploaded, then decoded by Pillow (a file that only looks like an image is a
422), shrunk to fit 480×160 (twice the size it is shown at) and re-encoded as WebP without its
metadata, so what customers download is a few KB whatever was uploaded — the booking page must
stay under 100 KB — and no EXIF location leaves the building. It is stored under
``tenants/<tenant_id>/branding/`` and served at ``/t/<slug>/logo/<digest>`` (immutable: a new
logo is a new digest).
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings

from PIL import Image, UnidentifiedImageError

from shared import db
from shared.aftercommit import on_commit
from shared.errors import AppError, field_error
from shared.runtime import current_runtime
from shared.storage import current_storage
from shared.tenancy import current_tenant
from tenantapp.audit.service import record
from tenantapp.settings.models import TenantSettings

log = logging.getLogger("cleanplane.branding")

LOGO_MAX_BYTES = 512 * 1024
LOGO_BOX = (480, 160)
MAX_PIXELS = 40_000_000  # a decompression bomb stops here, before any pixel is decoded
DARK_TEXT, LIGHT_TEXT = "#000000", "#ffffff"
AA_NORMAL_TEXT = 4.5


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


def sniff(head: bytes) -> str | None:
    """The image type by its first bytes. (Photos have the same check in ``photos.upload``;
    settings sits below photos in the feature graph, so it keeps its own three lines.)"""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _luminance(hex_color: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_color_for(background: str) -> str:
    """White or black, whichever contrasts more with ``background``; either way at least 4.58:1,
    above WCAG AA's 4.5:1 for normal text (the worst background is a mid grey)."""
    return max((LIGHT_TEXT, DARK_TEXT), key=lambda c: contrast_ratio(background, c))


def logo_path(settings: TenantSettings) -> str | None:
    """The logo's public path inside the tenant app (``/logo/<digest>``), or None."""
    return f"/logo/{settings.logo_digest}" if settings.logo_digest else None


def read_upload(stream, limit: int = LOGO_MAX_BYTES) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (read no further than that)."""
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"A logo may be at most {limit // 1024} KiB.")
    if not body:
        raise field_error("file", "Send the logo image as the request body.")
    return body


def _reencode(body: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(body))
            if image.width * image.height > MAX_PIXELS:
                raise field_error("file", "The image has too many pixels.")
            image.load()
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise field_error("file", "The file is not a readable PNG, JPEG or WebP image.") from exc
    image = image.convert("RGBA")
    image.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=90, method=4)
    return out.getvalue()


def store_logo(body: bytes) -> TenantSettings:
    """Check, shrink and store a new logo; the old object is deleted after commit."""
    if sniff(body[:12]) is None:
        raise UnsupportedMediaType("Logos must be PNG, JPEG or WebP images (SVG is not accepted).")
    data = _reencode(body)
    digest = hashlib.sha256(data).hexdigest()[:16]
    key = f"tenants/{current_tenant().id}/branding/logo-{digest}.webp"
    storage = current_storage()
    ref = storage.put(key, data, "image/webp")
    try:
        with db.transaction() as tx:
            row = tx.get(TenantSettings, 1, with_for_update=True)
            old = row.logo_ref
            row.logo_ref, row.logo_type, row.logo_digest = ref, "image/webp", digest
            record(tx, "settings.logo", "settings", 1, {"logo": old}, {"logo": digest})
            _after_commit(tx, old if old != ref else None)
    except BaseException:
        _forget(ref)
        raise
    return row


def delete_logo() -> None:
    with db.transaction() as tx:
        row = tx.get(TenantSettings, 1, with_for_update=True)
        old = row.logo_ref
        if old is None:
            return
        row.logo_ref = row.logo_type = row.logo_digest = None
        record(tx, "settings.logo", "settings", 1, {"logo": old}, {"logo": None})
        _after_commit(tx, old)


def _after_commit(tx, old_ref: str | None) -> None:
    tenant_id = current_tenant().id
    on_commit(lambda: current_runtime().tenants.bump(tenant_id), tx)  # pages re-read the row
    if old_ref:
        on_commit(lambda: _forget(old_ref), tx)


def _forget(ref: str) -> None:
    try:
        current_storage().delete(ref)
    except Exception:  # a stray object is only storage; the janitor's prefix purge removes it
        log.warning("old logo not deleted", exc_info=True)


_cache: dict[tuple[object, str], bytes] = {}


def logo_bytes(digest: str) -> bytes | None:
    """The current logo's bytes when ``digest`` is the current one (cached per process)."""
    row = db.session().get(TenantSettings, 1)
    if row.logo_digest != digest or row.logo_ref is None:
        return None  # replaced or removed: the old URL stops working
    tenant_id = current_tenant().id
    hit = _cache.get((tenant_id, digest))
    if hit is not None:
        return hit
    data = current_storage().read(row.logo_ref)
    if len(_cache) > 256:
        _cache.clear()
    _cache[(tenant_id, digest)] = data
    return data
