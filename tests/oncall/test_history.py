"""Changing a rotation never changes who was (or is now) on call."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.errors import Conflict, InvalidInput
from takepoint.oncall import compute, service
from takepoint.oncall.models import Schedule
from tests.factories import make_user
from tests.oncall.conftest import Team, z


def owners(session: Session, schedule: Schedule, weeks: int = 8) -> list[int | None]:
    result = service.timeline(
        session,
        schedule=schedule,
        start=z(2026, 3, 2, 9),
        # Ends before the last handoff, which is at 08:00 UTC once London is on summer time.
        end=z(2026, 3, 2, 9) + timedelta(weeks=weeks, hours=-2),
    )
    return [r.user_id for r in compute.runs(result.final)]


def test_it_adds_someone_from_the_next_shift_by_default(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 18, 12))  # Wednesday of Lee's week
    alex = make_user(session, clock, name="Alex Moss")
    before = owners(session, weekly)
    participant = service.add_participant(
        session, schedule=weekly, layer=weekly.layers[0], user=alex, now=clock.now()
    )
    session.commit()
    assert participant.effective_from == date(2026, 3, 17)
    after = owners(session, service.get_schedule(session, weekly.id))
    assert after[:3] == before[:3]  # Sam, Priya and Lee (now) keep their weeks
    assert after[3:6] == [team.dana.id, alex.id, team.sam.id]


def test_it_refuses_to_change_people_in_the_shift_under_way(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 18, 12))
    layer = weekly.layers[0]
    with pytest.raises(InvalidInput, match="2026-03-17 at the earliest") as caught:
        service.end_participant(
            session,
            schedule=weekly,
            layer=layer,
            participant=layer.participants[2],  # Lee, on call now
            until=date(2026, 3, 16),
            now=clock.now(),
        )
    assert caught.value.field == "effective_until"


def test_it_removes_someone_from_a_date_and_keeps_their_past(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 18, 12))
    layer = weekly.layers[0]
    with pytest.raises(Conflict, match="set the date they leave"):
        service.remove_participant(
            session,
            schedule=weekly,
            layer=layer,
            participant=layer.participants[1],
            now=clock.now(),
        )
    service.end_participant(
        session,
        schedule=weekly,
        layer=layer,
        participant=layer.participants[1],  # Priya
        until=date(2026, 3, 20),
        now=clock.now(),
    )
    session.commit()
    assert owners(session, weekly) == [
        team.sam.id,
        team.priya.id,  # her past week stays hers
        team.lee.id,
        team.dana.id,
        team.sam.id,
        team.lee.id,
        team.dana.id,
        team.sam.id,
    ]


def test_it_continues_a_rotation_as_a_new_layer_without_a_jump(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 18, 12))
    old = weekly.layers[0]
    with pytest.raises(Conflict, match="has started"):
        service.update_layer(session, schedule=weekly, layer=old, shift_length=2, now=clock.now())
    before = owners(session, weekly, weeks=4)
    successor = service.continue_layer(
        session, schedule=weekly, layer=old, from_date=date(2026, 3, 23), now=clock.now()
    )
    session.commit()
    # The copy has not started, so its rotation can change: fortnightly from 23 March.
    service.update_layer(session, schedule=weekly, layer=successor, shift_length=2, now=clock.now())
    session.commit()
    schedule = service.get_schedule(session, weekly.id)
    assert owners(session, schedule, weeks=4) == before  # history and the next turn unchanged
    result = service.timeline(
        session, schedule=schedule, start=z(2026, 3, 23, 9), end=z(2026, 4, 20, 8)
    )
    assert [(s.start, s.user_id) for s in result.final] == [
        (z(2026, 3, 23, 9), team.dana.id),  # Dana was next, and still is
        (z(2026, 4, 6, 8), team.sam.id),  # a fortnight later, in BST
    ]


def test_it_keeps_a_running_schedule_from_gaining_past_layers(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    with pytest.raises(InvalidInput, match="must start in the future") as caught:
        service.add_layer(
            session,
            schedule=weekly,
            name="Backup",
            start_date=date(2026, 2, 2),
            handoff_time=weekly.layers[0].handoff_time,
            shift_length=1,
            shift_unit=compute.ShiftUnit.WEEKS,
            now=clock.now(),
        )
    assert caught.value.field == "start_date"
    with pytest.raises(Conflict, match="zone"):
        service.update_schedule(
            session, schedule=weekly, time_zone="America/New_York", now=clock.now()
        )
