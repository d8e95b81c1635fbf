"""The console-wide "verify your e-mail" banner (SPEC §4.5: after sign-up the owner lands in the
console with it until the address is confirmed). It rides on the console layout's ``console_banners``
(dicts rendered above every page's content and its notices), filled by an app context processor
only on console pages (``g.console_principal``), so no console file changes."""

from __future__ import annotations

from flask import g

from shared.web import i18n
from shared.web.pages import page_language
from tenantapp.ownerbilling import view


def console_banners() -> dict:
    principal = g.get("console_principal")
    if principal is None or principal.user_id is None:
        return {}
    if not view.email_unverified(principal.user_id):
        return {}
    text = i18n.message("billing_page.verify_banner", page_language())
    return {"console_banners": [{"kind": "verify-email", "text": text}]}
