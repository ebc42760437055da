"""Fixtures for delivery tests: loopback receivers, mail settings, and the real deliver job."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from takepoint.engine import deliver
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import bind, context_of
from takepoint.lib.settings import Settings
from tests.conftest import BoundDatabase
from tests.notify.receivers import SmtpReceiver, http_receiver, smtp_server

__all__ = ["http_receiver", "smtp_server"]


class DeliverJob:
    """Runs `takepoint.engine.deliver.run_once` as the engine does: its own unit of work."""

    def __init__(self, db: BoundDatabase, clock: FakeClock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    def __call__(self, worker: str = "engine-a") -> int:
        with self.db.session() as session:
            prepare(session, worker, self.settings)
            return deliver.run_once(session, self.clock.now())

    def run_for(self, duration: timedelta, *, tick: timedelta = timedelta(seconds=5)) -> int:
        """Move the clock forward by `tick` steps for `duration`, running the job each time."""
        done = self()
        elapsed = timedelta(0)
        while elapsed < duration:
            self.clock.advance(tick)
            elapsed += tick
            done += self()
        return done


def prepare(session: Session, worker: str, settings: Settings) -> None:
    """Bind the session as the engine binds a job's: as this worker, with these settings."""
    context = dataclasses.replace(context_of(session), settings=settings)
    bind(session, context.for_worker(worker))


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpReceiver) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_from": "takepoint@stmarys.example",
        }
    )


@pytest.fixture
def run_deliver(db: BoundDatabase, clock: FakeClock, mail_settings: Settings) -> DeliverJob:
    return DeliverJob(db, clock, mail_settings)
