from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.catalog.readiness import Check, Outcome, service_readiness
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import HeartbeatKind, IntegrationKind
from takepoint.signals.schemas import HeartbeatSettings
from tests.signals.conftest import make_integration


def _outcome(session: Session, service: Service, clock: FakeClock, check: Check) -> Outcome:
    session.expire_all()
    report = service_readiness(session, service=service, now=clock.now())
    [finding] = [f for f in report.findings if f.check is check]
    return finding.outcome


def test_it_passes_monitoring_once_an_integration_has_delivered_a_signal(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    assert _outcome(session, service, clock, Check.MONITOR) is Outcome.FAIL
    _, key = make_integration(session, clock, service, IntegrationKind.GENERIC)
    assert _outcome(session, service, clock, Check.MONITOR) is Outcome.FAIL
    client.post(f"/integrations/{key}/generic", json={"summary": "test", "status": "resolved"})
    assert _outcome(session, service, clock, Check.MONITOR) is Outcome.PASS


def test_it_passes_the_backup_check_only_while_a_backup_heartbeat_is_up(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    service.stores_data = True
    session.commit()
    assert _outcome(session, service, clock, Check.BACKUP_HEARTBEAT) is Outcome.FAIL
    job = HeartbeatSettings(period_seconds=86400)
    _, job_key = make_integration(session, clock, service, IntegrationKind.HEARTBEAT, heartbeat=job)
    client.get(f"/ping/{job_key}")
    assert _outcome(session, service, clock, Check.BACKUP_HEARTBEAT) is Outcome.FAIL
    backup = HeartbeatSettings(period_seconds=86400, kind=HeartbeatKind.BACKUP)
    _, key = make_integration(session, clock, service, IntegrationKind.HEARTBEAT, heartbeat=backup)
    assert _outcome(session, service, clock, Check.BACKUP_HEARTBEAT) is Outcome.FAIL  # never ran
    client.get(f"/ping/{key}")
    assert _outcome(session, service, clock, Check.BACKUP_HEARTBEAT) is Outcome.PASS
    client.get(f"/ping/{key}/1")
    assert _outcome(session, service, clock, Check.BACKUP_HEARTBEAT) is Outcome.FAIL
