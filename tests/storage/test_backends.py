"""Every backend honours the same contract: put, open, exists, delete (idempotent), delete_prefix,
provider URLs capped at 60 s."""

import io
import time
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from shared.storage import MAX_URL_SECONDS, ObjectNotFound, build_storage
from tests.storage.servers import cf_settings, make_bucket, s3_settings


@pytest.fixture(params=["local", "s3", "r2", "cloudflare_images"])
def store(request, settings, tmp_path):
    kind = request.param
    if kind == "local":
        return build_storage(settings.replace(storage_dir=str(tmp_path)))
    if kind == "s3":
        endpoint = request.getfixturevalue("moto_endpoint")
        return build_storage(s3_settings(settings, endpoint, make_bucket(endpoint)))
    if kind == "r2":
        endpoint = request.getfixturevalue("moto_endpoint")
        return build_storage(
            settings.replace(
                storage_backend="r2",
                r2_bucket=make_bucket(endpoint),
                r2_endpoint_url=endpoint,
                r2_access_key_id="test",
                r2_secret_access_key="test",
            )
        )
    return build_storage(cf_settings(settings, request.getfixturevalue("cf")))


def key(*parts: str) -> str:
    return "/".join(("tenants", str(uuid.uuid4()), *parts))


def test_put_then_read_back_from_bytes_and_from_a_stream(store):
    a, b = key("a.png"), key("b.png")
    ref_a = store.put(a, b"\x89PNG first", "image/png")
    ref_b = store.put(b, io.BytesIO(b"\x89PNG second" * 1000), "image/png")
    assert store.read(ref_a) == b"\x89PNG first"
    assert store.read(ref_b) == b"\x89PNG second" * 1000
    assert store.exists(ref_a) and store.exists(ref_b)


def test_delete_removes_and_deleting_again_is_fine(store):
    ref = store.put(key("x.jpg"), b"\xff\xd8\xff", "image/jpeg")
    store.delete(ref)
    assert not store.exists(ref)
    store.delete(ref)  # idempotent: the janitor may retry a delete that already happened
    with pytest.raises(ObjectNotFound):
        store.open(ref)


def test_delete_prefix_takes_only_that_prefix(store):
    tenant, other = str(uuid.uuid4()), str(uuid.uuid4())
    mine = [store.put(f"tenants/{tenant}/bookings/{i}/p.png", b"x", "image/png") for i in range(3)]
    # same leading characters but another tenant: a prefix ends with '/', so it is untouched
    near = store.put(f"tenants/{tenant[:-1]}/bookings/1/p.png", b"y", "image/png")
    theirs = store.put(f"tenants/{other}/bookings/1/p.png", b"z", "image/png")
    assert store.delete_prefix(f"tenants/{tenant}/") == 3
    assert not any(store.exists(r) for r in mine)
    assert store.exists(near) and store.exists(theirs)


@pytest.mark.parametrize("seconds", [0, 61, -1])
def test_provider_urls_live_at_most_60_seconds(store, seconds):
    ref = store.put(key("u.png"), b"x", "image/png")
    with pytest.raises(ValueError):
        store.presigned_url(ref, seconds)


def test_presigned_url_at_60_seconds(store):
    ref = store.put(key("u.png"), b"\x89PNG body", "image/png")
    if store.streams_downloads:
        with pytest.raises(NotImplementedError):
            store.presigned_url(ref, MAX_URL_SECONDS)
        return
    before = int(time.time())
    url = store.presigned_url(ref, MAX_URL_SECONDS)
    query = parse_qs(urlparse(url).query)
    if "X-Amz-Expires" in query:
        assert query["X-Amz-Expires"] == ["60"]
    else:
        assert before + 60 <= int(query["exp"][0]) <= int(time.time()) + 60
    got = requests.get(url, timeout=5)
    assert got.status_code == 200 and got.content == b"\x89PNG body"


@pytest.mark.parametrize("bad", ["../x", "/abs/x", "a//b", "a/./b", "a/../../b", "", "a/b/"])
def test_keys_that_could_escape_are_refused_by_every_backend(store, bad):
    from shared.storage import InvalidKey

    with pytest.raises(InvalidKey):
        store.put(bad, b"x", "image/png")
