"""The photo operations are documented with their security, permission and error responses."""


def test_photo_operations_in_openapi(client, tenant):
    paths = client.get(tenant.url("/openapi.json")).get_json()["paths"]
    upload = paths["/admin/bookings/{booking_id}/photos"]["post"]
    assert upload["security"] == [{"staffToken": []}] and upload["x-permission"] == "dispatch"
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "401", "402", "403", "404", "413", "415", "422"} <= set(upload["responses"])
    review = paths["/admin/bookings/{booking_id}/photos/{photo_id}/review"]["post"]
    assert review["x-permission"] == "admin"
    assert paths["/admin/photos/review-queue"]["get"]["x-permission"] == "dispatch"
    signed = paths["/admin/bookings/{booking_id}/photos/{photo_id}/signed-url"]["get"]
    assert signed["x-permission"] == "dispatch"
    download = paths["/photos/download"]["get"]
    assert download["security"] == []
    assert {"200", "302", "401", "410"} <= set(download["responses"])
