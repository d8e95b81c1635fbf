"""Branding settings: brand colour (WCAG AA text), booking intro, logo upload (SPEC §5.13)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tenantapp.settings.branding import contrast_ratio, text_color_for
from tests.support import signup

LOGO_LIMIT = 512 * 1024


def _image(fmt: str, size=(1200, 400), mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (15, 118, 110, 255) if mode == "RGBA" else (15, 118, 110)).save(out, fmt)
    return out.getvalue()


def _put_logo(client, tenant, body: bytes, content_type="image/png", headers=None):
    return client.put(
        tenant.url("/admin/settings/logo"),
        data=body,
        headers={**(tenant.headers if headers is None else headers), "Content-Type": content_type},
    )


@pytest.mark.parametrize(
    "color",
    ["#000000", "#ffffff", "#777777", "#767676", "#0f766e", "#ffd500", "#7c3aed", "#ff0000"],
)
def test_text_on_any_brand_colour_meets_wcag_aa(color):
    assert contrast_ratio(color, text_color_for(color)) >= 4.5


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # AA's edge
    assert text_color_for("#ffd500") == "#000000" and text_color_for("#0f766e") == "#ffffff"


def test_brand_colour_and_intro_round_trip_and_bad_colours_are_422(client):
    tenant = signup(client)
    url = tenant.url("/admin/settings")
    resp = client.patch(
        url,
        json={"brand_color": "#7C3AED", "booking_intro": "  Hi <b>there</b>  "},
        headers=tenant.headers,
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["brand_color"] == "#7c3aed" and body["brand_text_color"] == "#ffffff"
    assert body["booking_intro"] == "Hi <b>there</b>"
    for bad in ("#7c3ae", "7c3aed", "#7c3aedd", "#ggg000", "red", 5):
        resp = client.patch(url, json={"brand_color": bad}, headers=tenant.headers)
        assert resp.status_code == 422, bad
        assert resp.get_json()["errors"][0]["field"] == "brand_color"
    assert (
        client.patch(url, json={"booking_intro": "x" * 1001}, headers=tenant.headers).status_code
        == 422
    )
    assert (
        client.patch(url, json={"booking_intro": "x" * 1000}, headers=tenant.headers).status_code
        == 200
    )
    resp = client.patch(url, json={"brand_color": None}, headers=tenant.headers)
    assert resp.get_json()["brand_color"] is None and resp.get_json()["brand_text_color"] is None


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_logo_png_jpeg_webp_are_shrunk_to_webp_and_served_immutable(client, fmt, content_type):
    tenant = signup(client)
    mode = "RGB" if fmt == "JPEG" else "RGBA"
    resp = _put_logo(client, tenant, _image(fmt, mode=mode), content_type)
    assert resp.status_code == 200, resp.get_json()
    path = resp.get_json()["logo_url"]
    assert resp.get_json()["content_type"] == "image/webp"
    served = client.get(f"/t/{tenant.slug}{path}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "WEBP" and image.size == (480, 160)
    settings = client.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    assert settings["logo_url"] == path


def test_logo_type_is_decided_by_magic_bytes_not_the_header(client):
    tenant = signup(client)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    resp = _put_logo(client, tenant, svg, "image/png")
    assert resp.status_code == 415 and resp.get_json()["code"] == "unsupported_media_type"
    assert _put_logo(client, tenant, b"GIF89a" + b"\0" * 50, "image/gif").status_code == 415
    png_as_other = _put_logo(client, tenant, _image("PNG"), "application/octet-stream")
    assert png_as_other.status_code == 200
    # PNG magic bytes with garbage after them: not an image.
    resp = _put_logo(client, tenant, b"\x89PNG\r\n\x1a\n" + b"junk" * 100)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "file"
    assert _put_logo(client, tenant, b"").status_code == 422


def test_logo_size_limit_is_512_kib(client):
    tenant = signup(client)
    png = _image("PNG", size=(64, 64))
    at_limit = png + b"\0" * (LOGO_LIMIT - len(png))  # trailing bytes after IEND are ignored
    assert len(at_limit) == LOGO_LIMIT
    assert _put_logo(client, tenant, at_limit).status_code == 200
    over = _put_logo(client, tenant, at_limit + b"\0")
    assert over.status_code == 413 and over.get_json()["code"] == "payload_too_large"


def test_replacing_and_deleting_the_logo_retires_the_old_url(client):
    tenant = signup(client)
    first = _put_logo(client, tenant, _image("PNG")).get_json()["logo_url"]
    second = _put_logo(client, tenant, _image("PNG", size=(300, 300))).get_json()["logo_url"]
    assert first != second
    assert client.get(f"/t/{tenant.slug}{first}").status_code == 404
    assert client.get(f"/t/{tenant.slug}{second}").status_code == 200
    resp = client.delete(tenant.url("/admin/settings/logo"), headers=tenant.headers)
    assert resp.status_code == 204
    assert client.get(f"/t/{tenant.slug}{second}").status_code == 404
    settings = client.get(tenant.url("/admin/settings"), headers=tenant.headers).get_json()
    assert settings["logo_url"] is None
    assert (
        client.delete(tenant.url("/admin/settings/logo"), headers=tenant.headers).status_code == 204
    )


def test_logo_needs_admin_and_the_own_tenant(client):
    tenant, other = signup(client), signup(client)
    assert _put_logo(client, tenant, _image("PNG"), headers={}).status_code == 401
    resp = _put_logo(client, tenant, _image("PNG"), headers=other.headers)
    assert resp.status_code == 403 and resp.get_json()["code"] == "tenant_mismatch"
    path = _put_logo(client, tenant, _image("PNG")).get_json()["logo_url"]
    assert client.get(f"/t/{other.slug}{path}").status_code == 404  # digest of another tenant
