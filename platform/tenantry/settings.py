"""Tenantry's configuration: one validated object, read once at start-up.

Sources, highest first: keyword arguments, environment (``TENANTRY_*``, nested
with ``__``), ``.env``, ``settings/<env>.toml``, ``settings/default.toml``.
This module is the only place that reads the environment or ``.env``.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from limits import parse
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

ENV_PREFIX = "TENANTRY_"


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
    server_name: str = Field(default="localhost:8000", description="The root host (host[:port]).")
    trusted_hosts: list[str] | None = Field(
        default=None,
        description="Hosts accepted at all; default: the root host and its subdomains. "
        "Add custom domains (or '.parent.tld') here.",
    )
    trusted_proxies: int = Field(
        default=0, ge=0, description="Proxies in front whose X-Forwarded-* headers are believed."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    threads: int = Field(default=8, ge=1, le=256)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    strict_plugins: bool = Field(
        default=False, description="Refuse to start when any plugin is refused."
    )
    plugins: PluginSelection = Field(default_factory=PluginSelection)
    secure_cookies: bool = Field(default=False, description="HTTPS only cookies and HSTS.")
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

    @field_validator("database_url", "migrations_database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("login_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("expected a rate such as '10 per minute' or '100/hour'") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected a redis://host:port/db URL")
        return value

    @field_validator("server_name")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        if "/" in value or not value or value != value.strip().lower():
            raise ValueError("expected a lowercase host[:port] such as 'example.com'")
        return value

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


def settings_dir() -> Path:
    return Path(os.environ.get(ENV_PREFIX + "SETTINGS_DIR", "settings"))


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
    if not Path(".env").is_file():
        return {}
    return {key.upper(): value or "" for key, value in dotenv_values(".env").items()}


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
    try:
        settings = Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(_format_errors(error, overrides)) from None
    except SourceError as error:
        raise SettingsError(_format_source_error(error, overrides)) from None
    if settings.secret_key is None:
        if settings.env == "production":
            raise SettingsError(
                "invalid settings:\n  secret_key (from default): required in production; "
                "set TENANTRY_SECRET_KEY to a long random string"
            )
        settings.secret_key = SecretStr(_development_secret(settings.instance_path))
    return settings


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
