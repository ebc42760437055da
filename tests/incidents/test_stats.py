"""MTTA and MTTR per month and in total, from incidents with known times, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import Role, TokenScope
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Service
from takepoint.cli.main import app as cli
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Urgency
from tests.factories import make_token, make_user
from tests.incidents.world import World, build_world

MIN = 60


def _incident(
    session: Session,
    world: World,
    opened: datetime,
    *,
    ack_after: int | None = None,
    resolve_after: int | None = None,
    service: Service | None = None,
) -> None:
    incident = incidents.open_incident(
        session,
        service=service or world.app_server,
        title=f"opened {opened:%d %b %H:%M}",
        urgency=Urgency.HIGH,
        source=IncidentSource.WEB,
        now=opened,
    )
    if ack_after is not None:
        incidents.acknowledge(
            session, incident=incident, user=world.sam, now=opened + timedelta(seconds=ack_after)
        )
    if resolve_after is not None:
        incidents.resolve(
            session,
            incident=incident,
            user=world.sam,
            note="fixed",
            now=opened + timedelta(seconds=resolve_after),
        )
    session.commit()


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    """Five incidents in February and March 2026 on the app server (team Hospital IT), one on
    the printers (no team), and one just before the range."""
    world = build_world(session, clock)
    feb = datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
    _incident(session, world, feb, ack_after=5 * MIN, resolve_after=60 * MIN)
    _incident(session, world, feb + timedelta(days=10), ack_after=15 * MIN, resolve_after=120 * MIN)
    _incident(session, world, feb + timedelta(days=15), ack_after=20 * MIN)  # still acknowledged
    march = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    _incident(session, world, march, resolve_after=30 * MIN)  # resolved, never acknowledged
    _incident(session, world, march + timedelta(hours=24, minutes=30))  # still triggered
    printers = catalog.create_service(
        session, slug="printers", name="Printers", now=clock.now(), team=None
    )
    session.commit()
    _incident(session, world, march, ack_after=1 * MIN, resolve_after=2 * MIN, service=printers)
    _incident(session, world, datetime(2026, 1, 31, 23, 59, tzinfo=UTC), ack_after=MIN)
    return world


def _stats(client: TestClient, token: str, **params: str) -> dict[str, object]:
    response = client.get(
        "/api/v1/incidents/stats", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _figures(opened: int, ack: list[float], resolved: list[float]) -> dict[str, object]:
    def median(values: list[float]) -> float | None:
        ordered = sorted(values)
        middle = len(ordered) // 2
        if not ordered:
            return None
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    return {
        "opened": opened,
        "acknowledged": len(ack),
        "mean_ack_seconds": sum(ack) / len(ack) if ack else None,
        "median_ack_seconds": median(ack),
        "resolved": len(resolved),
        "mean_resolve_seconds": sum(resolved) / len(resolved) if resolved else None,
        "median_resolve_seconds": median(resolved),
    }


def test_it_gives_counts_means_and_medians_per_month_and_in_total(
    client: TestClient, session: Session, clock: FakeClock, world: World
) -> None:
    token = make_token(session, clock, world.morgan, TokenScope.READ)

    body = _stats(client, token, since="2026-02-01", until="2026-03-02", service="app-server")

    assert body["since"] == "2026-02-01T00:00:00Z"
    assert body["until"] == "2026-03-03T00:00:00Z"
    assert body["total"] == {
        "opened": 5,
        "acknowledged": 3,
        "mean_ack_seconds": 800.0,  # 5, 15 and 20 minutes
        "median_ack_seconds": 900.0,
        "resolved": 3,
        "mean_resolve_seconds": 4200.0,  # 60, 120 and 30 minutes
        "median_resolve_seconds": 3600.0,
    }
    assert body["months"] == [
        {"month": "2026-02", **_figures(3, [300, 900, 1200], [3600, 7200])},
        {"month": "2026-03", **_figures(2, [], [1800])},
    ]


def test_it_narrows_to_a_team_and_widens_to_every_service(
    client: TestClient, session: Session, clock: FakeClock, world: World
) -> None:
    token = make_token(session, clock, world.morgan, TokenScope.READ)
    team = _stats(client, token, since="2026-02-01", until="2026-03-31", team="hospital-it")
    everything = _stats(client, token, since="2026-02-01", until="2026-03-31")

    assert team["total"] == _figures(5, [300, 900, 1200], [3600, 7200, 1800])
    assert everything["total"] == _figures(6, [300, 900, 1200, 60], [3600, 7200, 1800, 120])
    assert [m["month"] for m in everything["months"]] == ["2026-02", "2026-03"]  # type: ignore[attr-defined]


def test_it_covers_the_last_365_days_by_default_with_empty_months(
    client: TestClient, session: Session, clock: FakeClock, world: World
) -> None:
    token = make_token(session, clock, world.morgan, TokenScope.READ)

    body = _stats(client, token)

    assert (body["since"], body["until"]) == ("2025-03-03T00:00:00Z", "2026-03-03T00:00:00Z")
    months = body["months"]
    assert isinstance(months, list)
    assert [m["month"] for m in months][:2] == ["2025-03", "2025-04"]
    assert months[0] == {"month": "2025-03", **_figures(0, [], [])}
    assert len(months) == 13
    assert body["total"] == _figures(7, [300, 900, 1200, 60, 60], [3600, 7200, 1800, 120])


@pytest.mark.parametrize(
    ("params", "status", "field", "says"),
    [
        ({"since": "2026-02-30"}, 422, "since", "date"),
        ({"until": "yesterday"}, 422, "until", "date"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, 422, "since", "after until"),
        ({"since": "2010-01-01", "until": "2026-01-01"}, 422, "since", "longer than"),
        ({"service": "no-such-service"}, 404, "service", "no-such-service"),
        ({"team": "no-such-team"}, 404, "team", "no-such-team"),
    ],
)
def test_it_names_bad_input(
    client: TestClient,
    session: Session,
    clock: FakeClock,
    params: dict[str, str],
    status: int,
    field: str | None,
    says: str,
) -> None:
    viewer = make_user(session, clock, role=Role.VIEWER)
    token = make_token(session, clock, viewer, TokenScope.READ)

    response = client.get(
        "/api/v1/incidents/stats", params=params, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert response.json().get("field") == field


def test_it_needs_a_signed_in_caller(client: TestClient) -> None:
    assert client.get("/api/v1/incidents/stats").status_code == 401


def test_the_command_line_prints_the_same_figures(
    db: Database, session: Session, clock: FakeClock, world: World
) -> None:
    args = ["incident", "stats", "--since", "2026-02-01", "--until", "2026-03-02"]
    args += ["--team", "hospital-it"]
    run = CliRunner().invoke(
        cli, [*args, "--format", "json"], env={"TAKEPOINT_DATABASE_URL": db.url}
    )
    assert run.exit_code == 0, run.output
    rows = json.loads(run.output)
    assert [r["month"] for r in rows] == ["2026-02", "2026-03", "total"]
    assert rows[-1]["median_ack_seconds"] == 900.0
    assert rows[-1]["mean_resolve_seconds"] == 4200.0

    table = CliRunner().invoke(cli, args, env={"TAKEPOINT_DATABASE_URL": db.url})
    assert table.exit_code == 0, table.output
    assert "15 min" in table.output and "70 min" in table.output  # median TTA, total mean TTR

    bad = CliRunner().invoke(
        cli, ["incident", "stats", "--since", "March"], env={"TAKEPOINT_DATABASE_URL": db.url}
    )
    assert bad.exit_code == 2 and "give a day as YYYY-MM-DD" in bad.output
