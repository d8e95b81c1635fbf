"""Workers upload, list, link and delete photos of their own jobs; only their own uploads."""

import io

from tests.photos.conftest import make_booking, png_bytes, upload
from tests.workforce.helpers import add_team, assign, make_worker


def wupload(client, tenant, worker, booking_id, data=None):
    return client.post(
        tenant.url(f"/worker/jobs/{booking_id}/photos"),
        data={"file": (io.BytesIO(data or png_bytes()), "p.png", "image/png"), "phase": "AFTER"},
        headers=worker.headers,
        content_type="multipart/form-data",
    )


def test_worker_uploads_to_an_assigned_job_and_deletes_only_own(client, tenant):
    booking_id = make_booking(client, tenant)
    crew = make_worker(client, tenant)
    assign(client, tenant, booking_id, crew.id)
    mine = wupload(client, tenant, crew, booking_id)
    assert mine.status_code == 201, mine.get_json()
    staff_photo = upload(client, tenant, booking_id, png_bytes()).get_json()
    listed = client.get(tenant.url(f"/worker/jobs/{booking_id}/photos"), headers=crew.headers)
    assert {p["id"] for p in listed.get_json()["items"]} == {
        mine.get_json()["id"],
        staff_photo["id"],
    }
    link = client.get(
        tenant.url(f"/worker/jobs/{booking_id}/photos/{mine.get_json()['id']}/signed-url"),
        headers=crew.headers,
    )
    assert link.status_code == 200 and "/photos/download?token=" in link.get_json()["url"]
    denied = client.delete(
        tenant.url(f"/worker/jobs/{booking_id}/photos/{staff_photo['id']}"), headers=crew.headers
    )
    assert denied.status_code == 403
    gone = client.delete(
        tenant.url(f"/worker/jobs/{booking_id}/photos/{mine.get_json()['id']}"),
        headers=crew.headers,
    )
    assert gone.status_code == 204


def test_worker_of_another_team_or_tenant_gets_nothing(client, tenant, other_tenant):
    booking_id = make_booking(client, tenant)  # unassigned, default team
    outsider = make_worker(client, tenant, team_id=add_team(client, tenant))
    assert wupload(client, tenant, outsider, booking_id).status_code == 404
    assert (
        client.get(
            tenant.url(f"/worker/jobs/{booking_id}/photos"), headers=outsider.headers
        ).status_code
        == 404
    )
    foreign = make_worker(client, other_tenant)
    assert wupload(client, tenant, foreign, booking_id).status_code == 403
    assert (
        client.get(
            other_tenant.url(f"/worker/jobs/{booking_id}/photos"), headers=foreign.headers
        ).status_code
        == 404
    )
