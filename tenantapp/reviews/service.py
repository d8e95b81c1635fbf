"""The review loop (SPEC §5.12): ask after a completed visit, store the answer once, act on it.

- ``request_review`` runs in the transaction that completes a booking: one request per booking
  (unique ``booking_id``) and at most one per customer in 90 days; an e-mail with the signed
  feedback link, and a text when the customer takes texts (automated: quiet hours, metering).
- ``submit`` stores the score (0–10) and comment once; 0–6 e-mails staff at once (a detractor
  in NPS terms), 9–10 answers with the workspace's ``review_url`` so a happy customer can post
  a public review.
- ``summary`` gives NPS (% 9–10 minus % 0–6) and the average score, overall and per worker,
  for ``/admin/metrics``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from shared import db
from shared.errors import Conflict, NotFound
from shared.runtime import current_runtime
from shared.tenancy import current_tenant
from tenantapp.customers.models import Customer
from tenantapp.messaging.service import EmailKind, enqueue_email
from tenantapp.reviews.models import Review
from tenantapp.settings.models import TenantSettings
from tenantapp.sms import service as sms
from tenantapp.workers.models import Worker

REVIEW_REQUEST = EmailKind("review_request", optional=True)
REVIEW_ALERT = EmailKind("review_alert")
EMAILS = (REVIEW_REQUEST, REVIEW_ALERT)

CUSTOMER_COOLDOWN = timedelta(days=90)
TOKEN_MAX_AGE = 90 * 24 * 3600
SALT = "cleanplane.feedback"
DETRACTOR_MAX, PROMOTER_MIN = 6, 9


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_runtime().settings.secret_key, salt=SALT)


def feedback_token(review_id: int) -> str:
    return _serializer().dumps({"t": str(current_tenant().id), "r": review_id})


def feedback_url(review_id: int) -> str:
    base = current_runtime().settings.public_base_url.rstrip("/")
    return f"{base}/t/{current_tenant().slug}/feedback/{feedback_token(review_id)}"


def _review_for(token: str, lock: bool = False) -> Review:
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature as exc:
        raise NotFound("This feedback link is not valid or has expired.") from exc
    if not isinstance(data, dict) or data.get("t") != str(current_tenant().id):
        raise NotFound("This feedback link is not valid or has expired.")
    review = db.session().get(Review, data.get("r"), with_for_update=lock)
    if review is None:
        raise NotFound("This feedback link is not valid or has expired.")
    return review


def request_review(
    tx, booking, worker_ids: list[int], now: datetime | None = None
) -> Review | None:
    """Ask the customer of a completed ``booking`` for a score (in the completing transaction).

    None when the booking was asked before or the customer was asked within 90 days.
    """
    now = now or datetime.now(UTC)
    customer = tx.get(Customer, booking.customer_id)
    if customer is None or customer.anonymized_at is not None:
        return None
    asked = tx.scalar(
        select(Review.id)
        .where(
            (Review.booking_id == booking.id)
            | (
                (Review.customer_id == customer.id)
                & (Review.requested_at > now - CUSTOMER_COOLDOWN)
            )
        )
        .limit(1)
    )
    if asked is not None:
        return None
    workers = list(worker_ids)  # the crew, handed in by bookings (reviews never import it)
    review = Review(
        booking_id=booking.id, customer_id=customer.id, worker_ids=workers, requested_at=now
    )
    tx.add(review)
    tx.flush()
    url = feedback_url(review.id)
    if customer.email:
        enqueue_email(
            tx,
            REVIEW_REQUEST,
            customer.email,
            {"customer_name": customer.name},
            f"review_request:{booking.id}",
            secrets={"feedback_url": url},
        )
    sms.queue_sms(
        tx,
        customer,
        "review_request",
        {},
        f"review_request:{booking.id}",
        booking_id=booking.id,
        now=now,
        secrets={"feedback_url": url},
    )
    return review


def view(token: str) -> dict:
    """What the feedback page shows for ``token``."""
    review = _review_for(token)
    settings = db.session().get(TenantSettings, 1)
    return _out(review, settings)


def _out(review: Review, settings: TenantSettings) -> dict:
    answered = review.submitted_at is not None
    promoter = answered and review.score >= PROMOTER_MIN
    return {
        "company_name": settings.company_name,
        "booking_id": review.booking_id,
        "answered": answered,
        "score": review.score,
        "comment": review.comment,
        "submitted_at": review.submitted_at,
        "review_url": settings.review_url if promoter else None,
    }


def submit(token: str, score: int, comment: str | None) -> dict:
    """Store the answer once (409 ``conflict`` for a second one); alert staff at ≤ 6."""
    with db.transaction() as tx:
        review = _review_for(token, lock=True)
        if review.submitted_at is not None:
            raise Conflict("This visit was rated already. Thank you!", code="conflict")
        review.score = score
        review.comment = (comment or "").strip() or None
        review.submitted_at = datetime.now(UTC)
        settings = tx.get(TenantSettings, 1)
        if score <= DETRACTOR_MAX and settings.contact_email:
            customer = tx.get(Customer, review.customer_id)
            base = current_runtime().settings.public_base_url.rstrip("/")
            enqueue_email(
                tx,
                REVIEW_ALERT,
                settings.contact_email,
                {
                    "customer_name": customer.name if customer else "A customer",
                    "booking_id": review.booking_id,
                    "score": score,
                    "comment": review.comment or "",
                    "customer_url": (
                        f"{base}/t/{current_tenant().slug}/v1/admin/customers/"
                        f"{review.customer_id}/messages"
                    ),
                },
                f"review_alert:{review.booking_id}",
            )
        out = _out(review, settings)
    return out


def _nps(scores: list[int]) -> float | None:
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    return round(100 * (promoters - detractors) / len(scores), 1)


def _average(scores: list[int]) -> float | None:
    return round(sum(scores) / len(scores), 2) if scores else None


def summary(start: datetime | None, end: datetime | None) -> dict:
    """NPS and average score of the answers submitted in ``[start, end)``, and per worker."""
    sess = db.session()
    stmt = select(Review.score, Review.worker_ids).where(Review.submitted_at.is_not(None))
    if start is not None:
        stmt = stmt.where(Review.submitted_at >= start)
    if end is not None:
        stmt = stmt.where(Review.submitted_at < end)
    rows = sess.execute(stmt).all()
    scores = [r.score for r in rows]
    per_worker: dict[int, list[int]] = {}
    for score, workers in rows:
        for worker_id in workers or []:
            per_worker.setdefault(int(worker_id), []).append(score)
    names = {}
    if per_worker:
        found = sess.execute(select(Worker.id, Worker.name).where(Worker.id.in_(list(per_worker))))
        names = {worker_id: name for worker_id, name in found.all()}
    return {
        "responses": len(scores),
        "nps": _nps(scores),
        "average": _average(scores),
        "by_worker": [
            {
                "worker_id": worker_id,
                "name": names.get(worker_id),
                "responses": len(s),
                "nps": _nps(s),
                "average": _average(s),
            }
            for worker_id, s in sorted(per_worker.items())
        ],
    }


def erase_comments(tx, customer_ids: list[int]) -> None:
    """A data-deletion request: the person's comments go; their scores stay as anonymous
    figures (NPS, averages)."""
    tx.execute(update(Review).where(Review.customer_id.in_(customer_ids)).values(comment=None))


def for_customers(tx, customer_ids: list[int]) -> list[Review]:
    """The person's review requests and answers (the data export)."""
    return list(
        tx.scalars(select(Review).where(Review.customer_id.in_(customer_ids)).order_by(Review.id))
    )
