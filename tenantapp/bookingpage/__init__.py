"""The customers' booking page (``/t/<slug>/book``), its confirmation and the embed script."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"  # served as /assets/<digest>/book/<file>
