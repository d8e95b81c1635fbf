"""The customer's account (SPEC §5.13, issue #28): magic-link sign-in, ``typ=client`` sessions,
the account page, the invoice page and the feedback page."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"  # served as /assets/<digest>/account/<file>
