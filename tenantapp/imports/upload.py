"""Streaming multipart reader for customer imports: parts ``file`` (CSV) and ``dry_run``.

The file part is counted while it arrives: exactly ``MAX_BYTES`` (10 MiB) is accepted, the first
byte more stops the read with 413. A body that is not multipart, or a file that is plainly not
text (a spreadsheet workbook, a PDF, an image, NUL bytes) or is named other than ``.csv``/``.txt``
→ 415. Flask's ``MAX_CONTENT_LENGTH`` still bounds the whole body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

from shared.errors import AppError, BadRequest, ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
READ_CHUNK = 64 * 1024
MAX_FIELD_BYTES = 16
MAX_PARTS = 4
BINARY_SIGNATURES = (
    b"PK\x03\x04",  # xlsx / zip
    b"\xd0\xcf\x11\xe0",  # legacy xls
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
)
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


@dataclass
class CsvUpload:
    content: bytes
    filename: str | None
    dry_run: bool


def _check_text(content: bytes, filename: str | None) -> None:
    if filename and "." in filename and not filename.lower().endswith(TEXT_EXTENSIONS):
        raise UnsupportedMediaType("Upload the client list as a CSV file (.csv).")
    if content.startswith(BINARY_SIGNATURES) or b"\x00" in content[:65536]:
        raise UnsupportedMediaType(
            "This file is not CSV text; save the spreadsheet as CSV (UTF-8) and upload that."
        )


def _dry_run(raw: bytes | None) -> bool:
    if raw is None:
        return True
    value = raw.decode("utf-8", "replace").strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise ValidationFailed([{"field": "dry_run", "message": "must be true or false"}])


def read_csv_upload(stream: BinaryIO, content_type: str | None) -> CsvUpload:
    """Parse ``file`` and ``dry_run`` from a multipart body; 400/413/415/422 on bad input."""
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary:
        raise UnsupportedMediaType("Send the file as multipart/form-data (part 'file').")
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=MAX_PARTS)
    fields: dict[str, bytes] = {}
    chunks: list[bytes] | None = None
    size = 0
    filename = None
    target: str | None = None
    try:
        done = False
        while not done:
            chunk = stream.read(READ_CHUNK)
            decoder.receive_data(chunk or None)
            while True:
                event = decoder.next_event()
                if event is NEED_DATA:
                    break
                if isinstance(event, File):
                    if event.name != "file" or chunks is not None:
                        raise BadRequest("Send exactly one file, in the part named 'file'.")
                    chunks, target = [], "\x00file"
                    filename = _CONTROL.sub("", event.filename or "")[:255] or None
                elif isinstance(event, Field):
                    target = event.name
                    fields.setdefault(target, b"")
                elif isinstance(event, Data):
                    if target == "\x00file":
                        size += len(event.data)
                        if size > MAX_BYTES:
                            raise PayloadTooLarge(f"A CSV file may be at most {MAX_BYTES} bytes.")
                        chunks.append(event.data)
                    elif target is not None:
                        fields[target] += event.data
                        if len(fields[target]) > MAX_FIELD_BYTES:
                            raise ValidationFailed(
                                [{"field": target, "message": "value is too long"}]
                            )
                elif isinstance(event, Epilogue):
                    done = True
                    break
            if not chunk and not done:
                raise BadRequest("The multipart body ended early.")
    except ValueError as exc:
        raise BadRequest("The multipart body is malformed.") from exc
    dry_run = _dry_run(fields.get("dry_run"))
    if chunks is None:
        raise ValidationFailed([{"field": "file", "message": "a CSV file is required"}])
    content = b"".join(chunks)
    _check_text(content, filename)
    return CsvUpload(content=content, filename=filename, dry_run=dry_run)
