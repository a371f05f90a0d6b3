"""Automatic confinement of ORM reads and writes to the current tenant.

Reads: every ORM SELECT, UPDATE and DELETE that involves a ``TenantScoped``
entity gets ``tenant_id = :tenant`` added for every such entity in it (joins,
aliases, subqueries and relationship loads included) via
``with_loader_criteria``. The tenant id is a bound parameter supplied with each
execution, so the cached compiled statement is shared by all tenants and never
carries one tenant's id.

Writes: ``before_flush`` stamps new rows with the current tenant and refuses
rows that belong, or would move, to another tenant.

PostgreSQL: each transaction starts with ``set_config('tenantry.tenant_id', ..,
true)`` (transaction-local, so a pooled connection never carries it to the
next request) for the row-level security policies; the same round trip
fetches the tenant's live status for the request gate, confirms that the
custom domain the request came in on still belongs to the tenant (a domain
moved by another process is noticed on the next request), sets what must be
transaction-local behind PgBouncer (``engines``) and, on a replica, answers
whether it may serve this session (``replicas``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, event, inspect, literal, select
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.visitors import iterate

from tenantry import engines, replicas
from tenantry.db import Base
from tenantry.signals import hosts_changed
from tenantry.tenancy.context import TenantRef, bypassing, get_tenant, require_tenant_id
from tenantry.tenancy.errors import NoTenantError, TenantViolation
from tenantry.tenancy.mixins import TenantScoped

RLS_KEY = "tenantry.rls"
STATE_KEY = "tenantry.tenant_state"
HOSTS_CHANGED_KEY = "tenantry.hosts_changed"
#: The custom domain the request came in on (None: a subdomain), checked with the state.
DOMAIN_KEY = "tenantry.domain"

_SET_RLS = (
    "SELECT set_config('tenantry.tenant_id', %(tenant)s, true),"
    " set_config('tenantry.all_tenants', %(bypass)s, true)"
)
#: One row whatever happens (the LEFT JOIN), so the extra columns always come back.
_SET_RLS_AND_STATE = (
    _SET_RLS + "{extra}, t.status, t.revision, t.slug, t.name, t.timezone FROM (SELECT 1) AS one"
    " LEFT JOIN tenantry_tenant t ON t.id = %(id)s AND (%(domain)s::text IS NULL OR EXISTS"
    " (SELECT 1 FROM tenantry_domain d WHERE d.tenant_id = t.id AND d.hostname = %(domain)s))"
)
_STATE = (
    "SELECT status, revision, slug, name, timezone FROM tenantry_tenant t WHERE id = ? AND (?"
    " IS NULL OR EXISTS (SELECT 1 FROM tenantry_domain d WHERE d.tenant_id = t.id"
    " AND d.hostname = ?))"
)


class TenantSession(Session):
    """A Session whose reads and writes stay inside the current tenant."""

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
        self.connection()
        return self.info.get(STATE_KEY)


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


def _rls_wanted() -> tuple[str, str]:
    tenant = get_tenant()
    return ("" if tenant is None else str(tenant.id), "on" if bypassing() else "off")


@event.listens_for(TenantSession, "after_begin")
def _begin(session: Session, _transaction: Any, connection: Any) -> None:
    tenant = get_tenant()
    session.info.pop(STATE_KEY, None)
    domain = session.info.get(DOMAIN_KEY)
    if connection.dialect.name == "postgresql":
        wanted = _rls_wanted()
        fresh, fresh_params = replicas.freshness(session, connection)
        extra = connection.info.get(engines.PRELUDE_KEY, "") + fresh
        params = {"tenant": wanted[0], "bypass": wanted[1], **fresh_params}
        if tenant is None:
            row = connection.exec_driver_sql(_SET_RLS + extra, params).first()
        else:
            params.update(id=tenant.id, domain=domain)
            row = connection.exec_driver_sql(_SET_RLS_AND_STATE.format(extra=extra), params).first()
        session.info[RLS_KEY] = wanted
        replicas.note_freshness(session, connection, row)
        state = row[-5:] if tenant is not None and row is not None and row[-5] else None
    elif tenant is not None:
        state = connection.exec_driver_sql(_STATE, (tenant.id, domain, domain)).first()
    if tenant is not None:
        session.info[STATE_KEY] = _live(tenant.id, state) if state is not None else None


def _live(tenant_id: int, state: Any) -> TenantRef:
    status, revision, slug, name, timezone = state
    return TenantRef(tenant_id, slug, name, status, revision, timezone)


def _sync_rls(session: Session) -> None:
    """Re-set the RLS variables when the context changed inside an open transaction."""
    current = session.info.get(RLS_KEY)
    wanted = _rls_wanted()
    if current is None or current == wanted:
        return
    session.connection().exec_driver_sql(_SET_RLS, {"tenant": wanted[0], "bypass": wanted[1]})
    session.info[RLS_KEY] = wanted


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
    _sync_rls(state.session)
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
    _sync_rls(session)
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
