"""What the settings pages share: the sub-navigation, the page renderer and the settings form
runner (``PATCH /admin/settings``'s schema and service)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import current_app, g, request, url_for

from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.console import actions, forms
from tenantapp.settings import schemas, service

# (endpoint, message key) in the order of SPEC §5.14's "Settings (company, hours, pricing,
# taxes, branding, SMS, members)"; Plan and billing is the control plane's page.
SECTIONS = (
    ("console.settings", "console.settings.nav.company"),
    ("console.settings_hours", "console.settings.nav.hours"),
    ("console.settings_pricing", "console.settings.nav.pricing"),
    ("console.settings_taxes", "console.settings.nav.taxes"),
    ("console.settings_branding", "console.settings.nav.branding"),
    ("console.settings_sms", "console.settings.nav.sms"),
    ("console.settings_members", "console.settings.nav.members"),
    ("owner_billing.billing", "console.settings.nav.billing"),
)
PATCH = schemas.SettingsPatch()


def page(template: str, here: str, *, status: int = 200, **context):
    """A settings section's page: the console layout, Settings marked, the sub-navigation with
    ``here`` (the section's GET endpoint) current."""
    g.console_section = "console.settings"
    subnav = [
        (endpoint, key) for endpoint, key in SECTIONS if endpoint in current_app.view_functions
    ]
    done = request.args.get("done")
    return render_page(
        f"console/settings/{template}",
        status=status,
        subnav=subnav,
        here=here,
        done=done if done in i18n.section("console.settings.done") else None,
        **context,
    )


def settings_body(names: Iterable[str], *, nullable=(), numbers=(), flags=()) -> dict:
    """The posted settings fields as ``PATCH /admin/settings`` would get them: text as typed (an
    empty required field stays "" so the schema names it), an empty nullable one null."""
    body: dict = {}
    for name in names:
        value = forms.text(name).strip()
        if name in nullable and not value:
            body[name] = None
        elif name in numbers:
            body[name] = forms.number(value)
        else:
            body[name] = value
    for name in flags:
        body[name] = request.form.get(name) in {"1", "on", "true"}
    return body


def save_settings(
    body: Callable[[], dict],
    here: str,
    done: str,
    render: Callable[..., object],
    fields: Iterable[str],
):
    """Validate ``body()`` with the API's ``SettingsPatch`` and save it with
    ``settings.service.update_settings``: 303 back (to ``here``) with ``done`` on success, else ``render``
    with the API's messages beside ``fields``."""

    def run():
        service.update_settings(forms.load(PATCH, body()))

    return actions.run_form(run, url_for(here, done=done), render, fields)


def role_label(role: str) -> str:
    """A member role as people say it ("Dispatcher")."""
    return i18n.message(f"console.settings.members.roles.{role}")
