"""The staff console (SPEC §5.14): ``/t/<slug>/console/``, server-rendered pages with htmx.

For other modules adding a console page: register a Flask blueprint whose views use
``tenantapp.console.guard.console_page(permission)`` and whose templates extend
``console/base.html`` (navigation, search box, CSRF token); see docs/console.md.
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"  # served as /assets/<digest>/console/<file>
