from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.oncall.compute import Segment
from takepoint.oncall.hours import Band, on_call_hours
from takepoint.oncall.models import Schedule
from takepoint.oncall.wallclock import zone
from tests.factories import login
from tests.oncall.conftest import Team, z

LONDON = zone("Europe/London")


def test_it_splits_a_weekday_into_business_hours_and_night() -> None:
    day = [Segment(z(2026, 3, 3, 0), z(2026, 3, 4, 0), 1)]  # Tuesday, GMT
    hours = on_call_hours(day, LONDON, z(2026, 3, 1), z(2026, 3, 8))[1]
    assert hours.hours(Band.BUSINESS) == 8
    assert hours.hours(Band.NIGHT) == 16
    assert hours.hours(Band.WEEKEND) == 0


def test_it_counts_the_real_length_of_a_weekend_with_a_clock_change() -> None:
    # Saturday 24 October 2026 00:00 BST to Monday 26 October 00:00 GMT: 49 hours.
    weekend = [Segment(z(2026, 10, 23, 23), z(2026, 10, 26, 0), 1)]
    hours = on_call_hours(weekend, LONDON, z(2026, 10, 19), z(2026, 11, 2))[1]
    assert hours.hours(Band.WEEKEND) == 49
    assert hours.total == 49


def test_it_adds_the_bands_up_to_the_total() -> None:
    week = [Segment(z(2026, 3, 23, 9), z(2026, 3, 30, 8), 7)]  # the week the clocks go forward
    hours = on_call_hours(week, LONDON, z(2026, 3, 1), z(2026, 4, 30))[7]
    assert hours.total == 167
    assert hours.hours(Band.BUSINESS) == 5 * 8
    assert hours.hours(Band.WEEKEND) == 47
    assert hours.hours(Band.NIGHT) == 167 - 40 - 47


def test_it_reports_hours_per_person_as_a_page_csv_and_api(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    login(client, team.viewer)
    params = {"first": "2026-03-02", "last": "2026-03-15", "schedule_id": str(weekly.id)}
    page = client.get("/oncall/hours", params=params)
    assert page.status_code == 200
    assert "Sam Okafor" in page.text
    download = client.get("/oncall/hours.csv", params=params)
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    by_person = {r["person"]: r for r in rows}
    # 2 March 00:00 to 16 March 00:00: Sam from 09:00 on the 2nd, Priya from the 9th.
    assert by_person["Sam Okafor"]["total_hours"] == "168.00"
    assert by_person["Priya Raman"]["total_hours"] == "159.00"
    assert by_person["Sam Okafor"]["weekend_hours"] == "48.00"
    api = client.get("/api/v1/oncall/hours", params=params).json()
    assert {r["user"]["display_name"]: r["total_hours"] for r in api} == {
        "Sam Okafor": 168.0,
        "Priya Raman": 159.0,
    }


def test_it_refuses_a_backwards_period(
    client: TestClient, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    login(client, team.viewer)
    response = client.get(
        "/api/v1/oncall/hours", params={"first": "2026-03-10", "last": "2026-03-01"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "last"
