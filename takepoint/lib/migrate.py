"""Apply and inspect the schema migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from takepoint.lib.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    config.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    return config


def upgrade(database: Database) -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def heads(database: Database) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(database)).get_heads())


def current(database: Database) -> set[str]:
    reader = database.engine.execution_options(takepoint_read_only=True)
    with reader.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def applied(database: Database) -> set[str]:
    """Every revision in force: the recorded heads plus their ancestors and dependencies."""
    script = ScriptDirectory.from_config(alembic_config(database))
    recorded = tuple(current(database))
    if not recorded:
        return set()
    return {r.revision for r in script.iterate_revisions(recorded, "base") if r is not None}


def pending(database: Database) -> bool:
    return not heads(database) <= applied(database)


def new_revision(database: Database, message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    config = alembic_config(database)
    command.revision(config, message=message, autogenerate=True)
