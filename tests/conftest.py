"""Shared fixtures: every database test runs on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import make_url, text
from sqlalchemy.orm import Session

from takepoint.app import create_app
from takepoint.engine.deliver import close_connections
from takepoint.lib import migrate, secrets
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context, bind
from takepoint.lib.db import Base, Database
from takepoint.lib.registry import Registry
from takepoint.lib.settings import Settings
from takepoint.wiring import build_registry

pytest_plugins = ["tests.browsing"]

# Every database a test makes is thrown away, so no Takepoint the tests start (in this process
# or as a child) waits for the disk at each commit; both modes survive a killed process, which
# is all the crash tests do. tests/test_sqlite_synchronous.py checks the default itself.
os.environ.setdefault("TAKEPOINT_SQLITE_SYNCHRONOUS", "normal")

# Thousands of people are made and sign in across the suite, each an argon2 hash or check at
# 64 MiB: a third of a second apiece on two busy cores. In this process they hash at argon2's
# cheapest; the hash records its parameters, so checking one costs as little. Takepoints the
# tests start as processes hash as shipped, and tests/accounts/test_password_hashing.py checks
# what ships.
secrets._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

POSTGRES_ADMIN_URL = os.environ.get(
    "TAKEPOINT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]
# Monday 2 March 2026, 09:00 UTC: a plain working day, far from any DST change.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once and copied for every test (much faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "takepoint.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test run's own, dropped at the end."""
    name = f"takepoint_test_{os.getpid()}"
    admin = _libpq(POSTGRES_ADMIN_URL)
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc}); scripts/test starts it"
        )
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_all(database: Database) -> None:
    """Every table empty and every id counting from 1 again, as after TRUNCATE ... RESTART
    IDENTITY of them all, but truncating only the tables the last test wrote to: all seventy-odd
    cost 180 ms per test. (TRUNCATE, not DELETE: the timeline's triggers refuse a DELETE.)"""
    tables = Base.metadata.sorted_tables
    probe = " UNION ALL ".join(f"""(SELECT '{t.name}' FROM "{t.name}" LIMIT 1)""" for t in tables)
    with database.engine.begin() as conn:
        written = ", ".join(f'"{name}"' for name in conn.scalars(text(probe)))
        if written:
            conn.execute(text(f"TRUNCATE {written} RESTART IDENTITY CASCADE"))
        # A row inserted and rolled back leaves no row but a sequence moved on.
        used = conn.execute(
            text("SELECT schemaname, sequencename FROM pg_sequences WHERE last_value IS NOT NULL")
        )
        for schema, sequence in list(used):
            conn.execute(text(f'ALTER SEQUENCE "{schema}"."{sequence}" RESTART'))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The long crash and load tests first, so that the workers share them out instead of one
    # worker running the longest alone at the end of the run.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


class BoundDatabase(Database):
    """Binds the test's context to every session it makes, as requests, engine jobs and CLI
    commands bind theirs, so a test can open a unit of work with `db.session()`."""

    context: Context

    def new_session(self, *, read_only: bool = False) -> Session:
        return bind(super().new_session(read_only=read_only), self.context)

    def autocommit_session(self) -> Session:
        return bind(super().autocommit_session(), self.context)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return build_registry()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db(
    backend: str,
    tmp_path: Path,
    clock: FakeClock,
    registry: Registry,
    request: pytest.FixtureRequest,
) -> Iterator[BoundDatabase]:
    if backend == "sqlite":
        path = tmp_path / "takepoint.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        # A test's database is thrown away, so its commits need not wait for the disk (the
        # default, FULL, survives a power loss; both survive a killed process).
        database = BoundDatabase(f"sqlite:///{path}", synchronous="normal")
    else:
        database = BoundDatabase(request.getfixturevalue("postgres_url"))
        _empty_all(database)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database.url,
        secret_key=SecretStr("test-secret-key-test-secret-key"),
        base_url="http://testserver",
    )
    database.context = Context.build(settings, registry, clock)
    yield database
    database.dispose()


@pytest.fixture
def context(db: BoundDatabase) -> Context:
    return db.context


@pytest.fixture
def settings(context: Context) -> Settings:
    return context.settings


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session for arranging and checking: each statement commits at once, so the app sees
    what a test arranged and the test sees what the app did (call expire_all() to reload)."""
    s = db.autocommit_session()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def app(settings: Settings, clock: FakeClock, db: Database, registry: Registry) -> FastAPI:
    return create_app(settings, registry=registry, clock=clock, db=db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _close_transports() -> Iterator[None]:
    # Transports keep a connection open for a batch; a test that sends directly ends its batch.
    yield
    close_connections()
