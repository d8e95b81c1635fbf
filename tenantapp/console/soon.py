"""Part-2 sections (SPEC §5.14) not built yet: a clear "coming soon" page, in the navigation
already so the console's shape does not change when they land."""

from __future__ import annotations

from flask import g

from shared.web import i18n
from shared.web.pages import render_page
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page

# endpoint name → (title key, the API that does it meanwhile)
SECTIONS = {
    "workers": ("console.nav.workers", "/v1/admin/workers"),
    "settings": ("console.nav.settings", "/v1/admin/settings"),
}


def _soon(name: str):
    key, api = SECTIONS[name]

    @console_page("view")
    def view():
        g.console_section = f"console.{name}"
        return render_page("console/soon.html", title=i18n.message(key), api_hint=api)

    view.__name__ = name
    blp.add_url_rule(f"/{name}", endpoint=name, view_func=view)


for _name in SECTIONS:
    _soon(_name)
