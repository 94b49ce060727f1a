"""Every setting of kommuneki, declared once with its default and meaning.

Settings come from environment variables prefixed ``KOMMUNEKI_`` (e.g. ``KOMMUNEKI_DATABASE_URL``) or
from a ``.env`` file in the working directory. Unknown ``KOMMUNEKI_*`` variables are refused so that a
typo is caught at start-up instead of silently ignored. ``docs/settings.md`` is checked against this
class by ``tests/test_docs.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "demo-secret-not-for-production"}
DEMO_SECRET = "demo-secret-not-for-production"


class ConfigError(RuntimeError):
    """Raised when the configuration cannot be used; the message says what to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KOMMUNEKI_", extra="forbid", env_file=".env", env_file_encoding="utf-8"
    )

    mode: Literal["development", "demo", "production"] = Field(
        "development",
        description="development and demo allow the built-in demo secret; production refuses to start "
        "without a real secret key and sets Secure cookies.",
    )
    data_dir: Path = Field(
        Path("data"),
        description="Folder for the SQLite database, the blob store and "
        "the audit checkpoints. Back this folder up (and the database, if PostgreSQL).",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL. Empty: a SQLite file "
        "<data_dir>/kommuneki.db. PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    secret_key: str = Field(
        DEMO_SECRET,
        description="Signs session cookies and CSRF tokens. Must be a long "
        "random string in production (python -c 'import secrets;print(secrets.token_urlsafe(48))').",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the web UI; used for OpenID Connect redirects and links in exports.",
    )
    host: str = Field("127.0.0.1", description="Address `kommuneki serve` listens on.")
    port: int = Field(8000, description="Port `kommuneki serve` listens on.")
    web_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Web server processes `kommuneki serve` starts behind one address (a shared "
        "installation on PostgreSQL; sessions, login limits, CSRF and jobs live in the database).",
    )
    max_upload_bytes: int = Field(
        25 * 1024 * 1024, description="Largest accepted request body or upload, in bytes."
    )
    docx_max_unpacked_bytes: int = Field(
        50 * 1024 * 1024,
        description="Largest total uncompressed size of a Word file (DOCX), all zip members together, "
        "in bytes. Larger files are refused (possible zip bomb).",
    )
    session_max_age_s: int = Field(
        8 * 3600, description="How long a login session lasts at most after sign-in, in seconds."
    )
    session_idle_s: int = Field(
        30 * 60, description="A login session ends after this many seconds without a request from it."
    )
    login_max_failures: int = Field(
        5,
        description="Failed logins per user name and address within "
        "login_window_s before further attempts are refused (HTTP 429).",
    )
    login_max_failures_per_address: int = Field(
        20,
        description="Failed logins from one client address, whatever the user names, within "
        "login_window_s before further attempts from it are refused (HTTP 429).",
    )
    login_window_s: int = Field(900, description="Window for counting failed logins, in seconds.")
    task_queue: str = Field(
        "sqlite",
        description="Where background jobs wait for a worker (docs/adr/0006-task-queue.md): sqlite (a file "
        "<data_dir>/queue.sqlite3; `kommuneki serve` starts one worker beside the web server), "
        "redis://host:port/db or postgresql://user@host/db for a shared installation (run `kommuneki "
        "worker` on each machine), or thread (no queue: a job runs in a thread of the process that "
        "started it; for tests and one-off commands).",
    )
    job_stale_after_s: int = Field(
        60,
        description="A running job whose worker has sent no heartbeat for this many seconds is taken "
        "to have died: it is put back on the queue (at most two retries), then failed with the reason.",
    )
    job_retry_delay_s: float = Field(
        30.0, description="Wait before a died job's first retry, in seconds; doubled for the second."
    )
    schedule_check_s: float = Field(
        60.0,
        description="How often every worker checks which scheduled tasks (TaskSpec.every_s: retention, "
        "mailbox polling) are due, in seconds; the finest schedule there is.",
    )
    oidc_issuer: str | None = Field(
        None,
        description="OpenID Connect issuer URL (Entra ID: "
        "https://login.microsoftonline.com/<tenant-id>/v2.0; ID-porten: "
        "https://idporten.no). Empty: OIDC sign-in is off.",
    )
    oidc_client_id: str | None = Field(None, description="OIDC client id registered with the provider.")
    oidc_client_secret: str | None = Field(None, description="OIDC client secret.")
    oidc_scopes: str = Field("openid email profile", description="Scopes requested at OIDC sign-in.")
    oidc_label: str = Field("Logg inn med Entra ID", description="Text of the OIDC sign-in button.")
    oidc_email_claim: str = Field(
        "email",
        description="Claim matched against users' e-mail addresses "
        "(ID-porten gives 'pid' — the fødselsnummer — map users by it instead).",
    )
    audit_key_file: Path | None = Field(
        None,
        description="File holding the audit key that seals every audit entry and checkpoint (made by "
        "`kommuneki audit new-key`). Must lie outside the data folder. Empty: the log is hash-chained but "
        "not sealed, and someone who can write the database and the data folder can rewrite it unseen.",
    )
    audit_ship_to: str | None = Field(
        None,
        description="Where sealed audit checkpoints are shipped after every commit, comma-separated: "
        "`file:/path` (an absolute path outside the data folder, e.g. another disk or an append-only "
        "mount), `syslog` (the local /dev/log) or `syslog://host:port` (UDP). Empty: none are shipped, and "
        "a joint rollback of database and data folder cannot be detected.",
    )
    audit_allow_unsealed: bool = Field(
        False,
        description="Production mode only: start without `KOMMUNEKI_AUDIT_KEY_FILE`, the audit log then "
        "unsealed (anyone who can write the database and the data folder can rewrite it). For a trial "
        "installation; without this flag production mode refuses to start without a key.",
    )
    log_level: str = Field("INFO", description="Log level for the server and commands (stderr).")

    @model_validator(mode="after")
    def _check(self) -> "Settings":
        if self.mode == "production" and (
            self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ConfigError(
                "KOMMUNEKI_SECRET_KEY is missing or a placeholder. In production mode set it to a long "
                "random value, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'."
            )
        if self.task_queue not in ("sqlite", "thread") and not self.task_queue.startswith(
            ("redis://", "rediss://", "unix://", "postgresql://", "postgres://")
        ):
            raise ConfigError(
                f"KOMMUNEKI_TASK_QUEUE={self.task_queue!r} is not a queue: use sqlite, thread, "
                "redis://host:port/db or postgresql://user@host/db."
            )
        data_dir = self.data_dir.resolve()
        if self.audit_key_file is not None and self.audit_key_file.resolve().is_relative_to(data_dir):
            raise ConfigError(
                f"KOMMUNEKI_AUDIT_KEY_FILE ({self.audit_key_file}) lies inside the data folder: whoever can "
                "write the data folder could then forge the audit log. Keep the key elsewhere."
            )
        from .core.audit_seal import parse_ship_to

        try:
            targets = parse_ship_to(self.audit_ship_to)
        except ValueError as exc:
            raise ConfigError(f"KOMMUNEKI_AUDIT_SHIP_TO: {exc}") from exc
        for target in targets:
            if target.path is not None and target.path.resolve().is_relative_to(data_dir):
                raise ConfigError(
                    f"KOMMUNEKI_AUDIT_SHIP_TO ({target.path}) lies inside the data folder: shipped "
                    "checkpoints must be kept somewhere else to reveal a rollback of the data folder."
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'kommuneki.db').resolve()}"

    @property
    def demo_audit_key_file(self) -> Path:
        """Where ``kommuneki demo`` makes its audit key: beside the data folder, not in it
        (``./.kommuneki-audit-data.key`` for ``./data``; .gitignore keeps such files out of git)."""
        data_dir = self.data_dir.resolve()
        return data_dir.parent / f".kommuneki-audit-{data_dir.name}.key"

    @property
    def resolved_audit_key_file(self) -> Path | None:
        """``audit_key_file``; unset in development and demo mode: the demo's key when it exists."""
        if self.audit_key_file is not None:
            return self.audit_key_file
        if self.mode != "production" and self.demo_audit_key_file.exists():
            return self.demo_audit_key_file
        return None

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def checkpoint_dir(self) -> Path:
        return self.data_dir / "audit-checkpoints"


def load_settings(**overrides) -> Settings:
    """Build settings from the environment, with explicit overrides (used by tests and the CLI)."""
    unknown = [
        k
        for k in os.environ
        if k.startswith("KOMMUNEKI_") and k[len("KOMMUNEKI_") :].lower() not in Settings.model_fields
    ]
    if unknown:
        raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}. See docs/settings.md.")
    try:
        return Settings(**overrides)
    except ConfigError:
        raise
    except Exception as exc:  # pydantic ValidationError: re-raise with a readable message
        raise ConfigError(f"Invalid settings: {exc}") from exc
