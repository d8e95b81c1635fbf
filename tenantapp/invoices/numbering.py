"""Gapless document numbers: ``<prefix><year>-<6 digits>`` per tenant, series and year.

The counter row is incremented with an upsert that keeps it locked until the issuing transaction
ends: concurrent issues queue on it and get consecutive numbers in commit order, and a rollback
gives its number back with it (a sequence would leave a gap). Credit notes count on their own.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert

from tenantapp.invoices.models import DocumentCounter

CREDIT_NOTE_PREFIX = "CN-"


def next_number(tx, series: str, year: int, prefix: str) -> str:
    """Take the next number of ``series`` in ``year`` inside ``tx`` (row locked until commit)."""
    stmt = (
        insert(DocumentCounter)
        .values(series=series, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=["series", "year"],
            set_={"last_number": DocumentCounter.last_number + 1},
        )
        .returning(DocumentCounter.last_number)
    )
    number = tx.execute(stmt).scalar_one()
    return f"{prefix}{year}-{number:06d}"
