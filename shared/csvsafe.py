"""CSV export that spreadsheets cannot execute: cells starting with = + - @ tab or CR are escaped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Render one cell; a leading formula character is neutralised with a single quote."""
    if type(value) is int and value >= 0:  # most cells of a report: nothing to neutralise
        return str(value)
    text = "" if value is None else str(value)
    if text.startswith(DANGEROUS):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """Yield CSV text line by line (header first) for a streaming response."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([safe_cell(v) for v in row])
        yield buf.getvalue()
