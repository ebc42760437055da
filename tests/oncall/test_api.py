from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import TokenScope, User
from takepoint.lib.clock import FakeClock
from takepoint.oncall.models import Schedule
from tests.factories import make_token, make_user
from tests.oncall.conftest import Team


def bearer(session: Session, clock: FakeClock, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(session, clock, user, TokenScope.WRITE)}"}


def build_rotation(client: TestClient, headers: dict[str, str], team: Team) -> dict[str, Any]:
    schedule = client.post(
        "/api/v1/schedules",
        json={"name": "Nights", "time_zone": "America/New_York"},
        headers=headers,
    )
    assert schedule.status_code == 201, schedule.text
    layer = client.post(
        f"/api/v1/schedules/{schedule.json()['id']}/layers",
        json={
            "name": "Weeknights",
            "start_date": "2026-03-02",
            "handoff_time": "18:00",
            "shift_length": 1,
            "shift_unit": "days",
            "participant_ids": [team.sam.id, team.lee.id],
            "restrictions": [
                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "18:00", "end": "08:00"}
            ],
        },
        headers=headers,
    )
    assert layer.status_code == 201, layer.text
    body: dict[str, Any] = schedule.json()
    body["layer"] = layer.json()
    return body


def test_it_builds_a_rotation_and_answers_who_is_on_call(
    client: TestClient, session: Session, clock: FakeClock, team: Team
) -> None:
    headers = bearer(session, clock, team.admin)
    schedule = build_rotation(client, headers, team)
    url = f"/api/v1/schedules/{schedule['id']}/oncall"
    # Monday 2 March, 19:00 in New York: Sam's first night.
    night = client.get(url, params={"at": "2026-03-02T19:00:00-05:00"}, headers=headers)
    assert night.status_code == 200, night.text
    assert night.json()["user"]["display_name"] == "Sam Okafor"
    assert night.json()["until"] == "2026-03-03T13:00:00Z"  # 08:00 EST
    # Saturday afternoon: the layer is restricted to weeknights, so nobody.
    weekend = client.get(url, params={"at": "2026-03-07T15:00:00Z"}, headers=headers).json()
    assert weekend["user"] is None
    assert weekend["via"] == "nobody"
    # After the clocks change on 8 March, nights still start at 18:00 local (22:00Z).
    later = client.get(url, params={"at": "2026-03-09T22:30:00Z"}, headers=headers).json()
    assert later["since"] == "2026-03-09T22:00:00Z"


def test_it_refuses_a_naive_time_and_says_why(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    headers = bearer(session, clock, team.viewer)
    response = client.get(
        f"/api/v1/schedules/{weekly.id}/oncall",
        params={"at": "2026-03-29T01:30:00"},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "at"
    assert "no UTC offset" in response.json()["detail"]
    assert "naive" in response.json()["detail"]


def test_it_returns_a_timeline_with_explicit_gaps(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    headers = bearer(session, clock, team.viewer)
    response = client.get(
        f"/api/v1/schedules/{weekly.id}/timeline",
        params={"start": "2026-03-01T00:00:00Z", "end": "2026-03-17T00:00:00Z"},
        headers=headers,
    )
    assert response.status_code == 200
    final = response.json()["final"]
    assert [(s["start"], s["user"] and s["user"]["display_name"]) for s in final] == [
        ("2026-03-01T00:00:00Z", None),  # before the rotation starts
        ("2026-03-02T09:00:00Z", "Sam Okafor"),
        ("2026-03-09T09:00:00Z", "Priya Raman"),
        ("2026-03-16T09:00:00Z", "Lee Chen"),
    ]
    assert response.json()["layers"][0]["name"] == "Primary"


def test_it_names_the_field_of_bad_input(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    headers = bearer(session, clock, team.admin)
    zone = client.post(
        "/api/v1/schedules", json={"name": "X", "time_zone": "Mars/Olympus"}, headers=headers
    )
    assert zone.status_code == 422
    assert zone.json()["field"] == "time_zone"
    length = client.post(
        f"/api/v1/schedules/{weekly.id}/layers",
        json={
            "name": "Too long",
            "start_date": "2026-04-06",
            "handoff_time": "09:00",
            "shift_length": 60,
            "shift_unit": "weeks",
        },
        headers=headers,
    )
    assert length.status_code == 422
    assert length.json()["field"] == "shift_length"
    extra = client.post(
        f"/api/v1/schedules/{weekly.id}/overrides",
        json={"user_id": team.sam.id, "starts_at": "2026-03-03T00:00:00Z", "ends_at": "x"},
        headers=headers,
    )
    assert extra.status_code == 422
    assert extra.json()["field"] == "ends_at"


def test_it_lets_responders_cover_themselves_but_not_others(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    headers = bearer(session, clock, team.lee)
    url = f"/api/v1/schedules/{weekly.id}/overrides"
    period = {"starts_at": "2026-03-03T18:00:00Z", "ends_at": "2026-03-04T08:00:00Z"}
    mine = client.post(url, json={"user_id": team.lee.id, **period}, headers=headers)
    assert mine.status_code == 201, mine.text
    theirs = client.post(url, json={"user_id": team.dana.id, **period}, headers=headers)
    assert theirs.status_code == 403
    on_call = client.get(
        f"/api/v1/schedules/{weekly.id}/oncall",
        params={"at": "2026-03-03T20:00:00Z"},
        headers=headers,
    ).json()
    assert on_call["user"]["display_name"] == "Lee Chen"
    assert on_call["via"] == "override"


def test_it_requests_and_accepts_a_swap_over_the_api(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    layer_id = weekly.layers[0].id
    asked = client.post(
        f"/api/v1/schedules/{weekly.id}/swaps",
        json={
            "layer_id": layer_id,
            "counterpart_id": team.dana.id,
            "give_start": "2026-03-16T09:00:00Z",
        },
        headers=bearer(session, clock, team.lee),
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    accepted = client.post(
        f"/api/v1/schedules/{weekly.id}/swaps/{asked.json()['id']}/accept",
        headers=bearer(session, clock, team.dana),
    )
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    on_call = client.get(
        f"/api/v1/schedules/{weekly.id}/oncall",
        params={"at": "2026-03-17T00:00:00Z"},
        headers=bearer(session, clock, team.viewer),
    )
    assert on_call.json()["user"]["display_name"] == "Dana Whitfield"
    assert on_call.json()["swap_id"] == asked.json()["id"]


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59Z"]
)
def test_a_time_at_the_calendars_edges_is_refused_naming_the_field(
    client: TestClient, session: Session, clock: FakeClock, at: str
) -> None:
    headers = bearer(session, clock, make_user(session, clock))
    response = client.get("/api/v1/oncall", params={"at": at}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "at"
    assert "outside the years 1970 to 2999" in response.json()["detail"]
