"""The tenant setting row-level security believes: ``<tenant id>.<HMAC-SHA256>``.

The policy on every tenant table compares ``tenant_id`` with
``tenantry_current_tenant()``, a ``SECURITY DEFINER`` function owned by the
migrating role: it returns the id in ``tenantry.tenant_id`` only when the MAC
checks out against the key in ``tenantry_private.rls_key``, which the role that
serves tenants can neither read nor change. SQL sent as that role (an injection
included) may set the variable to anything; only the application, which reads
the key through the platform role, can name a tenant in it. The token travels
as a bound parameter, so no statement text (``pg_stat_activity``) ever shows it.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from tenantry.tenancy.errors import RowSecurityUnavailable

KEY_QUERY = "SELECT key FROM tenantry_private.rls_key"


class TenantTokens:
    """Signs tenant ids with the database's key, read once (on the first need) per process."""

    def __init__(self, load_key: Callable[[], bytes]):
        self._load_key = load_key
        self._key: bytes | None = None
        self._lock = threading.Lock()
        #: Signed once per tenant and process (~9 us each): one short string per tenant.
        self._signed: dict[int, str] = {}

    def token(self, tenant_id: int) -> str:
        signed = self._signed.get(tenant_id)
        if signed is None:
            key = self._key or self._loaded()
            mac = hmac.new(key, b"tenant:%d" % tenant_id, hashlib.sha256).hexdigest()
            signed = self._signed[tenant_id] = f"{tenant_id}.{mac}"
        return signed

    def _loaded(self) -> bytes:
        with self._lock:
            if self._key is None:
                self._key = self._load_key()
            return self._key


def key_reader(platform_engine: Engine) -> Callable[[], bytes]:
    """Read the key through the platform role (the tenant role has no access to it).

    A raw connection: statements on it must not trigger the settings hook, which
    would need the very key being read.
    """

    def read() -> bytes:
        connection = platform_engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(KEY_QUERY)
            row = cursor.fetchone()
            connection.rollback()
        except platform_engine.dialect.loaded_dbapi.Error as error:
            raise RowSecurityUnavailable(
                f"cannot read the row-level security key as the platform role ({error}); "
                "run `tenantry db upgrade`, and check platform_database_url"
            ) from None
        finally:
            connection.close()
        if row is None:
            raise RowSecurityUnavailable(
                "the row-level security key is missing; run `tenantry db upgrade`"
            )
        return bytes(row[0])

    return read
