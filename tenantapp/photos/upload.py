"""Streaming multipart reader for photo uploads.

The body is read from the WSGI stream in chunks and the ``file`` part is counted as it arrives:
the first byte past ``max_bytes`` stops the read with 413, before anything reaches storage (the
part is spooled to a temporary file, memory up to 1 MiB). The type is decided by magic bytes, not
by the client's Content-Type: JPEG, PNG or WebP, else 415. Content-Length is never trusted;
Flask's ``MAX_CONTENT_LENGTH`` (the photo cap + 1 MiB) still bounds the whole body.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from typing import BinaryIO

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

from shared.errors import AppError, BadRequest, ValidationFailed
from tenantapp.photos.models import PHASES

READ_CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
MAX_FIELD_BYTES = 64
MAX_PARTS = 8
SNIFF_BYTES = 12
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


def sniff(head: bytes) -> tuple[str, str] | None:
    """``(content_type, extension)`` from an image's first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def clean_filename(name: str | None) -> str | None:
    """The client's file name as metadata only: control characters out, at most 255 chars."""
    if not name:
        return None
    return _CONTROL.sub("", name)[:255] or None


@dataclass
class Upload:
    """A validated photo: spooled bytes (at position 0), size, SHA-256 and sniffed type."""

    phase: str
    file: BinaryIO
    size: int
    sha256: str
    content_type: str
    extension: str
    filename: str | None

    def close(self) -> None:
        self.file.close()


@dataclass
class _FilePart:
    spool: BinaryIO = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    )
    size: int = 0
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    head: bytes = b""
    kind: tuple[str, str] | None = None
    filename: str | None = None

    def feed(self, data: bytes, max_bytes: int) -> None:
        self.size += len(data)
        if self.size > max_bytes:
            raise PayloadTooLarge(f"A photo may be at most {max_bytes} bytes.")
        if self.kind is None and len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES:
                self.check_kind()
        self.digest.update(data)
        self.spool.write(data)

    def check_kind(self) -> None:
        self.kind = sniff(self.head)
        if self.kind is None:
            raise UnsupportedMediaType("Photos must be JPEG, PNG or WebP images.")


def read_upload(stream: BinaryIO, content_type: str | None, max_bytes: int) -> Upload:
    """Parse ``phase`` + ``file`` from a multipart body; raise 400/413/415/422 on bad input."""
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary:
        raise UnsupportedMediaType("Send the photo as multipart/form-data.")
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=MAX_PARTS)
    fields: dict[str, bytes] = {}
    part: _FilePart | None = None
    target: _FilePart | str | None = None  # where the next Data event goes
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
                    if event.name != "file" or part is not None:
                        raise BadRequest("Send exactly one file, in the part named 'file'.")
                    part = target = _FilePart(filename=clean_filename(event.filename))
                elif isinstance(event, Field):
                    target = event.name
                    fields.setdefault(target, b"")
                elif isinstance(event, Data):
                    if isinstance(target, _FilePart):
                        target.feed(event.data, max_bytes)
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
        if part is not None:
            part.spool.close()
        raise BadRequest("The multipart body is malformed.") from exc
    except BaseException:
        if part is not None:
            part.spool.close()
        raise
    return _finish(fields, part)


def _finish(fields: dict[str, bytes], part: _FilePart | None) -> Upload:
    errors = []
    phase = fields.get("phase", b"").decode("utf-8", "replace").strip()
    if phase not in PHASES:
        errors.append({"field": "phase", "message": "must be BEFORE or AFTER"})
    if part is None:
        errors.append({"field": "file", "message": "a photo file is required"})
    if errors:
        if part is not None:
            part.spool.close()
        raise ValidationFailed(errors)
    if part.kind is None:
        try:
            part.check_kind()  # shorter than the sniff window: decide on what there is
        except UnsupportedMediaType:
            part.spool.close()
            raise
    part.spool.seek(0)
    content_type, extension = part.kind
    return Upload(
        phase=phase,
        file=part.spool,
        size=part.size,
        sha256=part.digest.hexdigest(),
        content_type=content_type,
        extension=extension,
        filename=part.filename,
    )
