"""A few typed helpers for arranging tests."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from itertools import count

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts import service
from takepoint.accounts.models import Role, TokenScope, User
from takepoint.engine.loop import Engine
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.lib.db import Database
from takepoint.lib.metrics import Metrics
from takepoint.lib.registry import DomainParts, Job, Registry
from takepoint.lib.settings import Settings

PASSWORD = "correct-horse-battery"
_seq = count(1)


def make_user(
    session: Session,
    clock: FakeClock,
    *,
    role: Role = Role.RESPONDER,
    name: str | None = None,
    email: str | None = None,
    time_zone: str = "UTC",
    password: str | None = PASSWORD,
) -> User:
    n = next(_seq)
    user = service.create_user(
        session,
        email=email or f"user{n}@example.org",
        display_name=name or f"User {n}",
        role=role,
        time_zone=time_zone,
        password=password,
        now=clock.now(),
    )
    session.commit()
    return user


def make_token(session: Session, clock: FakeClock, user: User, scope: TokenScope) -> str:
    _, secret = service.create_api_token(
        session, user=user, name="test", scope=scope, now=clock.now()
    )
    session.commit()
    return secret


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """Load a page with a form and read the CSRF token out of it, as a browser would."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def login(client: TestClient, user: User, password: str = PASSWORD) -> str:
    """Sign in through the real form; returns a CSRF token for further posts."""
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_token(client, "/me")


def make_engine(
    db: Database,
    context: Context | None = None,
    *,
    settings: Settings | None = None,
    jobs: Sequence[Job] | None = None,
    worker_id: str | None = "test-engine",
    tick_seconds: float = 0.5,
    metrics: Metrics | None = None,
) -> Engine:
    """The real engine on the test's database and clock; `settings` replaces the test's
    (a mail server of the test's own), `jobs` runs only some of the registry's."""
    context = context or db_context(db)
    if settings is not None:
        context = dataclasses.replace(context, settings=settings)
    return Engine(
        db=db,
        context=context,
        tick_seconds=tick_seconds,
        job_timeout_seconds=10,
        jobs=jobs,
        worker_id=worker_id,
        metrics=metrics,
    )


def db_context(db: Database) -> Context:
    """The context the test database binds to its sessions (tests/conftest.py)."""
    context = getattr(db, "context", None)
    assert isinstance(context, Context), "not the test database"
    return context


def registry_jobs(context: Context, *names: str) -> list[Job]:
    """The registry's jobs of these names, in the registry's order."""
    jobs = [job for job in context.registry.jobs if job.name in names]
    assert len(jobs) == len(names), f"no job among {names}"
    return jobs


def with_parts(context: Context, *parts: DomainParts) -> Context:
    """The context with a registry that has these parts too, after every domain's."""
    return dataclasses.replace(context, registry=Registry(context.registry.domains + parts))


def with_only(context: Context, *parts: DomainParts) -> Context:
    """The context with a registry of only these parts."""
    return dataclasses.replace(context, registry=Registry(parts))
