"""The worker pages (``/t/<slug>/work/``): a cleaner's jobs on a phone (SPEC §4.5)."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"  # served as /assets/<digest>/work/<file>
