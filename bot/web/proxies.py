"""The client's address behind reverse proxies (``TRUSTED_PROXIES``).

Behind a reverse proxy every request comes from the proxy's address, so a limit per address would
be one limit for everybody; but ``X-Forwarded-For`` is written by whoever sends the request, so
believing it from anyone would let anybody pick the address they are counted under. The header is
therefore read only when the request comes from a declared proxy, from the right (the entry the
nearest proxy added) to the left, skipping declared proxies: the first other address is the
client's. With no proxy declared (the default), the header is ignored. ``X-Forwarded-Proto`` (was
the client's connection HTTPS?) is believed on the same terms.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(setting: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.0.2.1"`` → networks; a ``ValueError`` names a malformed entry."""
    networks = []
    for entry in setting.split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an address or network") from exc
    return tuple(networks)


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(
    remote: str | None, forwarded_for: str | None, proxies: Sequence[Network]
) -> str:
    """The client's address, from the peer's and ``X-Forwarded-For`` (see the module docstring)."""
    address = remote or "?"
    if not forwarded_for or not _trusted(address, proxies):
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # Not written by a proxy we trust: stop at the last address we can vouch for.
            return address
        address = hop
        if not _trusted(hop, proxies):
            return hop
    return address


def request_address(request: web.Request, proxies: Sequence[Network]) -> str:
    """:func:`client_address` of an aiohttp request."""
    forwarded_for = ",".join(request.headers.getall("X-Forwarded-For", ()))
    return client_address(request.remote, forwarded_for, proxies)


def request_is_https(request: web.Request, proxies: Sequence[Network]) -> bool:
    """Whether the client's connection is HTTPS: ours, or a declared proxy's word for it."""
    if request.secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return forwarded == "https" and _trusted(request.remote or "", proxies)
