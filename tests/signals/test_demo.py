from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Host, Service
from takepoint.demo import load_demo
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import (
    Alert,
    AlertState,
    Heartbeat,
    HeartbeatKind,
    HeartbeatStatus,
    Integration,
)


def test_it_shows_the_disk_alert_and_the_backup_heartbeat_in_the_demo(
    session: Session, clock: FakeClock
) -> None:
    assert load_demo(session, now=clock.now())
    session.commit()
    txn = session.scalar(
        select(Service).join(Host, Host.service_id == Service.id).where(Host.hostname == "txn-01")
    )
    assert txn is not None
    [disk] = session.scalars(select(Alert).where(Alert.service_id == txn.id)).all()
    assert (disk.summary, disk.source, disk.state) == (
        "disk /var 96% full",
        "txn-01",
        AlertState.OPEN,
    )
    [backup] = session.scalars(select(Heartbeat).where(Heartbeat.service_id == txn.id)).all()
    assert backup.kind is HeartbeatKind.BACKUP
    assert backup.status is HeartbeatStatus.UP
    assert backup.last_duration_seconds == 14 * 60
    services = set(session.scalars(select(Service.id)))
    assert services <= set(session.scalars(select(Integration.service_id)))
