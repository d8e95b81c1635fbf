"""Secrets at rest (SPEC §8): TOTP secrets, export signing secrets and provider tokens.

Values are Fernet tokens made with ``DATA_ENCRYPTION_KEYS`` (comma-separated Fernet keys, newest
first) through ``MultiFernet``: encryption always uses the newest key, decryption tries every key,
so a new key can be put in front while rows written with the old one still read; ``flask keys
rotate`` then rewrites every row with the newest key and the old key can be dropped.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.runtime import current_runtime


class DecryptionFailed(RuntimeError):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise DecryptionFailed("DATA_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _keys() -> tuple[str, ...]:
    return tuple(current_runtime().settings.data_encryption_keys)


def encrypt(plaintext: str, keys: tuple[str, ...] | None = None) -> str:
    """The Fernet token of ``plaintext`` under the newest key."""
    return _multi(keys or _keys()).encrypt(plaintext.encode()).decode()


def decrypt(token: str, keys: tuple[str, ...] | None = None) -> str:
    """The plaintext of a token made by ``encrypt`` with any configured key."""
    try:
        return _multi(keys or _keys()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("stored secret does not decrypt with DATA_ENCRYPTION_KEYS") from exc


def rotate(token: str, keys: tuple[str, ...] | None = None) -> str:
    """``token`` re-encrypted with the newest key (same plaintext)."""
    try:
        return _multi(keys or _keys()).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("stored secret does not decrypt with DATA_ENCRYPTION_KEYS") from exc


def is_token(value: str) -> bool:
    """True when ``value`` looks like a Fernet token (version byte 0x80 → ``gAAAAA``)."""
    return value.startswith("gAAAAA")


def reveal(stored: str) -> str:
    """The plaintext of a stored secret, accepting a value still in plain text from before
    encryption (until ``flask keys rotate`` or the migration has encrypted it)."""
    return decrypt(stored) if is_token(stored) else stored


SEALED_KEY = "sealed"


def seal(secrets: dict) -> str:
    """Context values that must not sit readable in an outbox row (links carrying a token):
    encrypted, opened only by the sender at delivery time."""
    return encrypt(json.dumps(secrets))


def unsealed(payload: dict, keys: tuple[str, ...] | None = None) -> dict:
    """The template context of an outbox payload, sealed values opened."""
    context = {k: v for k, v in payload.items() if k != SEALED_KEY}
    if payload.get(SEALED_KEY):
        context.update(json.loads(decrypt(payload[SEALED_KEY], keys)))
    return context
