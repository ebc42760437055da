"""A layer's people and restrictions changed through the admin pages and the API, which address
the layer the same way (`service.LayerRef`) and so share one service call per change."""

from __future__ import annotations

from datetime import time, timedelta
from urllib.parse import unquote

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.oncall import service
from takepoint.oncall.compute import ShiftUnit
from takepoint.oncall.models import Layer, Schedule
from tests.factories import login
from tests.oncall.conftest import FIRST_MONDAY, Team
from tests.oncall.test_api import bearer


def _future_layer(session: Session, clock: FakeClock, team: Team) -> Layer:
    schedule = service.create_schedule(
        session, name="Theatres", time_zone="Europe/London", now=clock.now()
    )
    layer = service.add_layer(
        session,
        schedule=schedule,
        name="Primary",
        start_date=FIRST_MONDAY + timedelta(days=14),
        handoff_time=time(9),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=[team.sam],
        now=clock.now(),
    )
    session.commit()
    return layer


def _flash(response_location: str) -> str:
    return unquote(response_location.split("flash=", 1)[1])


def test_it_says_what_changed_on_each_layer_form(
    client: TestClient, session: Session, clock: FakeClock, team: Team
) -> None:
    layer = _future_layer(session, clock, team)
    schedule_id = layer.schedule_id
    token = login(client, team.admin)
    path = f"/oncall/schedules/{schedule_id}/layers/{layer.id}"

    joined = client.post(
        f"{path}/participants", data={"csrf_token": token, "user_id": str(team.lee.id)}
    )
    assert joined.status_code == 303
    assert _flash(joined.headers["location"]) == "Lee Chen joins Primary."
    session.expire_all()
    lee = next(p for p in layer.participants if p.user_id == team.lee.id)

    left = client.post(
        f"{path}/participants/{lee.id}/end",
        data={"csrf_token": token, "effective_until": "2026-03-30"},
    )
    assert _flash(left.headers["location"]) == "Lee Chen leaves Primary from 2026-03-30."

    removed = client.post(f"{path}/participants/{lee.id}/delete", data={"csrf_token": token})
    assert _flash(removed.headers["location"]) == "Removed Lee Chen from Primary."

    restricted = client.post(
        f"{path}/restrictions",
        data={"csrf_token": token, "start_time": "08:00", "end_time": "18:00", "days": ["mon"]},
    )
    assert _flash(restricted.headers["location"]).startswith("Primary now runs ")
    session.expire_all()
    restriction = layer.restrictions[0]
    lifted = client.post(f"{path}/restrictions/{restriction.id}/delete", data={"csrf_token": token})
    assert _flash(lifted.headers["location"]) == "Restriction removed."

    deleted = client.post(f"{path}/delete", data={"csrf_token": token})
    assert _flash(deleted.headers["location"]) == "Deleted Primary."
    session.expire_all()
    assert service.get_schedule(session, schedule_id).layers == []


def test_it_answers_404_for_a_layer_another_schedule_holds(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    layer = _future_layer(session, clock, team)
    other = weekly
    participant = layer.participants[0]
    headers = bearer(session, clock, team.admin)
    wrong = client.delete(
        f"/api/v1/schedules/{other.id}/layers/{layer.id}/participants/{participant.id}",
        headers=headers,
    )
    assert wrong.status_code == 404
    assert f"{other.name} has no layer with id {layer.id}" in wrong.text
    right = client.delete(
        f"/api/v1/schedules/{layer.schedule_id}/layers/{layer.id}/participants/{participant.id}",
        headers=headers,
    )
    assert right.status_code == 204
