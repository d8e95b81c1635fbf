"""The control plane's pages for owners (SPEC §4.5): sign-up, sign-in, password reset and the
invitation page; served from the platform's root (``/signup``, ``/login``...)."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"  # served as /assets/<digest>/owner/<file>
