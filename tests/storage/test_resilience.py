"""Timeouts and the shared ``storage`` circuit breaker."""

import time

import pytest
import requests

from shared import circuit
from shared.errors import ServiceUnavailable
from shared.storage import StorageError, build_storage
from shared.storage.cloudflare import CloudflareImagesStorage
from tests.storage.servers import CF_ACCOUNT, CF_HASH, CF_SIGNING_KEY, CF_TOKEN, cf_settings


def _cf(standin, timeout=(3, 15)):
    return CloudflareImagesStorage(
        account_id=CF_ACCOUNT,
        api_token=CF_TOKEN,
        api_base=f"{standin.url}/client/v4",
        delivery_url=f"{standin.url}/{CF_HASH}",
        signing_key=CF_SIGNING_KEY,
        timeout=timeout,
    )


def test_provider_errors_raise_and_five_in_a_row_open_the_breaker(cf):
    store = _cf(cf)
    cf.fail_next = 100
    for _ in range(4):
        with pytest.raises(StorageError):
            store.put("tenants/t/a.png", b"\x89PNG", "image/png")
    assert circuit.states()["storage"] == "closed"
    with pytest.raises(ServiceUnavailable):  # the fifth failure trips it
        store.put("tenants/t/a.png", b"\x89PNG", "image/png")
    left = cf.fail_next
    with pytest.raises(ServiceUnavailable):  # open: fails fast without calling the provider
        store.exists("0123abcd")
    assert cf.fail_next == left
    assert circuit.states()["storage"] == "open"


def test_missing_objects_are_answers_not_failures(cf):
    store = _cf(cf)
    for _ in range(8):
        assert store.exists("0123abcd") is False
        store.delete("0123abcd")
    assert circuit.states()["storage"] == "closed"


def test_a_slow_provider_times_out(cf):
    store = _cf(cf, timeout=(0.5, 0.3))
    cf.delay = 1.5
    started = time.perf_counter()
    with pytest.raises(requests.Timeout):
        store.exists("0123abcd")
    assert time.perf_counter() - started < 1.4


def test_s3_client_has_short_timeouts_and_at_most_one_retry(settings):
    store = build_storage(
        settings.replace(storage_backend="s3", s3_bucket="b", s3_endpoint_url="http://127.0.0.1:9")
    )
    config = store.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (3, 15)
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}


def test_cloudflare_backend_from_settings_signs_delivery_urls(settings, cf):
    store = build_storage(cf_settings(settings, cf))
    ref = store.put("tenants/t/bookings/1/p.png", b"\x89PNG data", "image/png")
    url = store.presigned_url(ref, 60)
    assert requests.get(url, timeout=5).content == b"\x89PNG data"
    tampered = url.replace("exp=", "exp=9")
    assert requests.get(tampered, timeout=5).status_code == 403
    assert cf.images[ref]["requireSignedURLs"] is True
    assert cf.images[ref]["meta"] == {"key": "tenants/t/bookings/1/p.png"}
