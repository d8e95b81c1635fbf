"""The export SSRF guard refuses internal targets after DNS resolution, with reason codes."""

from __future__ import annotations

import socket

import pytest

from shared.settings import Settings, SettingsError
from tenantapp.exports import guard
from tenantapp.exports.guard import UnsafeTarget, check_url


@pytest.fixture()
def http_ok(settings) -> Settings:
    return settings.replace(export_allow_http=True, export_unsafe_allow_targets=[])


def _resolve_to(monkeypatch, *addresses):
    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(guard.socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback_address"),
        ("http://127.8.9.10:8080/hook", "loopback_address"),
        ("http://[::1]/hook", "loopback_address"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback_address"),
        ("http://169.254.169.254/latest/meta-data/", "metadata_address"),
        ("http://169.254.10.1/", "link_local_address"),
        ("http://[fe80::1]/", "link_local_address"),
        ("http://100.64.0.1/", "cgnat_address"),
        ("http://100.127.255.254/", "cgnat_address"),
        ("http://10.1.2.3/", "private_address"),
        ("http://172.16.0.1/", "private_address"),
        ("http://192.168.1.1/", "private_address"),
        ("http://[fd00::1]/", "private_address"),
        ("http://224.0.0.1/", "reserved_address"),
    ],
)
def test_internal_addresses_are_refused(http_ok, url, reason):
    with pytest.raises(UnsafeTarget) as err:
        check_url(url, http_ok)
    assert err.value.reason == reason


def test_cgnat_boundaries(http_ok, monkeypatch):
    for outside in ("100.63.255.255", "100.128.0.0"):
        _resolve_to(monkeypatch, outside)
        assert check_url(f"http://{outside}/", http_ok).address == outside
    with pytest.raises(UnsafeTarget):
        check_url("http://100.64.0.0/", http_ok)


def test_a_hostname_resolving_to_a_private_address_is_refused_after_dns(http_ok, monkeypatch):
    _resolve_to(monkeypatch, "10.0.0.7")
    with pytest.raises(UnsafeTarget) as err:
        check_url("http://hooks.customer.example/leads", http_ok)
    assert err.value.reason == "private_address"


def test_any_bad_address_among_several_refuses_the_host(http_ok, monkeypatch):
    _resolve_to(monkeypatch, "93.184.216.34", "10.0.0.7")
    with pytest.raises(UnsafeTarget) as err:
        check_url("http://mixed.example/leads", http_ok)
    assert err.value.reason == "private_address"


def test_a_public_host_is_allowed_and_pinned_to_the_vetted_address(http_ok, monkeypatch):
    _resolve_to(monkeypatch, "93.184.216.34")
    target = check_url("http://hooks.example.com:8443/leads?x=1", http_ok)
    assert (target.host, target.port, target.address) == (
        "hooks.example.com",
        8443,
        "93.184.216.34",
    )


def test_dns_failure_has_its_own_reason(http_ok, monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(guard.socket, "getaddrinfo", fail)
    with pytest.raises(UnsafeTarget) as err:
        check_url("http://nowhere.invalid/", http_ok)
    assert err.value.reason == "dns_failed"


def test_https_only_unless_http_is_allowed(settings, monkeypatch):
    _resolve_to(monkeypatch, "93.184.216.34")
    strict = settings.replace(export_allow_http=False)
    with pytest.raises(UnsafeTarget) as err:
        check_url("http://hooks.example.com/", strict)
    assert err.value.reason == "scheme_not_allowed"
    assert check_url("https://hooks.example.com/", strict).port == 443
    for url in ("ftp://hooks.example.com/", "hooks.example.com/x", "https:///nohost"):
        with pytest.raises(UnsafeTarget) as err:
            check_url(url, strict)
        assert err.value.reason == "invalid_url"


def test_credentials_in_the_url_are_refused(http_ok):
    with pytest.raises(UnsafeTarget) as err:
        check_url("https://user:secret@hooks.example.com/", http_ok)
    assert err.value.reason == "credentials_in_url"


def test_host_allowlist(settings, monkeypatch):
    _resolve_to(monkeypatch, "93.184.216.34")
    listed = settings.replace(export_host_allowlist=["hooks.example.com", ".crm.example.org"])
    assert check_url("https://hooks.example.com/a", listed)
    assert check_url("https://eu.crm.example.org/a", listed)
    assert check_url("https://crm.example.org/a", listed)
    for url in ("https://evil.example.com/", "https://crm.example.org.evil.test/"):
        with pytest.raises(UnsafeTarget) as err:
            check_url(url, listed)
        assert err.value.reason == "host_not_allowlisted"


def test_production_requires_an_allowlist(settings, monkeypatch):
    _resolve_to(monkeypatch, "93.184.216.34")
    prod = settings.replace(app_env="prod", export_host_allowlist=[])
    with pytest.raises(UnsafeTarget) as err:
        check_url("https://hooks.example.com/", prod)
    assert err.value.reason == "allowlist_required"


def test_the_test_only_allowance_is_one_exact_host_port(http_ok):
    allowed = frozenset({"127.0.0.1:18080"})
    assert (
        check_url("http://127.0.0.1:18080/x", http_ok, unsafe_allow=allowed).address == "127.0.0.1"
    )
    for url in ("http://127.0.0.1:18081/x", "http://127.0.0.1/x", "http://[::1]:18080/x"):
        with pytest.raises(UnsafeTarget) as err:
            check_url(url, http_ok, unsafe_allow=allowed)
        assert err.value.reason == "loopback_address"


def test_production_refuses_to_start_with_the_test_allowance():
    env = {
        "APP_ENV": "prod",
        "SECRET_KEY": "s" * 40,
        "JWT_SECRET": "j" * 40,
        "OPERATOR_BASIC_AUTH": "ops:pw-long-enough-16",
        "STRICT_CORS": "true",
        "METRICS_TOKEN": "m" * 32,
        "EXPORT_HOST_ALLOWLIST": "hooks.example.com",
        "STRIPE_SECRET_KEY": "sk_live_" + "a" * 24,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + "b" * 32,
        "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_" + "c" * 32,
        "DATA_ENCRYPTION_KEYS": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    }
    Settings.from_env(env)  # a valid production configuration
    with pytest.raises(SettingsError, match="EXPORT_UNSAFE_ALLOW_TARGETS"):
        Settings.from_env({**env, "EXPORT_UNSAFE_ALLOW_TARGETS": "127.0.0.1:8080"})


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # 6to4 (2002::/16): the IPv4 address sits in bits 16-48
        ("http://[2002:7f00:1::]/hook", "loopback_address"),
        ("http://[2002:c0a8:101::1]/hook", "private_address"),
        ("http://[2002:a00:1::]/hook", "private_address"),
        ("http://[2002:a9fe:a9fe::]/hook", "metadata_address"),
        ("http://[2002:6440:1::]/hook", "cgnat_address"),
        # Teredo (2001::/32): the client address is stored inverted in the last 32 bits
        ("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook", "private_address"),  # 10.0.0.1
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook", "loopback_address"),  # 127.0.0.1
        # NAT64 (64:ff9b::/96): the IPv4 address is the last 32 bits
        ("http://[64:ff9b::7f00:1]/hook", "loopback_address"),
        ("http://[64:ff9b::10.1.2.3]/hook", "private_address"),
        ("http://[64:ff9b::169.254.169.254]/hook", "metadata_address"),
        # IPv4-compatible (deprecated ::a.b.c.d)
        ("http://[::192.168.0.1]/hook", "private_address"),
    ],
)
def test_ipv6_forms_embedding_internal_ipv4_are_refused_for_that_address(http_ok, url, reason):
    with pytest.raises(UnsafeTarget) as err:
        check_url(url, http_ok)
    assert err.value.reason == reason


def test_a_name_resolving_to_6to4_of_loopback_is_refused(http_ok, monkeypatch):
    _resolve_to(monkeypatch, "2002:7f00:1::1")
    with pytest.raises(UnsafeTarget) as err:
        check_url("http://hooks.example.com/x", http_ok)
    assert err.value.reason == "loopback_address"


def test_6to4_of_a_public_address_is_allowed(http_ok, monkeypatch):
    _resolve_to(monkeypatch, "2002:808:808::1")  # 8.8.8.8
    assert check_url("http://hooks.example.com/x", http_ok).address == "2002:808:808::1"
