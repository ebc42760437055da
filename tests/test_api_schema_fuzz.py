"""Schemathesis over the OpenAPI document, against a live server, as an admin and as a viewer.

Every operation gets a few generated requests, valid and invalid, then a short stateful phase
follows the links schemathesis infers between operations (create, then read and change what was
created). The seed is fixed, so each run sends the same requests. Any 5xx fails, and so does any
answer the document does not describe: its status, its content type, its headers or its body.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import BaseSchema
from schemathesis.engine import events, from_schema
from sqlalchemy.orm import Session

from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role, TokenScope
from takepoint.catalog import service as catalog
from takepoint.desk import service as desk
from takepoint.desk.models import Channel
from takepoint.engine.models import EngineHeartbeat
from takepoint.incidents import policies
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource, TargetKind
from takepoint.lib.clock import FakeClock
from takepoint.notify.models import Urgency
from takepoint.oncall import service as oncall
from takepoint.oncall.compute import ShiftUnit
from takepoint.signals.models import IntegrationKind
from takepoint.signals.service import add_integration
from tests.factories import make_token, make_user
from tests.livesite import serve

SEED = 20260302
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    # Stateful: what was created can be read, and what was deleted is gone.
    "use_after_free",
    "ensure_resource_availability",
]
# Revoking tokens by id reaches the run's own token within a few ids, and every later request
# would test only the 401.
EXCLUDED = [("DELETE", "/api/v1/tokens/{token_id}")]
# Examples per operation and stateful scenarios, by who is asking: a viewer's writes all end
# at the role check, so fewer of them find anything new.
BUDGET = {Role.ADMIN: (3, 6), Role.VIEWER: (2, 0)}


def _seed(session: Session, clock: FakeClock, role: Role) -> str:
    """A little of everything, so that ids in paths name real rows; the caller's API token."""
    now = clock.now()
    lead = make_user(session, clock, name="Priya Raman", password=None)
    caller = make_user(session, clock, role=role, password=None)
    team = accounts.create_team(session, name="Hospital IT", lead=lead, now=now)
    app_server = catalog.create_service(
        session, slug="app-server", name="App server", now=now, team=team, tech_lead=lead
    )
    schedule = oncall.create_schedule(session, name="Weekly", time_zone="Europe/London", now=now)
    oncall.add_layer(
        session,
        schedule=schedule,
        name="Primary",
        start_date=(now - timedelta(days=1)).date(),
        handoff_time=time(9, 0),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=[lead],
        now=now,
    )
    target = policies.TargetSpec(TargetKind.SCHEDULE, schedule_id=schedule.id)
    policy = policies.create_policy(
        session, name="Hospital IT", levels=[policies.LevelSpec(5, [target])], now=now
    )
    policies.set_service_paging(session, service=app_server, policy=policy)
    incidents.open_incident(
        session,
        service=app_server,
        title="App server down",
        urgency=Urgency.HIGH,
        source=IncidentSource.PHONE,
        now=now,
    )
    for kind in (IntegrationKind.ALERTMANAGER, IntegrationKind.HEARTBEAT):
        add_integration(session, service=app_server, kind=kind, now=now)
    ward = desk.create_requester(session, name="Ward 4", email="ward4@example.org", now=now)
    desk.open_ticket(
        session, requester_id=ward.id, title="Printer jams", channel=Channel.PHONE, now=now
    )
    # An engine that cycled just now, by the test's clock, which stands still: /healthz is 200.
    session.add(
        EngineHeartbeat(
            worker_id="test-engine",
            hostname="localhost",
            pid=1,
            started_at=now,
            last_cycle_at=now,
            last_cycle_ms=1.0,
        )
    )
    session.commit()
    return make_token(session, clock, caller, TokenScope.WRITE)


def _config(base_url: str, token: str, role: Role) -> schemathesis.Config:
    examples, scenarios = BUDGET[role]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {token}"},
            "workers": 1,
            # Hypothesis' health checks are judged by the clock; nothing is kept between runs.
            "suppress-health-check": ["all"],
            "cache": {"enabled": False},
            "generation": {"max-examples": examples, "database": "none"},
            "phases": {
                # Boundary values of every parameter: thousands of requests, minutes of them.
                "coverage": {"enabled": False},
                "stateful": {
                    "enabled": scenarios > 0,
                    "max-steps": 8,
                    "generation": {"max-examples": max(scenarios, 1)},
                },
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def _failures(stream: Any) -> list[str]:
    found: list[str] = []
    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        found.append(
                            f"{event.recorder.label}: {check.name}: {failure.title}: "
                            f"{failure.message}\n{check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            # A request that timed out is one of these.
            found.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            found.append(f"schemathesis stopped: {event.exception!r}")
    # A failure repeats once per example that shows it; once is enough to read.
    return list(dict.fromkeys(found))


@pytest.mark.slow
@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_every_answer_is_one_the_document_describes(
    app: FastAPI, session: Session, clock: FakeClock, role: Role
) -> None:
    token = _seed(session, clock, role)
    with serve(app) as live:
        config = _config(live.url, token, role)
        schema: BaseSchema = schemathesis.openapi.from_url(
            f"{live.url}/api/openapi.json", config=config
        )
        for method, path in EXCLUDED:
            schema = schema.exclude(method=method, path=path)
        failures = _failures(from_schema(schema).execute())
        me = httpx.get(f"{live.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert failures == []
    # Still signed in as that role at the end: the run did not lock itself out halfway.
    assert me.status_code == 200 and me.json()["role"] == role.value
