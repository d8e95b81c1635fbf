"""Write one ``### ...`` block of the ``## Scale`` section of docs/benchmarks.md, keeping the rest."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SCALE = "## Scale"
INTRO = (
    "Connection recycling, tenant routing over many tenants and the per-tenant roles experiment "
    "(SPEC §2.7, §10, §11). Each bench uses a database of its own, dropped at the end; "
    "the reasoning behind the chosen settings is in `docs/scaling.md`.\n"
)


def write_block(heading: str, body: str) -> None:
    """Replace (or append) ``### heading`` inside ``## Scale`` (created after the other sections)."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    block = f"### {heading}\n\n{body.strip()}\n"
    start = text.find(f"\n{SCALE}\n")
    if start == -1:
        text = text.rstrip("\n") + f"\n\n{SCALE}\n\n{INTRO}\n{block}"
        DOCS.write_text(text)
        return
    end = text.find("\n## ", start + 1)
    section = text[start + 1 : end + 1] if end != -1 else text[start + 1 :]
    rest = text[end + 1 :] if end != -1 else ""
    marker = f"### {heading}\n"
    at = section.find(marker)
    if at == -1:
        section = section.rstrip("\n") + "\n\n" + block
    else:
        nxt = section.find("\n### ", at + 1)
        section = section[:at] + block + ("\n" + section[nxt + 1 :] if nxt != -1 else "")
    text = text[: start + 1] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else "")
    DOCS.write_text(text)
