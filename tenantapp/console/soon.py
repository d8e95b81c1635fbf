"""Part-2 sections (SPEC §5.14) not built yet: a clear "coming soon" page, in the navigation
already so the console's shape does not change when they land."""

from __future__ import annotations

from flask import current_app, g, url_for

from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page

# endpoint name → (title key, the API that does it meanwhile)
SECTIONS = {
    "workers": ("console.nav.workers", "/v1/admin/workers"),
    "settings": ("console.nav.settings", "/v1/admin/settings"),
}


# Pages of a section that other modules already provide (registered by the app when they
# land): linked from the section's page until the section itself is built.
READY = {
    "settings": (("owner_billing.billing", "console.soon.plan_and_billing"),),
}


def _soon(name: str):
    key, api = SECTIONS[name]

    @console_page("view")
    def view():
        g.console_section = f"console.{name}"
        links = [
            (i18n.message(label), url_for(endpoint))
            for endpoint, label in READY.get(name, ())
            if endpoint in current_app.view_functions
        ]
        return render_page("console/soon.html", title=i18n.message(key), api_hint=api, links=links)

    view.__name__ = name
    blp.add_url_rule(f"/{name}", endpoint=name, view_func=view)


for _name in SECTIONS:
    _soon(_name)
