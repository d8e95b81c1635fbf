"""``make promtool``: make sure ``promtool`` (Debian package ``prometheus``) is on PATH.

The alerting tests (tests/ops/test_alerting.py) run ``promtool check rules`` and ``promtool test
rules`` on ops/prometheus/. When promtool is missing and we run as root on a Debian-like system, this
installs the package: ``apt-get update`` once, then ``apt-get install -y --no-install-recommends
prometheus``. No service is started: Debian asks ``/usr/sbin/policy-rc.d`` before starting one, and
while it runs this step puts a refusing policy there when none exists (removed again afterwards).
Without root or apt it explains what to install and exits 1; the tests then fail with the same words,
never skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

POLICY = Path("/usr/sbin/policy-rc.d")
HOW = (
    "promtool is missing: install the Debian package 'prometheus' "
    "(sudo apt-get install --no-install-recommends prometheus), or put promtool on PATH"
)


def find() -> str | None:
    return shutil.which("promtool")


def _apt(*args: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Other work on the machine may hold the dpkg lock for a while: wait for it, do not fail.
    subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=600", *args], env=env, check=True, timeout=1200
    )


def install() -> str:
    """Install the ``prometheus`` package without starting its service; return promtool's path."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(HOW + " (not root, or no apt-get here)")
    own_policy = not POLICY.exists()
    if own_policy:
        POLICY.write_text(
            "#!/bin/sh\n# devstack/promtool.py: start no service while installing\nexit 101\n"
        )
        POLICY.chmod(0o755)
    try:
        _apt("update", "-qq")
        _apt("install", "-y", "-qq", "--no-install-recommends", "prometheus")
    finally:
        if own_policy:
            POLICY.unlink(missing_ok=True)
    path = find()
    if path is None:
        raise RuntimeError(HOW + " (the package installed, but promtool is not on PATH)")
    return path


def ensure() -> str:
    return find() or install()


def main() -> int:
    try:
        path = ensure()
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"make promtool: {exc}", file=sys.stderr)
        return 1
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    print(f"make promtool: {(version.stdout or version.stderr).splitlines()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
