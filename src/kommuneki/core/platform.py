"""The running platform: settings, database, blob store and service registry, built once per process by
the app factory or the CLI and passed to whoever needs them (no module-level globals)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from ..config import Settings
from .db import Database
from .items import BlobStore
from .jobs import LiveJobs
from .registry import ServiceRegistry, default_registry

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@dataclass
class Platform:
    settings: Settings
    db: Database
    blobs: BlobStore
    registry: ServiceRegistry
    installation_id: str = field(default="")
    jobs: LiveJobs = field(default_factory=LiveJobs)  # background jobs running in this process

    @classmethod
    def from_settings(cls, settings: Settings, registry: ServiceRegistry | None = None) -> "Platform":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url, checkpoint_dir=settings.checkpoint_dir)
        id_file = settings.data_dir / "installation-id"
        if not id_file.exists():
            id_file.write_text(uuid.uuid4().hex)
        return cls(
            settings=settings,
            db=db,
            blobs=BlobStore(settings.blob_dir),
            registry=registry or default_registry(),
            installation_id=id_file.read_text().strip(),
        )

    @property
    def model_dir(self) -> Path:
        return self.settings.data_dir / "models"

    def upgrade_db(self) -> None:
        """Apply every migration (``alembic upgrade heads``)."""
        cfg = alembic_config(self.db.url)
        with self.db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")

    def close(self) -> None:
        self.db.dispose()
