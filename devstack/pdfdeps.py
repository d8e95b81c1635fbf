"""``make pdfdeps``: make sure WeasyPrint (invoice PDFs) finds its system libraries.

WeasyPrint draws text with Pango (``libpango-1.0-0``, ``libpangoft2-1.0-0``) and subsets fonts
with HarfBuzz (``libharfbuzz-subset0``); the invoice template uses the DejaVu fonts
(``fonts-dejavu-core``). This checks by loading WeasyPrint in a child process; when that fails and
we run as root on a Debian-like system, it installs the packages with ``apt-get`` (no service is
involved). Without root or apt it explains what to install and exits 1; the PDF tests then fail
with the same words (``tenantapp.invoices.pdf``), never skip. ``make install``, ``make run`` and
``make test`` run it first. ``poppler-utils`` (``pdftoppm``, to look at a PDF as a picture) is
installed too when we install, but is not required.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core")
HOW = (
    "WeasyPrint (invoice PDFs) cannot load Pango: install the Debian packages "
    + " ".join(PACKAGES)
    + " (sudo apt-get install --no-install-recommends "
    + " ".join(PACKAGES)
    + "; on macOS: brew install pango), then run `make pdfdeps` again"
)
PROBE = "import weasyprint; weasyprint.HTML(string='<p>ok</p>').write_pdf()"


def works() -> tuple[bool, str]:
    """Whether WeasyPrint renders in a fresh interpreter (a failed load poisons the process)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode == 0, (done.stderr.strip().splitlines() or [""])[-1]


def _apt(*args: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Other work on the machine may hold the dpkg lock for a while: wait for it, do not fail.
    subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=600", *args], env=env, check=True, timeout=1200
    )


def install() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(HOW + " (not root, or no apt-get here)")
    _apt("update", "-qq")
    _apt("install", "-y", "-qq", "--no-install-recommends", *PACKAGES, "poppler-utils")


def ensure() -> None:
    ok, why = works()
    if ok:
        return
    install()
    ok, why = works()
    if not ok:
        raise RuntimeError(f"{HOW} (installed, but WeasyPrint still fails: {why})")


def main() -> int:
    try:
        ensure()
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"make pdfdeps: {exc}", file=sys.stderr)
        return 1
    print("make pdfdeps: WeasyPrint renders PDFs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
