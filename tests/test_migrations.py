from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import takepoint.models  # noqa: F401  (every table on the metadata)
from takepoint.lib import migrate
from takepoint.lib.db import Base, Database


def test_it_builds_the_same_schema_from_migrations_as_from_the_models(db: Database) -> None:
    # `db` was built by running every migration; the models must describe exactly that schema.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_it_reports_the_schema_as_current_after_upgrade(db: Database) -> None:
    assert not migrate.pending(db)
    assert migrate.heads(db) <= migrate.applied(db)
