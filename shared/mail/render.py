"""Rendering mail templates: ``<name>.txt`` (with a ``subject`` block) and ``<name>.html``.

Strict: a template that needs a value the caller did not give fails loudly (at enqueue time the
callers validate by rendering once), instead of mailing customers a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@pass_context
def _local(ctx, value, fmt: str = "%a %d %b %Y, %H:%M %Z") -> str:
    """An RFC 3339 string or aware datetime shown in the context's ``time_zone``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    zone = ZoneInfo(ctx.get("time_zone") or "UTC")
    return value.astimezone(zone).strftime(fmt)


def _money(cents) -> str:
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


@lru_cache(maxsize=8)
def environment(template_dir: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(template_dir),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["local"] = _local
    env.filters["money"] = _money
    return env


def render(template_dir: str | Path, name: str, context: dict) -> Rendered:
    env = environment(str(template_dir))
    text_tmpl = env.get_template(f"{name}.txt")
    html_tmpl = env.get_template(f"{name}.html")
    subject = "".join(text_tmpl.blocks["subject"](text_tmpl.new_context(dict(context))))
    return Rendered(
        subject=" ".join(subject.split()),
        text=text_tmpl.render(context),
        html=html_tmpl.render(context),
    )
