"""``make chromium``: make sure a Chromium for the browser tests (tests/browser) is there.

Debian's ``chromium`` at ``/usr/bin/chromium`` is used when present (``CHROMIUM`` overrides the
path). When it is missing: as root with apt-get, ``apt-get install -y chromium``; elsewhere
``playwright install chromium`` (Playwright's own build, in its cache). The browser tests call
``chromium_or_fail()`` and fail with the command to run when neither worked: never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEBIAN = "/usr/bin/chromium"
HOW = (
    "No Chromium for the browser tests: run `make chromium` (as root it installs Debian's "
    "chromium package: apt-get install -y chromium; otherwise it runs "
    "`.venv/bin/python -m playwright install chromium`), or set CHROMIUM=/path/to/chromium"
)


def find() -> str | None:
    """The browser to drive: $CHROMIUM, Debian's, or None (then Playwright's own, if installed)."""
    for candidate in (os.environ.get("CHROMIUM"), DEBIAN, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def playwright_has_chromium() -> bool:
    """Whether ``playwright install chromium`` already put a build in Playwright's cache."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        return Path(p.chromium.executable_path).is_file()


def _apt(*args: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=600", *args], env=env, check=True, timeout=1800
    )


def install() -> str | None:
    """Install a Chromium; return its path (None: Playwright's own build was installed)."""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _apt("update", "-qq")
        _apt("install", "-y", "-qq", "--no-install-recommends", "chromium")
        found = find()
        if found:
            return found
        raise RuntimeError(HOW + " (the chromium package installed, but no browser was found)")
    subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=True)
    return None


def ensure() -> str | None:
    found = find()
    if found or playwright_has_chromium():
        return found
    return install()


def chromium_or_fail() -> str | None:
    """For the test set-up: the path to launch (None = Playwright's own), installing when we can;
    raises RuntimeError with the command to run otherwise."""
    try:
        return ensure()
    except (subprocess.SubprocessError, OSError) as exc:
        raise RuntimeError(f"{HOW} ({exc})") from exc


def main() -> int:
    try:
        path = chromium_or_fail()
    except RuntimeError as exc:
        print(f"make chromium: {exc}", file=sys.stderr)
        return 1
    print(f"make chromium: {path or 'Playwright chromium'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
