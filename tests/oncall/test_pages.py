from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.service import update_user
from takepoint.cli.main import app as cli
from takepoint.demo import load_demo
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.oncall import service
from takepoint.oncall.models import Schedule
from tests.factories import login
from tests.oncall.conftest import Team


def test_it_shows_two_weeks_per_layer_and_per_day(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    login(client, team.viewer)
    page = client.get(f"/oncall/schedules/{weekly.id}")
    assert page.status_code == 200
    text = page.text
    assert "Handoffs are in <strong>Europe/London</strong>" in text
    assert re.search(r'id="oncall-now-name">Sam Okafor<', text)
    assert 'class="tl-track"' in text
    assert text.count('class="tl-row"') == 2  # final and the one layer
    assert "Monday 09 March" in text
    flat = " ".join(text.split())
    # Priya's week, in the day list: it starts that Monday and carries on for seven days.
    assert "from 09:00 (until Mon 16 09:00) <strong>Priya Raman</strong>" in flat
    assert "all day (until Mon 16 09:00) <strong>Priya Raman</strong>" in flat


def test_it_shows_times_in_the_viewers_zone_with_the_schedules_beside_them(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    update_user(session, user=team.viewer, time_zone="America/New_York")
    session.commit()
    login(client, team.viewer)
    text = client.get(f"/oncall/schedules/{weekly.id}").text
    assert "Times below are in your zone, America/New_York" in text
    # Priya's week starts at 09:00 London, which is 05:00 in New York that Monday.
    flat = " ".join(text.split())
    assert "from 05:00 (until Mon 16 05:00) <strong>Priya Raman</strong>" in flat
    assert "Mon 09:00-Mon 09:00 Europe/London" in text


def test_it_shows_who_is_on_call_now_on_the_home_page(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    login(client, team.viewer)
    home = client.get("/")
    assert "Who&#39;s on call now" in home.text or "Who's on call now" in home.text
    assert "Hospital IT on call" in home.text
    assert "<strong>Sam Okafor</strong>" in home.text


def test_it_builds_a_rotation_through_the_admin_pages(
    client: TestClient, session: Session, clock: FakeClock, team: Team
) -> None:
    token = login(client, team.admin)
    created = client.post(
        "/oncall/schedules",
        data={"csrf_token": token, "name": "Desk", "time_zone": "Asia/Kolkata"},
    )
    assert created.status_code == 303
    edit = created.headers["location"].split("?")[0]
    schedule_id = int(edit.split("/")[3])
    added = client.post(
        f"/oncall/schedules/{schedule_id}/layers",
        data={
            "csrf_token": token,
            "name": "Days",
            "shift_length": "12",
            "shift_unit": "hours",
            "start_date": "2026-03-02",
            "handoff_time": "08:00",
            "participant_ids": [str(team.lee.id), "", str(team.dana.id)],
        },
    )
    assert added.status_code == 303, added.text
    assert "Lee Chen" in client.get(edit).text
    schedule = service.get_schedule(session, schedule_id)
    # 09:00 UTC is 14:30 in Kolkata: Lee's 08:00-20:00 shift.
    assert service.who_is_on_call(session, schedule, clock.now()).user == team.lee


def test_it_refuses_form_input_it_cannot_use_with_a_message(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    token = login(client, team.admin)
    layer = weekly.layers[0]
    response = client.post(
        f"/oncall/schedules/{weekly.id}/layers/{layer.id}/participants",
        data={"csrf_token": token, "user_id": str(team.sam.id), "effective_from": "soon"},
    )
    assert response.status_code == 422
    assert "is not a date" in response.text
    missing = client.get("/oncall/schedules/999999")
    assert missing.status_code == 404
    assert "no schedule with id 999999" in missing.text


def test_it_loads_the_demo_with_leave_cover_and_a_swap_to_answer(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    with db.session() as s:
        load_demo(s, now=clock.now())
    with db.session() as s:
        schedule = service.find_schedule(s, "Hospital IT on call")
        layer = schedule.layers[0]
        assert [p.user.display_name.split()[0] for p in layer.participants] == [
            "Sam",
            "Priya",
            "Lee",
            "Dana",
        ]
        assert layer.handoff_time.strftime("%H:%M") == "09:00"
        assert schedule.time_zone == "Europe/London"
    response = client.post(
        "/login",
        data={
            "email": "dana@stmarys.example",
            "password": "takepoint-demo",
            "csrf_token": re.findall(
                r'name="csrf_token" value="([^"]+)"', client.get("/login").text
            )[0],
        },
    )
    assert response.status_code == 303
    page = client.get(f"/oncall/schedules/{schedule.id}").text
    assert "Priya on annual leave" in page
    assert "Family wedding" in page
    assert "Accept" in page  # Dana is the one asked


def test_it_answers_who_is_on_call_from_the_command_line(
    db: Database, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    env = {"TAKEPOINT_DATABASE_URL": db.url}
    result = CliRunner().invoke(
        cli,
        ["oncall", "hospital-it-on-call", "--at", "2026-03-10T12:00:00Z", "--format", "json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows == [
        {
            "schedule": "Hospital IT on call",
            "on_call": "Priya Raman",
            "email": "priya@stmarys.example",
            "since": "2026-03-09T09:00+00:00",
            "until": "2026-03-16T09:00+00:00",
            "via": "layer",
            "time_zone": "Europe/London",
        }
    ]
    naive = CliRunner().invoke(cli, ["oncall", "--at", "2026-03-10T12:00"], env=env)
    assert naive.exit_code == 2
    assert "no UTC offset" in naive.output
    everywhere = CliRunner().invoke(cli, ["oncall", "--format", "json"], env=env)
    assert everywhere.exit_code == 0, everywhere.output
    assert [r["schedule"] for r in json.loads(everywhere.output)] == ["Hospital IT on call"]
    table = CliRunner().invoke(cli, ["oncall", "--at", "now"], env=env)
    assert table.exit_code == 0
    assert "On call at" in table.output
