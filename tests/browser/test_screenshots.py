"""``make screenshots``: every page of tests/browser/screens.py at 1280×800 and 390×844.

In the slow set (``make test-slow``) the PNGs go to a temporary folder (the test still checks each
page renders without console errors and without horizontal scrolling at 390 px);
``make screenshots`` sets ``SCREENSHOTS_DIR=docs/screenshots``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import horizontal_overflow
from tests.browser.screens import SCREENS

SIZES = {"desktop": (1280, 800), "mobile": (390, 844)}


@pytest.mark.slow  # make screenshots runs it; the booking tests cover the same pages in make test
@pytest.mark.parametrize("screen", SCREENS, ids=[s.name for s in SCREENS])
def test_screenshot(screen, page, live, watch, tmp_path):
    out = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screen.open(live, page)
        page.wait_for_load_state("networkidle")
        assert horizontal_overflow(page) <= 0, f"{screen.name} scrolls sideways at {width} px"
        page.screenshot(path=str(out / f"{screen.name}-{label}.png"), full_page=True)
    watch.clean(http_errors_ok=screen.http_errors)
