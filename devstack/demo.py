"""Sample data for the demo tenant: a few leads, bookings from two of them, and a worker.

Everything goes through the tenant API with the werkzeug client, exactly as a customer's browser
and the owner would send it, so the data obeys every rule the app enforces. Features that are not
in this checkout answer 404 and are skipped; any other refusal is reported, never fatal.
"""

from __future__ import annotations

from datetime import date, timedelta

LEADS = [
    ("Pat Example", "+1 403 555 0101", "pat@example.com", {"beds": 2, "baths": 1}),
    ("Robin Sample", "+1 403 555 0102", "robin@example.com", {"beds": 3, "baths": 2}),
    ("Alex Placeholder", "+1 403 555 0103", "alex@example.com", {"beds": 1, "baths": 1}),
]
WORKER = {"name": "Sam Cleaner", "email": "sam.worker@cleanplane.dev"}
BOOKED = 2  # the first two leads book


def next_monday(weeks_ahead: int = 2, today: date | None = None) -> date:
    day = (today or date.today()) + timedelta(days=7 * weeks_ahead)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def seed_sample_data(client, slug: str, access_token: str) -> str:
    """Create the sample rows; returns a one-line summary for the launcher's banner."""
    base = f"/t/{slug}/v1"
    staff = {"Authorization": f"Bearer {access_token}"}
    notes: list[str] = []
    leads = []  # (lead_id, lead_token): the token is the public caller's proof of the lead
    for name, phone, email, estimate in LEADS:
        body = {"name": name, "phone": phone, "email": email, "estimate_request": estimate}
        resp = client.post(f"{base}/leads", json=body)
        if resp.status_code == 404:
            notes.append("no leads (not in this checkout)")
            break
        if resp.status_code != 201:
            notes.append(f"lead {name!r} refused: {resp.status_code} {resp.get_data(True)[:200]}")
            continue
        created = resp.get_json()
        leads.append((created["lead_id"], created.get("lead_token")))
    bookings = 0
    for offset, (lead_id, token) in enumerate(leads[:BOOKED]):
        starts_at = f"{(next_monday() + timedelta(days=offset)).isoformat()}T09:00:00"
        body = {"lead_id": lead_id, "lead_token": token, "starts_at": starts_at}
        resp = client.post(f"{base}/bookings", json=body)
        if resp.status_code == 404:
            notes.append("no bookings (not in this checkout)")
            break
        if resp.status_code != 201:
            notes.append(f"booking refused: {resp.status_code} {resp.get_data(True)[:200]}")
            continue
        bookings += 1
    workers = 0
    resp = client.post(f"{base}/admin/workers", json=WORKER, headers=staff)
    if resp.status_code == 201:
        workers = 1
    elif resp.status_code == 404:
        notes.append("no workers (not in this checkout)")
    else:
        notes.append(f"worker refused: {resp.status_code} {resp.get_data(True)[:200]}")
    summary = f"{len(leads)} leads, {bookings} bookings, {workers} worker"
    return summary + (f" ({'; '.join(notes)})" if notes else "")
