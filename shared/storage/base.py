"""The storage interface every backend implements, and the key rule.

Keys are relative, slash-separated paths of safe characters (``tenants/<id>/bookings/1/<uuid>.png``):
no empty, ``.`` or ``..`` segments and no leading slash, so a key can never name anything outside the
store's root or tenant prefix. Every backend call goes through the shared ``storage`` circuit
breaker; a missing object is an answer (``None``/``False``), not a failure, so it never trips it.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import BinaryIO

from shared import circuit

KEY_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
MAX_KEY_LENGTH = 512
MAX_URL_SECONDS = 60
CHUNK = 64 * 1024
BREAKER = "storage"


class StorageError(RuntimeError):
    """The backend refused or failed an operation."""


class InvalidKey(ValueError):
    """A key that could escape its root or prefix."""


class ObjectNotFound(LookupError):
    """No object under that reference."""


def check_key(key: str) -> str:
    """Return ``key`` when it is a safe relative key, else raise ``InvalidKey``."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not KEY_RE.fullmatch(key):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix is a key followed by ``/`` (so ``tenants/a`` never matches ``tenants/ab``)."""
    if not isinstance(prefix, str) or not prefix.endswith("/"):
        raise InvalidKey(f"a prefix must end with '/': {prefix!r}")
    check_key(prefix[:-1])
    return prefix


def iter_chunks(stream: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    """Read ``stream`` in chunks and close it at the end (or when the consumer stops early)."""
    try:
        while chunk := stream.read(size):
            yield chunk
    finally:
        stream.close()


class Storage(ABC):
    """One object store. ``put`` returns the object's reference: the key itself for path-addressed
    stores; Cloudflare Images assigns its own id (private, signed-URL images cannot have custom
    ids). Every later call takes that reference."""

    name: str = "abstract"
    #: True when downloads are served by streaming through the app (no provider URL).
    streams_downloads: bool = False

    def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str:
        check_key(key)
        return circuit.call(BREAKER, self._put, key, data, content_type)

    def open(self, ref: str) -> BinaryIO:
        """A readable stream of the object (close it); ``ObjectNotFound`` when missing."""
        stream = circuit.call(BREAKER, self._open, self._check_ref(ref))
        if stream is None:
            raise ObjectNotFound(ref)
        return stream

    def read(self, ref: str) -> bytes:
        return b"".join(iter_chunks(self.open(ref)))

    def delete(self, ref: str) -> None:
        """Delete the object; deleting a missing object succeeds (retries are idempotent)."""
        circuit.call(BREAKER, self._delete, self._check_ref(ref))

    def exists(self, ref: str) -> bool:
        return bool(circuit.call(BREAKER, self._exists, self._check_ref(ref)))

    def presigned_url(self, ref: str, seconds: int) -> str:
        """A provider URL that serves the object for ``seconds`` (1..60)."""
        if not isinstance(seconds, int) or not 1 <= seconds <= MAX_URL_SECONDS:
            raise ValueError(f"presigned URLs live 1..{MAX_URL_SECONDS} s, not {seconds!r}")
        return circuit.call(BREAKER, self._presigned_url, self._check_ref(ref), seconds)

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix``; returns how many went."""
        return int(circuit.call(BREAKER, self._delete_prefix, check_prefix(prefix)))

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, sorted (backups copy a tenant's objects by key).

        Backends whose references are not keys (Cloudflare Images) raise ``NotImplementedError``.
        """
        return sorted(circuit.call(BREAKER, self._list_keys, check_prefix(prefix)))

    def _list_keys(self, prefix: str) -> list[str]:
        raise NotImplementedError(f"{self.name} storage cannot list objects by key prefix")

    # ------------------------------------------------------------------ backend hooks
    def _check_ref(self, ref: str) -> str:
        return check_key(ref)

    @abstractmethod
    def _put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str: ...

    @abstractmethod
    def _open(self, ref: str) -> BinaryIO | None: ...

    @abstractmethod
    def _delete(self, ref: str) -> None: ...

    @abstractmethod
    def _exists(self, ref: str) -> bool: ...

    @abstractmethod
    def _presigned_url(self, ref: str, seconds: int) -> str: ...

    @abstractmethod
    def _delete_prefix(self, prefix: str) -> int: ...
