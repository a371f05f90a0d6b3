"""The balancer configurations shipped in ``deploy/``, rendered for loopback.

Tests and benchmarks run the very files an operator copies, with only the
listening port, the backends' ports and the log paths changed; a shipped file
whose shape no longer matches fails here loudly instead of being silently
left out of the test::

    with Nginx(nginx_config([8001, 8002])) as nginx, balancer("haproxy", [8001]) as ha:
        ... nginx.port, ha.port ...
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from tenantry.testing.daemons import HAProxy, Nginx
from tenantry.testing.processes import CHECKOUT

DEPLOY = CHECKOUT / "deploy"


def _substitute(text: str, pattern: str, replacement: str, source: Path) -> str:
    changed, count = re.subn(pattern, lambda _m: replacement, text, count=1, flags=re.M)
    if count != 1:
        raise AssertionError(f"{source} no longer has a line matching {pattern!r}")
    return changed


def _servers(text: str, pattern: str, lines: list[str], source: Path) -> str:
    """Replace the shipped backend lines (a block of consecutive ones) with ``lines``."""
    found = list(re.finditer(pattern, text, flags=re.M))
    if not found:
        raise AssertionError(f"{source} has no backend lines matching {pattern!r}")
    return text[: found[0].start()] + "\n".join(lines) + text[found[-1].end() :]


def nginx_config(backends: Sequence[int]) -> str:
    """A whole nginx.conf: ``deploy/nginx.conf`` inside ``http {}``, in front of ``backends``
    (ports on 127.0.0.1); ``{port}`` and ``{workdir}`` are left for ``daemons.Nginx``."""
    source = DEPLOY / "nginx.conf"
    site = source.read_text()
    site = _substitute(site, r"^\s*listen 80;$", "    listen 127.0.0.1:{port};", source)
    site = _substitute(
        site, r"^\s*access_log /var/log/\S+", "    access_log {workdir}/access.log", source
    )
    site = _servers(
        site,
        r"^\s*server 127\.0\.0\.1:\d+ (.*);$",
        [f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in backends],
        source,
    )
    temp = " ".join(
        f"{kind}_temp_path {{workdir}}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        "worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n{temp}\n{site}\n}}\n"
    )


def haproxy_config(backends: Sequence[int]) -> str:
    """``deploy/haproxy.cfg`` in front of ``backends`` (ports on 127.0.0.1), listening on
    ``{port}`` (left for ``daemons.HAProxy``)."""
    source = DEPLOY / "haproxy.cfg"
    config = source.read_text()
    config = _substitute(config, r"^\s*bind :80$", "    bind 127.0.0.1:{port}", source)
    return _servers(
        config,
        r"^\s*server app\d+ 127\.0\.0\.1:\d+ check$",
        [f"    server app{n} 127.0.0.1:{port} check" for n, port in enumerate(backends, 1)],
        source,
    )


def balancer(kind: str, backends: Sequence[int]) -> Nginx | HAProxy:
    """The shipped ``"nginx"`` or ``"haproxy"`` configuration in front of ``backends``,
    not yet started (a context manager)."""
    if kind == "nginx":
        return Nginx(nginx_config(backends))
    return HAProxy(haproxy_config(backends))
