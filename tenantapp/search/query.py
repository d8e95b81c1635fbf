"""What a search box query means: the text, its lower-case form, a phone number in E.164 (parsed
in the tenant's country, so "(780) 555-0123" and "780.555.0123" are one number), its digits,
and the SQL patterns built from it (escaped: a user's ``%`` or ``(`` is literal)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

RANKS = ("exact", "prefix", "contains", "fuzzy")
EXACT, PREFIX, CONTAINS, FUZZY = range(4)
FUZZY_MIN_CHARS = 3  # trigrams need three characters; shorter queries match by prefix only
PHONE_MIN_DIGITS = 4  # "0123" finds a phone ending in it; fewer digits would match everyone
_AMOUNT = re.compile(r"\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?")
_LIKE_SPECIAL = re.compile(r"([\\%_])")
_REGEX_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}-])")


@dataclass(frozen=True)
class SearchQuery:
    text: str
    lowered: str
    digits: str
    phone: str | None
    limit: int

    @classmethod
    def parse(cls, text: str, limit: int, country: str) -> SearchQuery:
        text = " ".join(text.split())
        return cls(
            text=text,
            lowered=text.lower(),
            digits=re.sub(r"\D", "", text),
            phone=e164(text, country),
            limit=limit,
        )

    @property
    def contains(self) -> str:
        """``ILIKE`` pattern: the text anywhere (served by the trigram indexes)."""
        escaped = _LIKE_SPECIAL.sub(r"\\\1", self.text)
        return f"%{escaped}%"

    @property
    def short(self) -> bool:
        """One or two characters: too short for trigrams; matched at the start of names and
        e-mails only (a b-tree prefix index), never anywhere inside."""
        return len(self.text) < FUZZY_MIN_CHARS

    @property
    def starts(self) -> str:
        """``LIKE`` pattern on a lower-cased column: the text at its start."""
        escaped = _LIKE_SPECIAL.sub(r"\\\1", self.lowered)
        return f"{escaped}%"

    @property
    def word_prefix(self) -> str:
        """``~*`` pattern: the text at the start of any word ("Jasper" in "10230 Jasper Ave")."""
        return r"\m" + _REGEX_SPECIAL.sub(r"\\\1", self.text)

    @property
    def fuzzy(self) -> bool:
        """Trigram similarity makes sense for words, not for numbers typed as a phone."""
        return len(self.text) >= FUZZY_MIN_CHARS and self.phone_digits is None

    @property
    def phone_digits(self) -> str | None:
        """Digits to find inside stored phones, when the query looks like part of a number."""
        if len(self.digits) >= PHONE_MIN_DIGITS and re.fullmatch(r"[\d\s().+-]+", self.text):
            return self.digits
        return None

    @property
    def amount_cents(self) -> int | None:
        """The query as a money amount ("105", "$105.50", "1,250.00"), in cents, else None."""
        found = _AMOUNT.fullmatch(self.text)
        if found is None:
            return None
        whole, part = found.group(1).replace(",", ""), (found.group(2) or "").ljust(2, "0")
        if len(whole) > 12:
            return None
        return int(whole) * 100 + int(part)

    @property
    def postal(self) -> str:
        return re.sub(r"\s", "", self.text).upper()


def e164(text: str, country: str) -> str | None:
    """``text`` as an E.164 number when it is a valid phone number in ``country``, else None."""
    if not re.fullmatch(r"[\d\s().+-]{7,30}", text):
        return None
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
