"""The console-wide "verify your e-mail" banner (SPEC §4.5: after sign-up the owner lands in the
console with it until the address is confirmed). It rides on the console layout's ``console_banners``
(dicts rendered above every page's content and its notices), filled by an app context processor
only on console pages (``g.console_principal``), so no console file changes."""

from __future__ import annotations

from flask import g, url_for

from shared.runtime import current_runtime
from shared.web import i18n
from shared.web.pages import page_language
from tenantapp.ownerbilling import view

RESEND_EVERY = 60  # seconds between two "Send the link again" (each is an e-mail)


def resend_key(user_id) -> str:
    """Set for ``RESEND_EVERY`` seconds after a resend: the limit, and the banner's "sent"."""
    return f"console:verify-resent:{user_id}"


def console_banners() -> dict:
    principal = g.get("console_principal")
    if principal is None or principal.user_id is None:
        return {}
    if not view.email_unverified(principal.user_id):
        return {}
    lang = page_language()
    if current_runtime().redis.exists(resend_key(principal.user_id)):
        text = i18n.message("billing_page.verify_resent", lang)
        return {"console_banners": [{"kind": "verify-email ok", "text": text}]}
    banner = {
        "kind": "verify-email",
        "text": i18n.message("billing_page.verify_banner", lang),
        "form_url": url_for("owner_billing.resend_verification"),
        "form_text": i18n.message("billing_page.verify_resend", lang),
    }
    return {"console_banners": [banner]}
