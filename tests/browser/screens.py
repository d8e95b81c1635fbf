"""The pages ``make screenshots`` photographs: one entry per page, in README order.

Each entry names the PNG and gives a function ``(live, page) -> None`` that brings ``page`` to
the page in the state worth showing (signing up a tenant, filling a form...). A new page adds one
entry here; ``tests/browser/test_screenshots.py`` shoots every entry at 1280×800 and 390×844.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.support import signup


@dataclass(frozen=True)
class Screen:
    name: str
    open: Callable


def worker_invite(live, page) -> None:
    tenant = signup(live.client())
    page.goto(f"{live.url}/t/{tenant.slug}/work/accept-invite?token=example")


SCREENS: list[Screen] = [
    Screen("worker-invite", worker_invite),
]
