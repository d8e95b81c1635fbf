"""Settings → Branding: what the booking page shows (SPEC §5.13) — the logo (``PUT/DELETE
/admin/settings/logo``: PNG, JPEG or WebP by its bytes, 512 KiB at most; 413 and 415 are shown
as messages), the brand colour and the intro text (``PATCH /admin/settings``). Admin, as the API.
"""

from __future__ import annotations

from flask import request, url_for

from shared.errors import field_error
from tenantapp.console import actions
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page
from tenantapp.console.settings import common
from tenantapp.settings import branding, service

HERE = "console.settings_branding"
FIELDS = ("brand_color", "booking_intro")


def _page(status=200, errors=None, summary=None, values=None):
    row = service.get_settings()
    logo = branding.logo_path(row)
    return common.page(
        "branding.html",
        HERE,
        status=status,
        values=values or {name: getattr(row, name) or "" for name in FIELDS},
        logo_url=request.script_root + logo if logo else None,
        color=row.brand_color,
        text_color=branding.text_color_for(row.brand_color) if row.brand_color else None,
        max_kib=branding.LOGO_MAX_BYTES // 1024,
        errors=errors or {},
        summary=summary,
    )


@blp.get("/settings/branding")
@console_page("admin")
def settings_branding():
    return _page()


@blp.post("/settings/branding")
@console_page("admin")
def save_branding():
    return common.save_settings(
        lambda: common.settings_body(FIELDS, nullable=FIELDS), HERE, "branding", _page, FIELDS
    )


@blp.post("/settings/branding/logo")
@console_page("admin")
def upload_logo():
    def run():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise field_error("file", "Choose an image file.")
        branding.store_logo(branding.read_upload(upload.stream))

    return actions.run_form(run, url_for(HERE, done="logo"), _page, ("file",))


@blp.post("/settings/branding/logo/delete")
@console_page("admin")
def delete_logo():
    return actions.run_form(branding.delete_logo, url_for(HERE, done="logo_removed"), _page)
