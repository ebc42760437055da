from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from takepoint.lib.errors import TakepointError

ENV_PREFIX = "TAKEPOINT_"
# Settings that may be given as TAKEPOINT_<NAME>_FILE, read from a file (Docker/Kubernetes secrets).
SECRET_FIELDS = ("secret_key", "admin_password", "database_url", "smtp_password")
SUPPORTED_DRIVERS = {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class SettingsError(TakepointError):
    """A setting has a bad value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Path("takepoint-data")
    database_url: str | None = None
    # How SQLite's commits reach the disk; see takepoint.lib.db.SYNCHRONOUS.
    sqlite_synchronous: Literal["full", "normal"] = "full"
    secret_key: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # PEM files for `up` and `web` to serve HTTPS themselves; the pair is checked when they start.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    default_time_zone: str = "UTC"

    engine_tick_seconds: float = Field(default=0.5, gt=0, le=1.0)
    engine_stale_after_seconds: int = Field(default=30, ge=5)
    job_timeout_seconds: float = Field(default=10.0, gt=0)
    delivery_lease_seconds: int = Field(default=60, ge=2, le=3600)

    session_days: int = Field(default=14, ge=1, le=365)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)

    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_from: str = "takepoint@localhost"
    evidence_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)

    # Who may read /metrics: these networks (comma-separated; loopback by default, where a
    # Prometheus on the same host scrapes), and anyone sending this Bearer token.
    metrics_allow: str = "127.0.0.1/32,::1/128"
    metrics_token: SecretStr | None = None

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @model_validator(mode="before")
    @classmethod
    def _https_by_default_with_tls(cls, data: Any) -> Any:
        # Served over TLS, Takepoint is reached by https: links in messages and Secure cookies
        # follow, unless TAKEPOINT_BASE_URL says otherwise.
        if isinstance(data, dict) and data.get("tls_cert") and not data.get("base_url"):
            return {**data, "base_url": DEFAULT_BASE_URL.replace("http://", "https://", 1)}
        return data

    @field_validator("tls_cert", "tls_key", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        # An empty variable means unset, not the current folder.
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "expected sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError(
                f"driver {url.drivername!r} is not supported; use sqlite:///PATH "
                "or postgresql+psycopg://USER@HOST:PORT/DB"
            )
        if url.drivername.startswith("sqlite") and not url.database:
            raise ValueError("a SQLite URL needs a file path, as in sqlite:///takepoint.db")
        if url.drivername.startswith("postgresql") and not url.database:
            raise ValueError("a PostgreSQL URL needs a database name after the last '/'")
        return value

    @field_validator("default_time_zone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/London") from None
        return value

    @field_validator("metrics_allow")
    @classmethod
    def _check_networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not a network such as 10.0.0.0/8") from None
        return value

    @property
    def metrics_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        parts = (p.strip() for p in self.metrics_allow.split(","))
        return tuple(ipaddress.ip_network(p, strict=False) for p in parts if p)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'takepoint.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    def resolved_secret_key(self) -> str:
        """The signing key: configured, or generated once and kept in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def _file_secrets(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in SECRET_FIELDS:
        file_var = f"{ENV_PREFIX}{name.upper()}_FILE"
        path = environ.get(file_var)
        if not path:
            continue
        try:
            values[name] = Path(path).read_text().strip()
        except OSError as exc:
            raise SettingsError(f"{file_var}: cannot read {path}: {exc.strerror}") from None
    return values


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; a bad value raises SettingsError with one clear line."""
    values = {**_file_secrets(os.environ), **overrides}
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: {message}", field=field) from None
