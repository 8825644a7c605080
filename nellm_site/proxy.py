"""The client's real address behind the TLS proxy, for HTTP and WebSockets alike.

daphne's own `--proxy-headers` believes X-Forwarded-For from anyone and takes its leftmost
entry, which the client writes; without it every request behind the proxy has the proxy's
address, and the per-address throttles lock everyone out together. This ASGI middleware
believes the forwarding headers only when the connection comes from NELLM_TRUSTED_PROXIES,
takes the rightmost address that is not itself a trusted proxy (the one the proxy saw), and
removes the headers from everyone else so that nothing downstream (Django's
SECURE_PROXY_SSL_HEADER included) can be told a story by a client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADERS = {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-port"}


@lru_cache(maxsize=8)
def trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """`127.0.0.1`, `10.0.0.0/8`, `::1`, ... as networks; a bad entry raises ValueError."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1 : text.find("]")]
    elif text.count(":") == 1:  # "203.0.113.5:5123"
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, networks: Iterable[Network]
) -> bool:
    return address is not None and any(address in network for network in networks)


def forwarded_client(forwarded_for: Iterable[str], networks: tuple[Network, ...]) -> str | None:
    """The address the trusted proxies saw: the rightmost hop that is not one of them."""
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = None
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage: this hop and everything left of it were written by the client
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client


class TrustedProxyMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] in ("http", "websocket"):
            scope = self._resolve(scope)
        return await self.app(scope, receive, send)

    @staticmethod
    def _resolve(scope: dict[str, Any]) -> dict[str, Any]:
        networks = trusted_networks(tuple(settings.NELLM_TRUSTED_PROXIES))
        headers = scope.get("headers") or []
        peer = scope.get("client")
        if not _is_trusted(_address(peer[0]) if peer else None, networks):
            # Not the proxy: whatever forwarding headers there are, the client wrote them.
            kept = [(name, value) for name, value in headers if name.lower() not in FORWARDED_HEADERS]
            return {**scope, "headers": kept} if len(kept) != len(headers) else scope
        forwarded = [value.decode("latin-1") for name, value in headers if name.lower() == b"x-forwarded-for"]
        client = forwarded_client(forwarded, networks)
        return {**scope, "client": [client, 0]} if client else scope
