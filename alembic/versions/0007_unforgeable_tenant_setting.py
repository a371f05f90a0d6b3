"""row-level security trusts only a signed tenant setting (PostgreSQL)

A random key in ``tenantry_private.rls_key``, readable by its owner (this
migration's role) and, through a grant made by ``tenantry db upgrade``, the
platform role; never by the role that serves tenants. ``tenantry_current_tenant()``
returns the tenant id of the setting ``tenantry.tenant_id`` = ``<id>.<hex HMAC-SHA256
of "tenant:<id>">`` when the MAC is right, else NULL; the policies (tenancy/rls.py)
compare ``tenant_id`` with it. The HMAC is written out over the built-in sha256() with
the key's pads stored beside it, so no extension is needed. The function is
SECURITY DEFINER (it reads the key as its owner) with a fixed search_path and
schema-qualified names, so no object the caller creates (a temporary table named
like the key's) can stand in for ours; PL/pgSQL, whose plans are kept per
session (a SQL function was planned again for every statement: ~15x the cost).

Nothing on SQLite, which has no row-level security.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 20:10:00
"""

import secrets
from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK_TOKEN = r"""
CREATE OR REPLACE FUNCTION public.tenantry_current_tenant() RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    token text := pg_catalog.current_setting('tenantry.tenant_id', true);
    id text := pg_catalog.split_part(token, '.', 1);
    mac text := pg_catalog.split_part(token, '.', 2);
    k record;
BEGIN
    -- The shape first, without a regular expression (PostgreSQL's cost ~60 us a call).
    IF token IS NULL
        OR pg_catalog.length(id) NOT BETWEEN 1 AND 18
        OR pg_catalog.left(id, 1) = '0'
        OR pg_catalog.translate(id, '0123456789', '') <> ''
        OR pg_catalog.length(mac) <> 64
        OR pg_catalog.translate(mac, '0123456789abcdef', '') <> ''
        OR token <> id || '.' || mac
    THEN
        RETURN NULL;
    END IF;
    SELECT inner_pad, outer_pad INTO k FROM tenantry_private.rls_key;
    -- Compared as digests of the MACs, so the comparison's time tells nothing.
    IF pg_catalog.sha256(pg_catalog.decode(mac, 'hex'))
        = pg_catalog.sha256(pg_catalog.sha256(k.outer_pad || pg_catalog.sha256(
            k.inner_pad || pg_catalog.convert_to('tenant:' || id, 'UTF8'))))
    THEN
        RETURN id::bigint;
    END IF;
    RETURN NULL;
END
$$
"""


def _pad(key: bytes, byte: int) -> bytes:
    return bytes(b ^ byte for b in key.ljust(64, b"\0"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    key = secrets.token_bytes(32)
    op.execute("CREATE SCHEMA tenantry_private")
    op.execute("REVOKE ALL ON SCHEMA tenantry_private FROM PUBLIC")
    op.execute(
        "CREATE TABLE tenantry_private.rls_key ("
        " one boolean PRIMARY KEY DEFAULT true CHECK (one),"
        " key bytea NOT NULL, inner_pad bytea NOT NULL, outer_pad bytea NOT NULL)"
    )
    op.get_bind().exec_driver_sql(
        "INSERT INTO tenantry_private.rls_key (key, inner_pad, outer_pad) VALUES (%s, %s, %s)",
        (key, _pad(key, 0x36), _pad(key, 0x5C)),
    )
    op.execute(CHECK_TOKEN)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # CASCADE drops the policies that call it: tenant tables then show no rows to
    # anyone but the platform role until the older code's `db upgrade` puts its own back.
    op.execute("DROP FUNCTION public.tenantry_current_tenant() CASCADE")
    op.execute("DROP SCHEMA tenantry_private CASCADE")
