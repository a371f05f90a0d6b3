"""One Django peer under waitress: ``PEERS_PORT``, ``PEERS_THREADS`` (as tenantry's)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.djangoapp.settings")


def main() -> None:
    from django.core.wsgi import get_wsgi_application
    from waitress import serve

    serve(
        get_wsgi_application(),
        host="127.0.0.1",
        port=int(os.environ["PEERS_PORT"]),
        threads=int(os.environ.get("PEERS_THREADS", "8")),
        ident="django",
    )


if __name__ == "__main__":
    main()
