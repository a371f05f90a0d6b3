"""Seed a Django peer's scratch database, as its owner: ``PEERS_TENANTS`` customers with
``PEERS_NOTES`` notes each, readable by the NOSUPERUSER role ``PEERS_APP_ROLE``.

In django-tenants' mode each customer gets a client row, a domain
(``<slug>.localhost``), a schema of its own and its table there; in the bare mode
the one customer's notes go in the public schema. Slugs and rows are the ones
tenantry's seeding gives (``slug_of``, ``public_rows``): every app's first customer
serves the same bytes.

    PEERS_MODE=tenants PEERS_DB_NAME=... PEERS_TENANTS=10 python -m bench.peers.djangoapp.seed
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.djangoapp.settings")


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bench.harness.seeding import public_rows, slug_of
    from bench.peers.djangoapp.publicnotes.models import PublicNote

    count, notes = int(os.environ["PEERS_TENANTS"]), int(os.environ["PEERS_NOTES"])
    role = os.environ["PEERS_APP_ROLE"]

    def fill(schema: str, slug: str) -> None:
        with connection.schema_editor() as editor:
            editor.create_model(PublicNote)
        PublicNote.objects.bulk_create(PublicNote(**row) for row in public_rows(slug, notes))
        with connection.cursor() as cursor:
            cursor.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
            cursor.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}')

    if not settings.TENANTS:
        fill("public", slug_of(0, count))
        return
    from bench.peers.djangoapp.customers.models import Client, Domain

    with connection.schema_editor() as editor:
        editor.create_model(Client)
        editor.create_model(Domain)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    for n in range(count):
        slug = slug_of(n, count)
        client = Client.objects.create(schema_name=slug, name=slug.upper())
        Domain.objects.create(domain=f"{slug}.localhost", tenant=client, is_primary=True)
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{slug}"')
        connection.set_tenant(client)
        fill(slug, slug)
        connection.set_schema_to_public()


if __name__ == "__main__":
    main()
