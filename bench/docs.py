"""docs/benchmarks.md: each bench owns one ``## <title>`` section and replaces only that one."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\nEach bench runs in a database of its own, prints one line per figure and "
    "writes JSON under `bench/results/`. The latest numbers and the command that produced them:\n"
)


def replace_section(heading: str, section: str, path: Path = DOCS) -> None:
    """Put ``section`` (which starts with ``heading``) in place of the old one, or append it."""
    text = path.read_text() if path.exists() else HEADER
    start = text.find(heading)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        rest = "" if end == -1 else "\n" + text[end + 1 :]  # a blank line before the next one
        text = text[:start] + section.rstrip("\n") + "\n" + rest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
