"""Engine jobs take their settings, signing key and address from the context, never a guess."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from takepoint.engine import action_items, deliver
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import MissingContext, bind
from takepoint.lib.db import Database
from takepoint.notify.models import Notification
from takepoint.reviews import actions
from tests.factories import db_context
from tests.incidents.world import build_world, notified, phone_incident


def test_it_will_not_deliver_without_a_context(db: Database, clock: FakeClock) -> None:
    with Session(db.engine) as bare, pytest.raises(MissingContext):
        deliver.run_once(bare, clock.now())


def test_it_will_not_deliver_outside_an_engine_job(db: Database, clock: FakeClock) -> None:
    # The test database's sessions have a context, but no engine worker to hold the claims.
    with db.session() as session, pytest.raises(MissingContext, match="not an engine job"):
        deliver.run_once(session, clock.now())


def test_it_links_action_item_reminders_to_the_actions_page(
    db: Database, clock: FakeClock, session: Session
) -> None:
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world)
    actions.create_action(
        session,
        incident=incident,
        title="Add a disk monitor",
        owner=world.lee,
        due_on=date(2026, 3, 9),
        user=world.sam,
        now=clock.now(),
    )
    session.execute(delete(Notification))
    clock.advance(timedelta(days=6))
    with db.session() as job:
        assert action_items.run_once(bind(job, db_context(db).for_worker("a")), clock.now()) == 1
    [reminder] = notified(session, world.lee)
    assert reminder.body.endswith("\n\nhttp://testserver/actions")
