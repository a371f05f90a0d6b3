"""Who sent a request: ``X-Forwarded-*`` believed from the configured proxies only.

A WSGI middleware of the app's own, so the rule is the same under waitress
(told to leave these headers alone, see ``serve``) as under any WSGI server.
The proxies are named by the settings in one of two ways, or both:

- ``trusted_proxy_addresses``: forwarded headers are believed only when the
  connection comes from one of these addresses or networks; the client is
  the right-most ``X-Forwarded-For`` entry that is not itself such a proxy
  (what nginx's ``real_ip_recursive`` does).
- ``trusted_proxies = N``: N proxies stand in front, and the app's port must
  be reachable from them only (anyone who can connect directly can claim any
  address); the client is the N-th ``X-Forwarded-For`` entry from the right,
  as werkzeug's ProxyFix counts.

Scheme and host come from the right-most ``X-Forwarded-Proto`` and
``X-Forwarded-Host``: the value of the proxy next to the app, which must set
(not append) them. Untrusted requests lose every forwarded header, so no code
further in (``request.access_route`` included) can be fooled by one; with no
proxy configured, no request is trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

#: In the WSGI environ: True when the request came through a trusted proxy.
FROM_PROXY_KEY = "tenantry.from_proxy"
#: In the WSGI environ: the address of the connection's peer, before any forwarding.
PEER_KEY = "tenantry.peer"
FORWARDED = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_FORWARDED",
    "HTTP_X_REQUEST_ID",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ForwardedHeaders:
    """WSGI middleware: the client's address, scheme and host as the trusted proxies saw them."""

    def __init__(self, app: Any, count: int = 0, addresses: Sequence[str] = ()):
        self.app = app
        self.count = count
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in addresses
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        environ[PEER_KEY] = peer
        if not (self.count or self.networks) or (self.networks and not self._trusted(peer)):
            for key in FORWARDED:
                environ.pop(key, None)
            return self.app(environ, start_response)
        environ[FROM_PROXY_KEY] = True
        client = self._client(_values(environ.get("HTTP_X_FORWARDED_FOR")))
        if client:
            environ["REMOTE_ADDR"] = client
        proto = _values(environ.get("HTTP_X_FORWARDED_PROTO"))
        if proto and proto[-1].lower() in ("http", "https"):
            environ["wsgi.url_scheme"] = proto[-1].lower()
        host = _values(environ.get("HTTP_X_FORWARDED_HOST"))
        if host:
            environ["HTTP_HOST"] = host[-1]
        return self.app(environ, start_response)

    def _client(self, chain: list[str]) -> str | None:
        if self.count:
            return chain[-self.count] if len(chain) >= self.count else None
        for address in reversed(chain):  # skip the proxies' own entries
            if not self._trusted(address):
                return address
        return chain[0] if chain else None

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


def _values(header: str | None) -> list[str]:
    return [value.strip() for value in header.split(",") if value.strip()] if header else []
