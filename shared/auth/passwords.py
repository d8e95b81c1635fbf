"""argon2id password hashing and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.settings import Settings

POLICY = "at least 12 characters with an upper-case letter, a lower-case letter and a digit"


def policy_problem(password: str) -> str | None:
    if (
        not isinstance(password, str)
        or len(password) < 12
        or not any(c.isupper() for c in password)
        or not any(c.islower() for c in password)
        or not any(c.isdigit() for c in password)
    ):
        return f"must be {POLICY}"
    return None


class Passwords:
    def __init__(self, settings: Settings):
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=1,
        )
        # Verifying against this keeps unknown-account logins as slow as real ones.
        self._dummy = self._hasher.hash("not-a-real-password-1A")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False
