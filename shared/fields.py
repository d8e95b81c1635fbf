"""Marshmallow fields whose OpenAPI schema says what the service checks (the password policy,
slug shape, IANA zones), so generated clients and the fuzzer (tests/fuzz) send what is accepted.

The checks themselves stay in the services (``policy_problem``, ``slug_problem``,
``time_zone_problem``), which report every field at once; these only document them.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from marshmallow import fields, validate

from shared.auth.passwords import POLICY

# shared.tenancy.SLUG_RE without its look-ahead: 3-40 characters, a letter first, single hyphens
# between letters and digits.
SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"


@cache
def _zones() -> list[str]:
    return sorted(available_timezones())


def password(**kwargs) -> fields.String:
    """A new password: the policy of ``shared.auth.passwords`` in the document."""
    metadata = {
        "description": f"At least {POLICY}.",
        "minLength": 12,
        # Unanchored patterns: each must occur somewhere.
        "allOf": [{"pattern": "[A-Z]"}, {"pattern": "[a-z]"}, {"pattern": "[0-9]"}],
    }
    return fields.String(
        load_only=True,
        validate=validate.Length(max=kwargs.pop("max_length", 256)),
        metadata=metadata,
        **kwargs,
    )


def slug(**kwargs) -> fields.String:
    return fields.String(
        metadata={"pattern": SLUG_PATTERN, "minLength": 3, "maxLength": 40}, **kwargs
    )


def time_zone(**kwargs) -> fields.String:
    """An IANA zone name (any the server's zoneinfo knows)."""
    return fields.String(metadata={"enum": _zones()}, **kwargs)
