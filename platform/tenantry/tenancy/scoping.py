"""Automatic confinement of ORM reads and writes to the current tenant.

Reads: every ORM SELECT, UPDATE and DELETE that involves a ``TenantScoped``
entity gets ``tenant_id = :tenant`` added for every such entity in it (joins,
aliases, subqueries and relationship loads included) via
``with_loader_criteria``. The tenant id is a bound parameter supplied with each
execution, so the cached compiled statement is shared by all tenants and never
carries one tenant's id.

Writes: ``before_flush`` stamps new rows with the current tenant and refuses
rows that belong, or would move, to another tenant.

Connections: a transaction runs on the tenant role's engine when it begins in
a tenant's context, on the platform role's otherwise (inside ``all_tenants()``,
on the root host, in the CLI), and stays on it; only ``all_tenants()`` inside a
tenant's transaction opens a second connection, as the platform role, because
the tenant role cannot see other tenants by any statement (see ``rls``). A
read-only request may read from a replica instead (``replicas``).

PostgreSQL: the transaction's first round trip sets the row-level security
settings for its context (see ``connections``: transaction-local, a signed
token) and fetches the tenant's live status for the request gate; the same
round trip confirms that the custom domain the request came in on still belongs
to the tenant (a domain moved by another process is noticed on the next
request), sets what must be transaction-local behind PgBouncer (``engines``)
and, on a replica, answers whether it may serve this session (``replicas``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, event, inspect, literal, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.visitors import iterate

from tenantry import engines, replicas
from tenantry.db import PLATFORM_BIND, Base
from tenantry.signals import hosts_changed
from tenantry.tenancy.connections import CLEAN, SETS_RLS, SETTINGS
from tenantry.tenancy.context import TenantRef, bypassing, get_tenant, require_tenant_id
from tenantry.tenancy.errors import NoTenantError, TenantViolation
from tenantry.tenancy.mixins import TenantScoped

STATE_KEY = "tenantry.tenant_state"
HOSTS_CHANGED_KEY = "tenantry.hosts_changed"
#: The custom domain the request came in on (None: a subdomain), checked with the state.
DOMAIN_KEY = "tenantry.domain"
#: The engine the session's transaction began on; it keeps using that one.
HOME_BIND = "tenantry.home_bind"

_SET_RLS = f"SELECT {SETTINGS}{{extra}} FROM {CLEAN}"
#: One row whatever happens (the LEFT JOIN), so the extra columns always come back.
_SET_RLS_AND_STATE = (
    f"SELECT {SETTINGS}{{extra}}, t.status, t.revision, t.slug, t.name, t.timezone, t.locale"
    f" FROM {CLEAN} LEFT JOIN tenantry_tenant t ON t.id = %(id)s AND (%(domain)s::text IS NULL"
    " OR EXISTS (SELECT 1 FROM tenantry_domain d WHERE d.tenant_id = t.id"
    " AND d.hostname = %(domain)s))"
)
_STATE = (
    "SELECT status, revision, slug, name, timezone, locale FROM tenantry_tenant t"
    " WHERE id = ? AND (? IS NULL OR EXISTS (SELECT 1 FROM tenantry_domain d"
    " WHERE d.tenant_id = t.id AND d.hostname = ?))"
)


class TenantSession(Session):
    """A Session whose reads and writes stay inside the current tenant."""

    def get_bind(self, mapper: Any = None, **kwargs: Any) -> Any:
        """The tenant role's engine, or the platform role's: see the module's docstring."""
        tenant_bind = super().get_bind(mapper, **kwargs)
        platform = self.info.get(PLATFORM_BIND)
        if platform is None or platform is tenant_bind or kwargs.get("bind") is not None:
            return tenant_bind
        if bypassing():
            return platform
        home = self.info.get(HOME_BIND)
        if home is tenant_bind or home is platform:  # not a replica: writes never go there
            return home
        return tenant_bind if get_tenant() is not None else platform

    def reads_may_use_replica(self) -> bool:
        """A tenant's reads may come from a replica; cross-tenant work (``all_tenants()``,
        the root host) needs the platform role, which only the primary serves."""
        return get_tenant() is not None and not bypassing()

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        """``get(Note, id)``: a tenant table's row by its id alone, as before its key
        became ``(tenant_id, id)``; the current tenant supplies the other half.

        Inside ``all_tenants()`` the id is looked up in every tenant (ids are unique
        per table). A whole key, ``(tenant_id, id)``, is taken as given.
        """
        if not _is_tenant_model(entity):
            return super().get(entity, ident, **kwargs)
        single = _single_id(ident)
        if single is _WHOLE_KEY:
            found = super().get(entity, ident, **kwargs)
        elif bypassing():
            return self._get_in_any_tenant(entity, single, **kwargs)
        else:
            found = super().get(entity, (require_tenant_id(), single), **kwargs)
        # The identity map answers without SQL, so check the row's owner here too.
        if found is not None and not bypassing() and found.tenant_id != require_tenant_id():
            return None
        return found

    def get_one(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        found = self.get(entity, ident, **kwargs)
        if found is None:
            raise NoResultFound(f"no {getattr(entity, '__name__', entity)} with key {ident!r}")
        return found

    def _get_in_any_tenant(
        self,
        entity: Any,
        ident: Any,
        *,
        options: Any = (),
        populate_existing: bool = False,
        with_for_update: Any = None,
        **unsupported: Any,
    ) -> Any:
        if unsupported:
            raise TypeError(
                f"get({entity.__name__}, id) across tenants does not take {sorted(unsupported)}; "
                "pass the full key (tenant_id, id)"
            )
        # Typed as the id, so an id that came as text ("5", from a URL) compares as a number.
        query = select(entity).where(entity.id == literal(ident, entity.id.type))
        query = query.options(*options)
        if with_for_update:
            lock = with_for_update if isinstance(with_for_update, dict) else {}
            query = query.with_for_update(**lock)
        if populate_existing:
            query = query.execution_options(populate_existing=True)
        return self.scalars(query).first()

    def live_tenant(self, domain: str | None = None) -> TenantRef | None:
        """The current tenant as its row stood when this transaction began (status,
        revision, name...), read in the transaction's first round trip; None when it no
        longer exists, or ``domain`` (the custom domain of the request) is no longer its."""
        self.info[DOMAIN_KEY] = domain
        self.connection(bind_arguments={"clause": _A_READ})  # a read-only request's reader
        return self.info.get(STATE_KEY)


#: What ``live_tenant`` tells ``get_bind``: the connection it asks for only reads.
_A_READ = select(literal(1))


def _is_tenant_model(entity: Any) -> bool:
    return isinstance(entity, type) and issubclass(entity, TenantScoped)


#: What ``_single_id`` answers for an identity that already names the tenant.
_WHOLE_KEY = object()


def _single_id(ident: Any) -> Any:
    """The id of ``5``, ``"5"``, ``(5,)`` (how Flask-Admin passes it) or ``{"id": 5}``;
    ``_WHOLE_KEY`` for ``(tenant_id, id)`` or a dict naming ``tenant_id``."""
    if isinstance(ident, dict):
        return _WHOLE_KEY if "tenant_id" in ident else ident.get("id")
    if isinstance(ident, tuple | list):
        return ident[0] if len(ident) == 1 else _WHOLE_KEY
    return ident


@event.listens_for(TenantSession, "after_begin")
def _begin(session: Session, _transaction: Any, connection: Any) -> None:
    """The transaction's first round trip: RLS settings (PostgreSQL) and the tenant's state."""
    if HOME_BIND in session.info:
        return  # a second connection, for all_tenants(): the connection layer sets it up
    session.info[HOME_BIND] = connection.engine
    tenant = get_tenant()
    session.info.pop(STATE_KEY, None)
    domain = session.info.get(DOMAIN_KEY)
    if connection.dialect.name == "postgresql":
        fresh, fresh_params = replicas.freshness(session, connection)
        extra = connection.info.get(engines.PRELUDE_KEY, "") + fresh
        params = {"id": tenant.id if tenant else None, "domain": domain, **fresh_params}
        row = connection.exec_driver_sql(
            (_SET_RLS_AND_STATE if tenant else _SET_RLS).format(extra=extra),
            params,
            execution_options={SETS_RLS: True},
        ).first()
        replicas.note_freshness(session, connection, row)
        state = row[-6:] if tenant is not None and row is not None and row[-6] else None
    elif tenant is not None:
        state = connection.exec_driver_sql(_STATE, (tenant.id, domain, domain)).first()
    if tenant is not None:
        session.info[STATE_KEY] = _live(tenant.id, state) if state is not None else None


def _live(tenant_id: int, state: Any) -> TenantRef:
    status, revision, slug, name, timezone, locale = state
    return TenantRef(tenant_id, slug, name, status, revision, timezone, locale)


@event.listens_for(TenantSession, "after_transaction_end")
def _end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(HOME_BIND, None)


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    """Whether a statement reads or writes a tenant-scoped table anywhere in it.

    ``all_mappers`` only names top-level entities; ``select(func.count())
    .select_from(Note)`` or a subquery would slip past it, so walk the statement.
    """
    if any(issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers):
        return True
    tables = tenant_tables()
    return any(
        isinstance(element, Table) and element in tables for element in iterate(state.statement)
    )


def tenant_tables() -> frozenset[Table]:
    """The tables of every mapped TenantScoped class (core and loaded plugins)."""
    return frozenset(
        mapper.local_table
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantScoped)
    )


@event.listens_for(TenantSession, "do_orm_execute")
def _scope(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if bypassing():
        return
    tenant = get_tenant()
    if tenant is None:
        if _touches_tenant_data(state):
            require_tenant_id()  # raises NoTenantError with the explanation
        return
    # Always attached under a tenant: the option applies to the scoped entities
    # wherever they appear (FROM, joins, subqueries, relationship loads) and is a
    # no-op elsewhere. The tenant id travels as an execution parameter.
    state.statement = state.statement.options(_CRITERIA)
    state.parameters = _with_tenant(state.parameters, tenant.id)


#: One option for every tenant: ``tenant_id = :tenantry_tenant_id``. The id is a bound
#: parameter supplied per execution, so the cached SQL is shared by all tenants and
#: never carries one tenant's id. (A lambda closing over the id would be re-run on every
#: execution to extract it, which measured at ~150 us per statement.)
TENANT_PARAM = "tenantry_tenant_id"
_CRITERIA = with_loader_criteria(
    TenantScoped,
    lambda cls: cls.tenant_id == bindparam("tenantry_tenant_id"),  # a literal: see above
    include_aliases=True,
    # Lazy and refresh loads run through this hook themselves, under whatever tenant
    # is current then; propagating the option would also cost an object per loaded row.
    propagate_to_loaders=False,
)


def _with_tenant(parameters: Any, tenant_id: int) -> Any:
    if isinstance(parameters, list):  # executemany (bulk UPDATE by primary key)
        return [{**row, TENANT_PARAM: tenant_id} for row in parameters]
    return {**(parameters or {}), TENANT_PARAM: tenant_id}


@event.listens_for(TenantScoped, "init", propagate=True)
def _stamp_on_creation(target: TenantScoped, _args: Any, kwargs: dict[str, Any]) -> None:
    """A row made inside a tenant's context belongs to that tenant from the start."""
    tenant = get_tenant()
    if tenant is not None and "tenant_id" not in kwargs:
        target.tenant_id = tenant.id


@event.listens_for(TenantSession, "before_flush")
def _guard_writes(session: Session, _context: Any, _instances: Any) -> None:
    tenant = get_tenant()
    bypass = bypassing()
    for obj in session.new:
        _note_host_change(session, obj)
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None:
            if tenant is None:
                raise NoTenantError(
                    f"cannot create {type(obj).__name__} without a tenant: set tenant_id "
                    "or create it inside tenant_context(tenant)"
                )
            obj.tenant_id = tenant.id
        _check_owner(obj, tenant.id if tenant else None, bypass, "create")
    for obj in session.dirty:
        _note_host_change(session, obj)
        if isinstance(obj, TenantScoped):
            history = inspect(obj).attrs.tenant_id.history
            if history.deleted and history.added:
                raise TenantViolation(
                    f"{type(obj).__name__} cannot move from tenant {history.deleted[0]} "
                    f"to tenant {history.added[0]}"
                )
            _check_owner(obj, tenant.id if tenant else None, bypass, "change")
    for obj in session.deleted:
        _note_host_change(session, obj)
        if isinstance(obj, TenantScoped):
            _check_owner(obj, tenant.id if tenant else None, bypass, "delete")


def _check_owner(obj: TenantScoped, tenant_id: int | None, bypass: bool, verb: str) -> None:
    if bypass or obj.tenant_id == tenant_id:
        return
    if tenant_id is None:
        raise NoTenantError(f"cannot {verb} {type(obj).__name__} with no tenant in context")
    raise TenantViolation(
        f"cannot {verb} {type(obj).__name__} of tenant {obj.tenant_id} "
        f"while acting for tenant {tenant_id}"
    )


def _note_host_change(session: Session, obj: object) -> None:
    if getattr(type(obj), "__affects_hosts__", False):
        session.info[HOSTS_CHANGED_KEY] = True


@event.listens_for(TenantSession, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(HOSTS_CHANGED_KEY, False):
        hosts_changed.send(session)


@event.listens_for(TenantSession, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(HOSTS_CHANGED_KEY, None)
