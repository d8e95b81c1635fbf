"""Which CSV column holds what: headers matched case- and punctuation-insensitively against
aliases, in order of preference, including the column names of Jobber's and ZenMaid's client
exports (service address before billing address: the service address is where we clean).
"""

from __future__ import annotations

import re

ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "full name",
        "client name",
        "customer name",
        "contact name",
        "display name",
        "client",
        "customer",
    ),
    "first_name": ("first name", "firstname", "first", "given name", "client first name"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "client last name"),
    "email": (
        "email",
        "e mail",
        "email address",
        "e mail address",
        "emails",
        "e mails",
        "main email",
        "primary email",
        "client email",
        "customer email",
        "email 1",
        "work email",
        "personal email",
    ),
    "phone": (
        "phone",
        "phone number",
        "phone numbers",
        "main phone",
        "main phone number",
        "primary phone",
        "mobile phone",
        "mobile",
        "mobile phone number",
        "cell",
        "cell phone",
        "home phone",
        "work phone",
        "telephone",
        "tel",
        "phone 1",
        "other phone",
    ),
    "street": (
        "address",
        "street address",
        "street",
        "address 1",
        "address line 1",
        "street 1",
        "service street 1",
        "service street",
        "service address",
        "property address",
        "property street 1",
        "billing street 1",
        "billing street",
        "billing address",
        "billing address 1",
    ),
    "street2": (
        "address 2",
        "address line 2",
        "street 2",
        "apt",
        "apt suite",
        "unit",
        "suite",
        "service street 2",
        "property street 2",
        "billing street 2",
        "billing address 2",
    ),
    "city": ("city", "town", "service city", "property city", "billing city"),
    "region": (
        "state",
        "province",
        "state province",
        "province state",
        "region",
        "service state",
        "service province",
        "property state",
        "billing state",
        "billing province",
    ),
    "postal_code": (
        "postal code",
        "postcode",
        "post code",
        "zip",
        "zip code",
        "zipcode",
        "postal zip code",
        "zip postal code",
        "service zip code",
        "service postal code",
        "service zip",
        "property zip code",
        "property postal code",
        "billing zip code",
        "billing postal code",
        "billing zip",
    ),
    "notes": (
        "notes",
        "note",
        "client notes",
        "customer notes",
        "comments",
        "comment",
        "description",
    ),
}


def normalise_header(header: str) -> str:
    """``"Main Phone #"`` → ``"main phone"``, ``"E-mail"`` → ``"e mail"``."""
    text = header.replace("\ufeff", "").strip().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def match_columns(headers: list[str]) -> dict[str, list[int]]:
    """For each field, the indexes of the columns that hold it, best first."""
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        positions.setdefault(normalise_header(header), index)
    matched: dict[str, list[int]] = {}
    taken: set[int] = set()
    for field, aliases in ALIASES.items():
        found = [positions[a] for a in aliases if a in positions and positions[a] not in taken]
        if found:
            matched[field] = found
            taken.update(found)
    return matched
