"""The running platform: settings, database, blob store and service registry, built once per process by
the app factory or the CLI and passed to whoever needs them (no module-level globals)."""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config as AlembicConfig

from ..config import ConfigError, Settings
from .audit import Sealing
from .audit_seal import AuditKeyError, load_key, load_retired, parse_ship_to
from .cache import Caches
from .db import Database
from .items import BlobStore
from .jobs import LiveJobs
from .permissions import Policy
from .registry import ServiceRegistry, ServiceSpec, discover

if TYPE_CHECKING:
    from .queue import TaskQueue

log = logging.getLogger("kommuneki")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def service_folder(spec: ServiceSpec, name: str) -> Path | None:
    """A folder of the service's own package (``templates``, ``static``, ``migrations``), if it has one."""
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        return None
    folder = Path(next(iter(found.submodule_search_locations))) / name
    return folder if folder.is_dir() else None


def migration_dirs(registry: ServiceRegistry) -> list[Path]:
    """The core's revisions and every registered service's own ``migrations/`` folder (its branch)."""
    dirs = [MIGRATIONS_DIR / "versions"]
    dirs += [folder for spec in registry if (folder := service_folder(spec, "migrations")) is not None]
    return dirs


def alembic_config(url: str, registry: ServiceRegistry | None = None) -> AlembicConfig:
    registry = registry if registry is not None else discover()
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    locations = os.pathsep.join(str(folder) for folder in migration_dirs(registry))
    cfg.set_main_option("version_locations", locations.replace("%", "%%"))
    cfg.attributes["registry"] = registry
    return cfg


UNSEALED_IN_PRODUCTION = (
    "Produksjonsmodus krever en revisjonsnøkkel: uten den kan den som kan skrive i databasen og "
    "datamappen, skrive om revisjonsloggen uten at det vises. Lag en med «kommuneki audit new-key FIL» "
    "(utenfor datamappen) og sett KOMMUNEKI_AUDIT_KEY_FILE=FIL. For en prøveinstallasjon uten forsegling: "
    "KOMMUNEKI_AUDIT_ALLOW_UNSEALED=true."
)


def audit_sealing(settings: Settings, installation_id: str) -> Sealing:
    """The audit key (read from ``audit_key_file``) and ship targets of this installation."""
    key_file = settings.resolved_audit_key_file
    try:
        key = load_key(key_file) if key_file is not None else None
        retired = load_retired(key_file) if key is not None else ()
    except AuditKeyError as exc:
        raise ConfigError(str(exc)) from exc
    if key is None and settings.mode == "production":
        if not settings.audit_allow_unsealed:
            raise ConfigError(UNSEALED_IN_PRODUCTION)
        log.warning("KOMMUNEKI_AUDIT_KEY_FILE is not set: the audit log is not sealed (see docs/security.md)")
    return Sealing(
        key,
        tuple(parse_ship_to(settings.audit_ship_to)),
        installation_id,
        spool_dir=settings.data_dir / "audit-ship-spool",
        retired=retired,
    )


@dataclass
class Platform:
    settings: Settings
    db: Database
    blobs: BlobStore
    registry: ServiceRegistry
    installation_id: str = field(default="")
    jobs: LiveJobs = field(default_factory=LiveJobs)  # background jobs running in this process
    caches: Caches = field(default_factory=Caches)  # bounded, locked, per tenant (core/cache.py)

    @classmethod
    def from_settings(cls, settings: Settings, registry: ServiceRegistry | None = None) -> "Platform":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        id_file = settings.data_dir / "installation-id"
        if not id_file.exists():
            id_file.write_text(uuid.uuid4().hex)
        sealing = audit_sealing(settings, id_file.read_text().strip())
        registry = registry if registry is not None else discover()
        db = Database(
            settings.resolved_database_url,
            checkpoint_dir=settings.checkpoint_dir,
            sealing=sealing,
            audit_events=registry.audit_events,
        )
        return cls(
            settings=settings,
            db=db,
            blobs=BlobStore(settings.blob_dir),
            registry=registry,
            installation_id=id_file.read_text().strip(),
        )

    @functools.cached_property
    def task_queue(self) -> TaskQueue:
        """The task queue of this installation (``core/queue.py``); made on first use."""
        from .queue import TaskQueue

        return TaskQueue(self.settings)

    @property
    def policy(self) -> Policy:
        """Core rights merged with every registered service's roles and rights (built once)."""
        return self.registry.policy

    @property
    def model_dir(self) -> Path:
        return self.settings.data_dir / "models"

    def upgrade_db(self) -> None:
        """Apply every migration (``alembic upgrade heads``)."""
        cfg = alembic_config(self.db.url, self.registry)
        with self.db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")

    def close(self) -> None:
        self.db.dispose()
