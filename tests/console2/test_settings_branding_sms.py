"""Settings → Branding (logo with the API's 413/415 as messages, colour, intro) and → SMS
(sending number and its state, quiet hours, review page), through ``/admin/settings``'s
schema and services."""

from __future__ import annotations

import io

from PIL import Image

from tests.console.helpers import console, csrf_of, post_form, signed_in
from tests.console2.test_settings_pages import api, error_of, send


def _png(size=(600, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (15, 118, 110)).save(out, "PNG")
    return out.getvalue()


def _upload(client, tenant, body: bytes, name="logo.png"):
    token = csrf_of(client.get(console(tenant, "/settings/branding")).text)
    return post_form(
        client,
        console(tenant, "/settings/branding/logo"),
        {"file": (io.BytesIO(body), name)},
        token=token,
    )


def test_logo_upload_refusals_are_messages_and_a_good_one_is_shown(client, tenant):
    signed_in(client, tenant)
    big = _upload(client, tenant, b"\x89PNG\r\n\x1a\n" + b"0" * (512 * 1024))
    assert big.status_code == 413 and "A logo may be at most 512 KiB." in big.text
    svg = _upload(client, tenant, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg")
    assert svg.status_code == 415 and "SVG is not accepted" in svg.text
    broken = _upload(client, tenant, b"\x89PNG\r\n\x1a\n" + b"junk")
    assert broken.status_code == 422
    assert error_of(broken.text, "f-file") == "The file is not a readable PNG, JPEG or WebP image."
    assert api(client, tenant, "/admin/settings")["logo_url"] is None
    ok = _upload(client, tenant, _png())
    assert ok.status_code == 303, ok.text[:500]
    logo = api(client, tenant, "/admin/settings")["logo_url"]
    page = client.get(ok.headers["Location"]).text
    assert logo and f'src="/t/{tenant.slug}{logo}"' in page and "Logo uploaded." in page
    assert client.get(f"/t/{tenant.slug}{logo}").status_code == 200
    token = csrf_of(page)
    removed = post_form(client, console(tenant, "/settings/branding/logo/delete"), {}, token=token)
    assert removed.status_code == 303
    assert api(client, tenant, "/admin/settings")["logo_url"] is None


def test_brand_colour_and_intro(client, tenant):
    signed_in(client, tenant)
    bad = send(client, tenant, "/branding", {"brand_color": "teal", "booking_intro": "Hi"})
    assert bad.status_code == 422
    assert error_of(bad.text, "f-brand_color") == "Use a colour like #0f766e."
    ok = send(
        client,
        tenant,
        "/branding",
        {"brand_color": "#0F766E", "booking_intro": "We bring supplies."},
    )
    assert ok.status_code == 303
    settings = api(client, tenant, "/admin/settings")
    assert (
        settings["brand_color"] == "#0f766e" and settings["booking_intro"] == "We bring supplies."
    )
    page = client.get(ok.headers["Location"]).text
    assert 'fill="#0f766e"' in page and 'fill="#ffffff"' in page  # the swatch, no style attribute
    cleared = send(client, tenant, "/branding", {"brand_color": "", "booking_intro": ""})
    assert cleared.status_code == 303
    assert api(client, tenant, "/admin/settings")["brand_color"] is None


def test_sms_settings_and_the_numbers_state(client, tenant, other_tenant):
    signed_in(client, tenant)
    page = client.get(console(tenant, "/settings/sms")).text
    assert "The platform&#39;s shared number" in page and "Reminder, a day before" in page
    bad = send(
        client,
        tenant,
        "/sms",
        {"sms_from": "12", "sms_quiet_start": "25:00", "sms_quiet_end": "08:00", "review_url": ""},
    )
    assert bad.status_code == 422
    assert error_of(bad.text, "f-sms_quiet_start") == "use HH:MM (24-hour)"
    bad = send(
        client,
        tenant,
        "/sms",
        {"sms_from": "12", "sms_quiet_start": "20:00", "sms_quiet_end": "08:00", "review_url": ""},
    )
    assert error_of(bad.text, "f-sms_from") == "sms_from is not a valid phone number"
    ok = send(
        client,
        tenant,
        "/sms",
        {
            "sms_from": "(587) 555-0100",
            "sms_quiet_start": "20:30",
            "sms_quiet_end": "07:45",
            "review_url": "https://g.page/r/sparkle",
        },
    )
    assert ok.status_code == 303, ok.text[:500]
    settings = api(client, tenant, "/admin/settings")
    assert settings["sms_from"] == "+15875550100" and settings["sms_quiet_start"] == "20:30"
    page = client.get(ok.headers["Location"]).text
    assert "+15875550100, registered to this workspace" in page
    theirs = client.patch(
        other_tenant.url("/admin/settings"),
        json={"sms_from": "+15875550100"},
        headers=other_tenant.headers,
    )
    assert theirs.status_code == 409  # one workspace per number: the console shows the same
    signed_in(client, other_tenant)
    taken = send(
        client,
        other_tenant,
        "/sms",
        {
            "sms_from": "+15875550100",
            "sms_quiet_start": "21:00",
            "sms_quiet_end": "08:00",
            "review_url": "",
        },
    )
    assert (
        taken.status_code == 409
        and "Another workspace already texts from this number." in taken.text
    )
