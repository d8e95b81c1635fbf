"""The SSRF guard for export webhooks: decide, after DNS, whether a target may be called.

Refusals carry a reason code (kept on the outbox row and shown to admins):

``invalid_url``, ``scheme_not_allowed`` (https only unless ``EXPORT_ALLOW_HTTP``),
``credentials_in_url``, ``allowlist_required`` (production without ``EXPORT_HOST_ALLOWLIST``),
``host_not_allowlisted``, ``dns_failed``, ``loopback_address``, ``private_address``,
``link_local_address``, ``cgnat_address``, ``metadata_address``, ``reserved_address``,
``redirect_refused`` (redirects are never followed).

Every address the name resolves to must be public; the request then connects to the checked
address itself (see ``client.py``), so a DNS answer that changes between check and connect
(rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.settings import Settings

CGNAT = ipaddress.ip_network("100.64.0.0/10")
METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
}


class UnsafeTarget(Exception):  # noqa: N818 - a refusal with a reason code
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: str  # the vetted IP the request must connect to


NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: IPv4 in the last 32 bits
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (and a translator or relay would reach):
    IPv4-mapped, 6to4 (2002::/16), Teredo (2001::/32: server and de-obfuscated client),
    NAT64 (64:ff9b::/96) and IPv4-compatible (::/96)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in NAT64_WELL_KNOWN or (ip in IPV4_COMPATIBLE and int(ip) > 0xFFFF):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The reason code refusing ``ip``, or None when it is a public unicast address.

    An IPv6 address embedding an IPv4 address is refused for that address's reason first (a
    6to4 address of 127.0.0.1 is a loopback target), then judged as itself.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_problem(ip.ipv4_mapped)
        for inner in embedded_ipv4(ip):
            if (problem := address_problem(inner)) is not None:
                return problem
    if ip in METADATA:
        return "metadata_address"
    if ip.is_loopback:
        return "loopback_address"
    if ip.is_link_local:
        return "link_local_address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT:
        return "cgnat_address"
    if ip.is_private:
        return "private_address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "reserved_address"
    return None


def _host_allowed(host: str, allowlist: list[str]) -> bool:
    """Exact host, or a ``.example.com`` entry matching that domain's subdomains."""
    host = host.lower().rstrip(".")
    for entry in allowlist:
        entry = entry.lower().strip()
        if entry.startswith(".") and (host.endswith(entry) or host == entry[1:]):
            return True
        if host == entry.rstrip("."):
            return True
    return False


def check_url(
    url: str, settings: Settings, *, unsafe_allow: frozenset[str] | None = None
) -> Target:
    """Vet ``url``; return where to connect or raise ``UnsafeTarget``.

    ``unsafe_allow`` (default: ``settings.export_unsafe_allow_targets``, which production refuses
    to start with) lists ``host:port`` pairs let through despite their address — for tests that
    must reach a server on 127.0.0.1. Scheme and allowlist rules still apply to them.
    """
    if unsafe_allow is None:
        unsafe_allow = frozenset(settings.export_unsafe_allow_targets)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("invalid_url", str(exc)) from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeTarget("invalid_url", "an absolute http(s) URL is required")
    if scheme == "http" and not settings.export_allow_http:
        raise UnsafeTarget("scheme_not_allowed", "only https targets are allowed")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials_in_url", "put credentials in a header, not the URL")
    host = parts.hostname.lower().rstrip(".")
    port = port or (443 if scheme == "https" else 80)
    allowlist = settings.export_host_allowlist
    if settings.is_prod and not allowlist:
        raise UnsafeTarget("allowlist_required", "set EXPORT_HOST_ALLOWLIST")
    if allowlist and not _host_allowed(host, allowlist):
        raise UnsafeTarget("host_not_allowlisted", host)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise UnsafeTarget("dns_failed", f"{host}: {exc}") from exc
        addresses = []
        for info in infos:
            candidate = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            if candidate not in addresses:
                addresses.append(candidate)
        if not addresses:
            raise UnsafeTarget("dns_failed", f"{host} has no address")
    if f"{host}:{port}" not in unsafe_allow:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise UnsafeTarget(problem, f"{host} resolves to {address}")
    return Target(url=url, scheme=scheme, host=host, port=port, address=str(addresses[0]))
