"""Tenantry's configuration: one validated object, read once at start-up.

Sources, highest first: keyword arguments, environment (``TENANTRY_*``, nested
with ``__``), ``.env``, ``settings/<env>.toml``, ``settings/default.toml``.
This module is the only place that reads the environment or ``.env``.

The files live in the project's home folder, found the same way from any working
directory (``project_home``); relative paths in the settings (the instance folder,
a SQLite file) are relative to it, so a command run elsewhere never starts a second,
empty database there.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from dotenv import dotenv_values
from limits import parse
from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "TENANTRY_"
HOME_VARIABLE = ENV_PREFIX + "HOME"
#: Where this package was installed from, when that is a checkout (an editable install).
CHECKOUT = Path(__file__).resolve().parents[2]
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class SettingsError(Exception):
    """A configuration problem, worded for the person starting the app."""


class PluginSelection(BaseModel):
    """Which installed plugins this process may load (by entry point name)."""

    model_config = {"extra": "forbid"}

    enabled: list[str] | None = Field(
        default=None, description="Only these plugins are loaded; None means every installed one."
    )
    disabled: list[str] = Field(
        default_factory=list, description="Never imported, even when installed."
    )
    locked: list[str] = Field(
        default_factory=list,
        description="Only operators turn these on or off, or change their settings; "
        "tenant admins see them read-only.",
    )

    def allows(self, name: str) -> bool:
        if name in self.disabled:
            return False
        return self.enabled is None or name in self.enabled


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        validate_default=True,
    )

    env: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr | None = Field(
        default=None, description="Signs sessions; generated under instance/ in development."
    )
    instance_path: Path = Field(default=Path("instance"), description="Writable per-site data.")
    database_url: str = Field(
        default="sqlite:///instance/tenantry.db",
        description="What the application connects as (on PostgreSQL: a role without BYPASSRLS).",
    )
    migrations_database_url: str | None = Field(
        default=None, description="The owning role used by `db upgrade`; defaults to database_url."
    )
    platform_database_url: str | None = Field(
        default=None,
        description="What cross-tenant work connects as (inside all_tenants(), the root host, "
        "the CLI); on PostgreSQL a role other than database_url's. Defaults to "
        "migrations_database_url.",
    )
    server_name: str = Field(
        default="",
        description="The root host (host[:port]); default localhost:<port>, so the printed "
        "URLs work on a laptop whatever the port.",
    )
    trusted_hosts: list[str] | None = Field(
        default=None,
        description="Hosts accepted at all; default: the root host and its subdomains. "
        "Add custom domains (or '.parent.tld') here.",
    )
    trusted_proxies: int = Field(
        default=0,
        ge=0,
        description="How many proxies stand in front; each adds one X-Forwarded-For entry.",
    )
    trusted_proxy_addresses: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of the proxies; when set, X-Forwarded-* and "
        "X-Request-ID are believed only from them.",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    threads: int = Field(default=8, ge=1, le=256)
    workers: int = Field(
        default=1, ge=1, le=64, description="Processes `tenantry serve` runs, on port, port+1, ..."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    strict_plugins: bool = Field(
        default=False, description="Refuse to start when any plugin is refused."
    )
    plugins: PluginSelection = Field(default_factory=PluginSelection)
    secure_cookies: bool = Field(default=False, description="HTTPS only cookies and HSTS.")
    database_pool_size: int = Field(
        default=10, ge=1, le=1000, description="Connections each process keeps open per database."
    )
    database_max_overflow: int = Field(
        default=20, ge=0, le=1000, description="Extra connections a process may open at peaks."
    )
    database_pool_timeout_s: float = Field(
        default=10.0, gt=0, description="Seconds a request waits for a pooled connection."
    )
    database_pgbouncer: bool = Field(
        default=False,
        description="Connect through PgBouncer in transaction mode: no server-side prepared "
        "statements, per-transaction settings only.",
    )
    database_autocommit_reads: bool = Field(
        default=True,
        description="Read-only requests read in autocommit (PostgreSQL, not behind "
        "PgBouncer): no BEGIN and ROLLBACK round trips; their writes still run in a "
        "transaction.",
    )
    database_statement_timeout_s: float = Field(
        default=0.0, ge=0, description="Cancel any statement running longer; 0: no limit."
    )
    database_replica_urls: list[str] = Field(
        default_factory=list,
        description="Streaming standbys that requests without writes read from.",
    )
    replica_max_lag_s: float = Field(
        default=5.0, ge=0, description="A replica further behind than this is not read from."
    )
    redis_url: str | None = Field(default=None, description="Rate-limit storage shared by workers.")
    login_rate_limit: str = Field(default="10 per minute", description="Per account and address.")
    distribution_ready: bool = Field(
        default=False,
        description="`tenantry db check` fails (not just warns) when a table could not be "
        "distributed by tenant_id (Citus); see docs/scaling.md.",
    )
    resolve_cache_ttl: float = Field(
        default=30.0, ge=0, description="Seconds a host -> tenant answer is reused."
    )
    reset_rate_limit: str = Field(
        default="5 per hour", description="Password reset requests per account and address."
    )
    session_lifetime_days: float = Field(
        default=14, gt=0, description="A sign-in lasts at most this long, then ends server-side."
    )
    session_store: Literal["cookie", "redis"] = Field(
        default="cookie",
        description="Where a browser session's payload lives: the signed cookie, or Redis "
        "(TENANTRY_REDIS_URL) with only a signed id in the cookie.",
    )
    oidc_allow_http_issuers: bool = Field(
        default=False,
        description="Let tenant admins name http:// OpenID Connect issuers (tests and local "
        "development only: in production an issuer is https://).",
    )
    oidc_timeout_s: float = Field(
        default=10.0, gt=0, le=60, description="Seconds per call to an OpenID Connect issuer."
    )
    invitation_lifetime_hours: float = Field(
        default=168, gt=0, description="How long an invitation link can be used."
    )
    password_reset_lifetime_minutes: float = Field(
        default=60, gt=0, description="How long a password reset link can be used."
    )
    mail_url: str | None = Field(
        default=None,
        description="smtp://, smtp+starttls:// or smtps://[user:password@]host[:port]; "
        "or set mail_host and the other mail_* settings. Neither: mail lands in "
        "instance/mail/ and the log (development, test); production sends none.",
    )
    mail_host: str | None = None
    mail_port: int | None = Field(default=None, ge=1, le=65535)
    mail_security: Literal["none", "starttls", "ssl"] = "starttls"
    mail_user: str | None = None
    mail_password: SecretStr | None = None
    mail_from: str | None = Field(
        default=None, description="Sender address; default noreply@<root host>."
    )
    mail_timeout: float = Field(default=10.0, gt=0, description="Seconds per SMTP connection.")
    cache_url: str = Field(
        default="memory://",
        description="The tenant-keyed cache: memory:// (this process), redis://host:port/db "
        "(shared by every process), or null:// (off: every read misses).",
    )
    cache_prefix: str = Field(
        default="tenantry",
        pattern=r"^[A-Za-z0-9_.-]{1,40}$",
        description="First part of every cache key in Redis, so sites can share a server.",
    )
    cache_max_entries: int = Field(
        default=10_000, ge=1, description="Entries the in-process cache keeps (least used go)."
    )
    jobs_url: str | None = Field(
        default=None,
        description="Redis of the job queue, served by `tenantry worker`; "
        "unset: jobs run in the process that commits them, right after the commit.",
    )
    jobs_queue: str = Field(
        default="tenantry", pattern=r"^[A-Za-z0-9_.-]{1,60}$", description="RQ queue name."
    )
    jobs_suspended_retry: int = Field(
        default=300, ge=1, description="Seconds before a suspended tenant's job is tried again."
    )
    tenant_resolvers: list[str] = Field(
        default_factory=lambda: ["host"],
        description="How a request names its tenant, strategies tried in order: 'host' "
        "(subdomain or custom domain), 'header' (tenant_header, from trusted proxies only), "
        "'path' (/t/<slug>/...), or 'package.module:factory' of your own.",
    )
    tenant_header: str = Field(
        default="X-Tenant",
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="The header the 'header' strategy reads the tenant's slug from.",
    )
    app_class: str | None = Field(
        default=None,
        description="'package.module:Class', a subclass of flask.Flask the app is made from; "
        "unset: Flask itself.",
    )
    request_class: str | None = Field(
        default=None,
        description="'package.module:Class', a subclass of flask.Request every request is; "
        "unset: the app class's own.",
    )
    response_class: str | None = Field(
        default=None,
        description="'package.module:Class', a subclass of flask.Response views answer with; "
        "unset: the app class's own.",
    )

    @field_validator("app_class", "request_class", "response_class")
    @classmethod
    def _core_class(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            core_class(value, CORE_CLASS_BASES[str(info.field_name)])  # raises ValueError
        return value

    def core_classes(self) -> dict[str, type]:
        """The classes set in place of Flask's, by setting name (unset ones left out)."""
        return {
            name: core_class(path, CORE_CLASS_BASES[name])
            for name in CORE_CLASS_BASES
            if (path := getattr(self, name)) is not None
        }

    @field_validator("tenant_resolvers")
    @classmethod
    def _resolvers(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('name at least one strategy, e.g. ["host"]')
        if len(set(value)) != len(value):
            raise ValueError("each strategy once")
        for name in value:
            if name in BUILT_IN_RESOLVERS:
                continue
            if ":" not in name and "." not in name:
                raise ValueError(
                    f"unknown strategy {name!r}: use {', '.join(BUILT_IN_RESOLVERS)} "
                    "or 'package.module:factory'"
                )
            if not callable(named_object(name)):
                raise ValueError(f"{name!r} is not a callable that makes a strategy")
        return value

    @model_validator(mode="after")
    def _header_needs_a_proxy(self) -> Settings:
        if "header" in self.tenant_resolvers and not (
            self.trusted_proxies or self.trusted_proxy_addresses
        ):
            raise ValueError(
                "tenant_resolvers: the 'header' strategy believes the header from trusted "
                "proxies only; set trusted_proxy_addresses (or trusted_proxies)"
            )
        return self

    metrics_enabled: bool = Field(
        default=True,
        description="Count requests, DB time and failures and serve them at /metrics on the "
        "root host; off: no per-request instrumentation at all.",
    )
    metrics_allowed_addresses: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Client addresses or networks that may read /metrics without a token.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="A bearer token that opens /metrics from any address "
        "(Authorization: Bearer <token>).",
    )
    metrics_tenants: list[str] = Field(
        default_factory=list,
        description="Tenant slugs that get their own label on tenantry_tenant_requests_total; "
        "every other tenant counts as 'other' (see docs/operations.md for the cost).",
    )
    slow_request_ms: float = Field(
        default=1000.0,
        ge=0,
        description="Requests slower than this are logged with their DB time and listed in "
        "the platform admin; 0: none.",
    )
    usage_flush_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a process keeps its per-tenant request counts before writing "
        "them to the usage table.",
    )
    usage_retention_days: int = Field(
        default=400, ge=31, description="Days of per-tenant usage kept; older days are removed."
    )
    sentry_dsn: SecretStr | None = Field(
        default=None,
        description="Report errors to Sentry (needs the `sentry` extra); unset: off.",
    )

    @field_validator("database_url", "migrations_database_url", "platform_database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.startswith(("sqlite:", "postgresql")):
            try:
                make_url(value)
                return value
            except ArgumentError:
                pass
        raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")

    @field_validator("database_replica_urls")
    @classmethod
    def _replicas(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and not str(info.data.get("database_url", "")).startswith("postgresql"):
            raise ValueError("replicas need a PostgreSQL database_url")
        for url in value:
            if not url.startswith("postgresql"):
                raise ValueError("expected postgresql+psycopg:// URLs (replicas are PostgreSQL)")
        return value

    @field_validator("trusted_proxy_addresses", "metrics_allowed_addresses")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network such as 10.0.0.5 or 10.0.0.0/24"
                ) from None
        return value

    @field_validator("login_rate_limit", "reset_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("expected a rate such as '10 per minute' or '100/hour'") from None
        return value

    @field_validator("redis_url", "jobs_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(REDIS_SCHEMES):
            raise ValueError("expected a redis://host:port/db URL")
        return value

    @field_validator("mail_url")
    @classmethod
    def _mail_url(cls, value: str | None) -> str | None:
        if value is not None:
            parse_mail_url(value)  # raises ValueError with the expected form
        return value

    @model_validator(mode="after")
    def _redis_sessions_need_redis(self) -> Settings:
        if self.session_store == "redis" and not self.redis_url:
            raise ValueError("session_store=redis needs redis_url (TENANTRY_REDIS_URL)")
        return self

    @model_validator(mode="after")
    def _one_way_to_name_the_mail_server(self) -> Settings:
        if self.mail_url and self.mail_host:
            raise ValueError("set mail_url or mail_host (with mail_port, mail_user...), not both")
        return self

    @field_validator("cache_url")
    @classmethod
    def _cache(cls, value: str) -> str:
        if value not in ("memory://", "null://") and not value.startswith(REDIS_SCHEMES):
            raise ValueError("expected memory://, null:// or a redis://host:port/db URL")
        return value

    @field_validator("server_name")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        if "/" in value or value != value.strip().lower():
            raise ValueError("expected a lowercase host[:port] such as 'example.com'")
        return value

    @model_validator(mode="after")
    def _default_root_host(self) -> Settings:
        if not self.server_name:
            self.server_name = f"localhost:{self.port}"
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        tomls = _toml_sources(settings_cls, init_settings, dotenv_settings)
        return (init_settings, env_settings, dotenv_settings, *tomls)

    @property
    def root_host(self) -> str:
        """The root hostname without port, as hosts are compared."""
        return self.server_name.rsplit(":", 1)[0] if ":" in self.server_name else self.server_name

    @property
    def effective_migrations_url(self) -> str:
        return self.migrations_database_url or self.database_url

    @property
    def effective_platform_url(self) -> str:
        return self.platform_database_url or self.effective_migrations_url

    def shared_role_problem(self) -> str | None:
        """Why row-level security cannot contain the tenant role with these URLs, or None.

        On PostgreSQL the role serving tenant requests must be neither the platform role
        (which may see every tenant) nor the owner (which may switch the policies off).
        """
        if not self.database_url.startswith("postgresql"):
            return None
        app_role = make_url(self.database_url).username
        for name, url in (
            ("platform_database_url", self.effective_platform_url),
            ("migrations_database_url", self.effective_migrations_url),
        ):
            if make_url(url).username == app_role:
                return (
                    f"{name} connects as {app_role!r} like database_url: row-level security "
                    "then cannot stop SQL injection on a tenant's host from reaching every "
                    "tenant; give each its own role (see README, Deployment)"
                )
        return None

    @property
    def mail_server(self) -> MailServer | None:
        """The SMTP server to send through, from mail_url or mail_host; None when neither."""
        if self.mail_url:
            return parse_mail_url(self.mail_url)
        if not self.mail_host:
            return None
        return MailServer(
            host=self.mail_host,
            port=self.mail_port or DEFAULT_MAIL_PORTS[self.mail_security],
            security=self.mail_security,
            user=self.mail_user,
            password=self.mail_password.get_secret_value() if self.mail_password else None,
        )

    @property
    def mail_sender(self) -> str:
        return self.mail_from or f"noreply@{self.root_host}"


#: The port each kind of SMTP connection uses unless told otherwise.
DEFAULT_MAIL_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
_MAIL_SCHEMES = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "ssl", "smtp+ssl": "ssl"}


@dataclass(frozen=True)
class MailServer:
    """Where and how to hand mail over: an SMTP server, its TLS mode and credentials."""

    host: str
    port: int
    security: Literal["none", "starttls", "ssl"]
    user: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_mail_url(url: str) -> MailServer:
    """``smtp+starttls://user:password@smtp.example.com:587`` as a MailServer."""
    parts = urlsplit(url)
    security = _MAIL_SCHEMES.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if security is None or not parts.hostname or port == -1 or parts.path not in ("", "/"):
        raise ValueError(
            "expected smtp://, smtp+starttls:// or smtps://[user:password@]host[:port], "
            "e.g. smtp+starttls://apikey:secret@smtp.example.com:587"
        )
    return MailServer(
        host=parts.hostname,
        port=port or DEFAULT_MAIL_PORTS[security],
        security=security,  # type: ignore[arg-type]
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


#: The tenant resolution strategies named by a word (``tenancy.strategies``); others are
#: import paths.
BUILT_IN_RESOLVERS = ("host", "header", "path")
#: The settings that replace one of Flask's classes, and the class each must extend.
CORE_CLASS_BASES: dict[str, str] = {
    "app_class": "flask:Flask",
    "request_class": "flask:Request",
    "response_class": "flask:Response",
}


def named_object(path: str) -> Any:
    """The object an import path names: ``package.module:Name`` (or ``package.module.Name``).

    Raises ValueError with what went wrong, worded for the settings' error message.
    """
    module, colon, name = path.partition(":")
    if not colon:
        module, _, name = path.rpartition(".")
    if not module or not name:
        raise ValueError(f"{path!r} is not an import path such as 'mysite.web:Request'")
    try:
        found = import_module(module)
    except ImportError as error:
        raise ValueError(f"cannot import {module!r} ({error})") from None
    try:
        for part in name.split("."):
            found = getattr(found, part)
    except AttributeError:
        raise ValueError(f"module {module!r} has no {name!r}") from None
    return found


def core_class(path: str, base_path: str) -> type:
    """The class ``path`` names, checked to extend the class ``base_path`` names."""
    found = named_object(path)
    base = named_object(base_path)
    if not (isinstance(found, type) and issubclass(found, base)):
        raise ValueError(f"{path!r} is not a subclass of {base_path.replace(':', '.')}")
    return found


def project_home() -> Path | None:
    """The folder holding the project's ``settings/`` (and ``.env`` and ``instance/``).

    ``TENANTRY_HOME`` when set; else the nearest folder at or above the working directory
    that has a ``settings/`` folder; else the checkout this package was installed from.
    None when there is none of these (an installed package run outside any project).
    """
    named = os.environ.get(HOME_VARIABLE)
    if named:
        home = Path(named).expanduser()
        if not home.is_dir():
            raise SettingsError(
                f"invalid settings:\n  {HOME_VARIABLE} = {named!r}: not a folder; "
                "point it at your project's folder (the one holding settings/)"
            )
        return home.resolve()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "settings").is_dir():
            return folder
    if (CHECKOUT / "settings").is_dir():
        return CHECKOUT
    return None


def settings_dir() -> Path:
    named = os.environ.get(ENV_PREFIX + "SETTINGS_DIR")
    if named:
        return Path(named)
    home = project_home()
    return home / "settings" if home else Path("settings")


def dotenv_path() -> Path:
    home = project_home()
    return home / ".env" if home else Path(".env")


def _env_name(init_settings: PydanticBaseSettingsSource, dotenv: PydanticBaseSettingsSource) -> str:
    init_kwargs: dict[str, Any] = getattr(init_settings, "init_kwargs", {})
    return str(
        init_kwargs.get("env")
        or os.environ.get(ENV_PREFIX + "ENV")
        or dotenv().get("env")
        or "development"
    )


def _toml_sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    dotenv_settings: PydanticBaseSettingsSource,
) -> list[PydanticBaseSettingsSource]:
    folder = settings_dir()
    env_file = folder / f"{_env_name(init_settings, dotenv_settings)}.toml"
    sources: list[PydanticBaseSettingsSource] = []
    for path in (env_file, folder / "default.toml"):
        if not path.is_file():
            continue
        try:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        except tomllib.TOMLDecodeError as error:
            raise SettingsError(
                f"invalid settings file {path}: {error}; expected TOML lines such as "
                'port = 8000 or log_level = "INFO"'
            ) from None
    return sources


def _dotenv() -> dict[str, str]:
    """``.env`` as upper-case keys (what pydantic-settings reads, case-insensitively)."""
    path = dotenv_path()
    if not path.is_file():
        return {}
    return {key.upper(): value or "" for key, value in dotenv_values(path).items()}


def _named(env_key: str, keys: Any) -> list[str]:
    """The variables among ``keys`` that set ``env_key`` itself or, with ``__``, a part of it."""
    return sorted(
        key for key in keys if key.upper() == env_key or key.upper().startswith(env_key + "__")
    )


def _describe_source(field: str, overrides: dict[str, Any]) -> str:
    """Name the highest-priority source that supplied ``field``."""
    if field in overrides:
        return "keyword argument"
    env_key = ENV_PREFIX + field.upper()
    if names := _named(env_key, os.environ):
        return "environment variable " + ", ".join(names)
    dotenv = _dotenv()
    if names := _named(env_key, dotenv):
        return f".env ({', '.join(names)})"
    env_name = str(
        overrides.get("env")
        or os.environ.get(ENV_PREFIX + "ENV")
        or dotenv.get(ENV_PREFIX + "ENV")
        or "development"
    )
    for path in (settings_dir() / f"{env_name}.toml", settings_dir() / "default.toml"):
        if path.is_file() and field in tomllib.loads(path.read_text()):
            return str(path)
    return "default"


def _format_errors(error: ValidationError, overrides: dict[str, Any]) -> str:
    lines = ["invalid settings:"]
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(settings)"
        top = str(item["loc"][0]) if item["loc"] else ""
        value = item.get("input")
        shown = "" if isinstance(value, dict) or item["type"] == "missing" else f" = {value!r}"
        reason = "unknown setting" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"  {field}{shown} (from {_describe_source(top, overrides)}): {reason}")
    return "\n".join(lines)


def _format_source_error(error: SourceError, overrides: dict[str, Any]) -> str:
    """pydantic-settings could not decode a value (a nested or list setting that is not JSON)."""
    match = re.search(r'field "(\w+)"', str(error))
    field = match.group(1) if match else "(settings)"
    return (
        f"invalid settings:\n  {field} (from {_describe_source(field, overrides)}): "
        f'not valid JSON ({error.__cause__}); expected JSON such as ["a", "b"] for a list'
    )


def load_settings(**overrides: Any) -> Settings:
    """Build and check the settings, or raise SettingsError with a message for a human."""
    home = project_home()
    try:
        settings = Settings(_env_file=dotenv_path(), **overrides)  # type: ignore[call-arg]
    except ValidationError as error:
        raise SettingsError(_format_errors(error, overrides)) from None
    except SourceError as error:
        raise SettingsError(_format_source_error(error, overrides)) from None
    _anchor_paths(settings, home)
    if settings.secret_key is None:
        if settings.env == "production":
            raise SettingsError(
                "invalid settings:\n  secret_key (from default): required in production; "
                "set TENANTRY_SECRET_KEY to a long random string"
            )
        settings.secret_key = SecretStr(_development_secret(settings.instance_path))
    if settings.env == "production" and (problem := settings.shared_role_problem()):
        raise SettingsError(f"invalid settings:\n  {problem}")
    return settings


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def _anchor_paths(settings: Settings, home: Path | None) -> None:
    """Relative paths (the instance folder, a SQLite file) are relative to the project's home.

    Without a home, only a database that already exists under the working directory is
    used: creating one there would be a second project nobody asked for.
    """
    database = _sqlite_file(settings.database_url)
    relative = database is not None and not database.is_absolute()
    if home is None:
        if relative and not database.exists():  # type: ignore[union-attr]
            raise SettingsError(
                "no Tenantry project here: set TENANTRY_HOME to your project's folder (the "
                "one holding settings/), run inside it, or set TENANTRY_DATABASE_URL in full"
            )
        return
    if not settings.instance_path.is_absolute():
        settings.instance_path = home / settings.instance_path
    if relative:
        anchored = make_url(settings.database_url).set(database=str(home / database))  # type: ignore[operator]
        settings.database_url = anchored.render_as_string(hide_password=False)


def _development_secret(instance_path: Path) -> str:
    """Generate the development key once, so sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
