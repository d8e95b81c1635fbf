"""The message catalogue of our pages: every text a page shows comes from here.

One TOML file per language in ``shared/web/messages/`` (``en.toml`` now; a ``fr.toml`` with the
same keys is all French needs). Keys are ``section.name``; ``{name}`` placeholders are filled by
``str.format``. A key missing from a language falls back to English; a key missing from English
is a ``KeyError``, so a template with a typo fails its test instead of showing nothing.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent / "messages"
DEFAULT = "en"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@cache
def catalogue(lang: str = DEFAULT) -> dict[str, str]:
    """Every message of ``lang`` (English for what it lacks)."""
    path = HERE / f"{lang}.toml"
    own = _flatten(tomllib.loads(path.read_text("utf-8"))) if path.is_file() else {}
    if lang == DEFAULT:
        return own
    return {**catalogue(DEFAULT), **own}


def languages() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


def message(key: str, lang: str = DEFAULT, **params) -> str:
    text = catalogue(lang)[key]
    return text.format(**params) if params else text


def section(prefix: str, lang: str = DEFAULT) -> dict[str, str]:
    """The messages under ``prefix.`` keyed by their short name (for a page's script)."""
    start = prefix + "."
    return {k[len(start) :]: v for k, v in catalogue(lang).items() if k.startswith(start)}
