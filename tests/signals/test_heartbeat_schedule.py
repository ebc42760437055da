"""A cron heartbeat goes late at exactly the right instant, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.engine import heartbeats as heartbeat_job
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.errors import InvalidInput
from takepoint.signals.heartbeats import schedule_of
from takepoint.signals.models import AlertState, HeartbeatStatus, IntegrationKind
from takepoint.signals.schedule import check_schedule, cron_in_words
from takepoint.signals.schemas import HeartbeatSettings
from tests.signals.conftest import alerts_of, make_integration, make_service

NIGHTLY = HeartbeatSettings(cron="0 2 * * *", time_zone="Europe/London", grace_seconds=3600)
TICK = timedelta(microseconds=1)


def _engine(db: Database, now: datetime) -> int:
    with db.session() as session:
        return heartbeat_job.run_once(session, now)


@pytest.mark.parametrize(
    ("ran_at", "late_at"),
    [
        # Spring forward: 02:00 BST on Sunday 29 March is 01:00 UTC, 23 hours after Saturday's.
        (datetime(2026, 3, 28, 2, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC)),
        # Fall back: 02:00 GMT on Sunday 25 October is 02:00 UTC, 25 hours after Saturday's.
        (datetime(2026, 10, 24, 1, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC)),
        # An ordinary night in summer: due 01:00 UTC, late at 02:00 UTC.
        (datetime(2026, 7, 1, 1, 0, 30, tzinfo=UTC), datetime(2026, 7, 2, 2, 0, tzinfo=UTC)),
    ],
)
def test_it_goes_late_at_the_due_time_plus_grace_in_local_time(
    client: TestClient,
    db: Database,
    session: Session,
    clock: FakeClock,
    ran_at: datetime,
    late_at: datetime,
) -> None:
    clock.set(ran_at - timedelta(hours=1))
    service = make_service(session, clock)
    integration, key = make_integration(
        session, clock, service, IntegrationKind.HEARTBEAT, heartbeat=NIGHTLY
    )
    clock.set(ran_at)
    assert client.get(f"/ping/{key}").text == "OK"

    assert _engine(db, late_at - TICK) == 0
    assert alerts_of(session, integration) == []
    assert _engine(db, late_at) == 1
    [alert] = alerts_of(session, integration)
    assert alert.state is AlertState.OPEN
    assert "did not run" in alert.summary and "Europe/London" in alert.summary
    assert _engine(db, late_at + timedelta(hours=5)) == 0  # raised once, not every tick

    clock.set(late_at + timedelta(minutes=10))
    client.get(f"/ping/{key}")
    [alert] = alerts_of(session, integration)
    assert alert.state is AlertState.RESOLVED


def test_it_describes_the_schedule_in_words(
    session: Session, clock: FakeClock, db: Database
) -> None:
    service = make_service(session, clock)
    integration, _ = make_integration(
        session, clock, service, IntegrationKind.HEARTBEAT, heartbeat=NIGHTLY
    )
    assert integration.heartbeat is not None
    words = schedule_of(integration.heartbeat).in_words()
    assert words == "every day at 02:00 Europe/London, grace 1 h"
    assert cron_in_words("30 6 * * 1-5") == "on weekdays at 06:30"
    assert cron_in_words("*/15 * * * *") == "every 15 minutes"
    period = check_schedule(
        period=timedelta(hours=6), cron=None, time_zone="UTC", grace=timedelta(minutes=30)
    )
    assert period.in_words() == "every 6 h, grace 30 min"


def test_it_refuses_a_bad_cron_expression_or_zone() -> None:
    with pytest.raises(InvalidInput) as bad_cron:
        check_schedule(period=None, cron="0 25 * * *", time_zone="UTC", grace=timedelta(0))
    assert bad_cron.value.field == "cron"
    with pytest.raises(InvalidInput) as bad_zone:
        check_schedule(period=None, cron="0 2 * * *", time_zone="Mars/Olympus", grace=timedelta(0))
    assert bad_zone.value.field == "time_zone"


def test_it_watches_a_heartbeat_that_never_pinged(
    db: Database, session: Session, clock: FakeClock
) -> None:
    service = make_service(session, clock)
    settings = HeartbeatSettings(period_seconds=3600, grace_seconds=600)
    integration, _ = make_integration(
        session, clock, service, IntegrationKind.HEARTBEAT, heartbeat=settings
    )
    assert _engine(db, clock.now() + timedelta(minutes=69)) == 0
    assert _engine(db, clock.now() + timedelta(minutes=70)) == 1
    session.expire_all()
    assert integration.heartbeat is not None
    assert integration.heartbeat.status is HeartbeatStatus.DOWN
