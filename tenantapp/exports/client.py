"""POST to a vetted export target, connecting to the vetted address (no second DNS lookup) with
TLS still checked against the host name, redirects never followed, and timeouts on every call."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from tenantapp.exports.guard import Target


class _PinnedAdapter(HTTPAdapter):
    """Connects to the IP in the URL but speaks TLS (SNI + certificate) for ``host``."""

    def __init__(self, host: str):
        self._host = host
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        # Dropped by urllib3 for plain http; used for https.
        kwargs["server_hostname"] = self._host
        kwargs["assert_hostname"] = self._host
        super().init_poolmanager(*args, **kwargs)


def _pinned_url(target: Target) -> str:
    parts = urlsplit(target.url)
    ip = ipaddress.ip_address(target.address)
    literal = f"[{ip}]" if ip.version == 6 else str(ip)
    return urlunsplit(
        (parts.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, "")
    )


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> requests.Response:
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    with requests.Session() as session:
        session.trust_env = False  # no proxies from the environment: we connect where we checked
        session.mount(f"{target.scheme}://", _PinnedAdapter(target.host))
        return session.post(
            _pinned_url(target),
            data=body,
            headers={**headers, "Host": host_header},
            timeout=(min(timeout, 3.0), timeout),
            allow_redirects=False,
        )
