"""Today (SPEC §5.14): the dispatcher's start page."""

from __future__ import annotations

from flask import g, redirect, url_for

from shared.web.pages import render_page
from tenantapp.console import overview
from tenantapp.console.blueprint import blp
from tenantapp.console.guard import console_page


@blp.get("/")
@console_page("view")
def today():
    g.console_section = "console.today"
    return render_page("console/today.html", **overview.today())


@blp.get("")
def root():
    return redirect(url_for("console.today"), code=308)
