from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.apply import Action, ApplyRejected, apply_text, export_text
from takepoint.lib.clock import FakeClock
from takepoint.signals.apply import INTEGRATIONS
from takepoint.signals.integrations import list_integrations
from takepoint.signals.models import HeartbeatKind, IntegrationKind

FILE = """\
version: 1
integrations:
  - service: transaction-server
    name: Nightly backup
    kind: heartbeat
    heartbeat:
      cron: "0 2 * * *"
      time_zone: Europe/London
      grace_minutes: 60
      backup: true
  - service: transaction-server
    name: Prometheus
    kind: alertmanager
  - service: transaction-server
    name: Zabbix
    kind: generic
    field_paths: {summary: trigger.name, dedup_key: event.id}
"""


def test_it_applies_and_exports_integrations_without_keys(
    session: Session, clock: FakeClock, service: Service
) -> None:
    plan = apply_text(
        session, text=FILE, filename="signals.yaml", now=clock.now(), sections=[INTEGRATIONS]
    )
    assert plan.count(Action.CREATE) == 3
    session.commit()
    found = {i.name: i for i in list_integrations(session)}
    backup = found["Nightly backup"].heartbeat
    assert backup is not None and backup.kind is HeartbeatKind.BACKUP
    assert found["Zabbix"].kind is IntegrationKind.GENERIC
    assert found["Zabbix"].field_paths["summary"] == "trigger.name"

    exported = export_text(session, sections=[INTEGRATIONS])
    assert "Nightly backup" in exported and "key" not in exported.replace("dedup_key", "")
    again = apply_text(
        session, text=exported, filename="export.yaml", now=clock.now(), sections=[INTEGRATIONS]
    )
    assert again.empty, again.render()

    changed = FILE.replace("grace_minutes: 60", "grace_minutes: 90")
    update = apply_text(
        session, text=changed, filename="signals.yaml", now=clock.now(), sections=[INTEGRATIONS]
    )
    assert update.render().splitlines()[1].strip() == "grace_minutes: 60 → 90"


def test_it_reports_unknown_services_and_bad_schedules_by_line(
    session: Session, clock: FakeClock, service: Service
) -> None:
    bad = FILE.replace(
        "service: transaction-server\n    name: Prometheus", "service: nope\n    name: Prometheus"
    )
    bad = bad.replace('cron: "0 2 * * *"', 'cron: "0 26 * * *"')
    with pytest.raises(ApplyRejected) as rejected:
        apply_text(session, text=bad, filename="s.yaml", now=clock.now(), sections=[INTEGRATIONS])
    lines = [p.line for p in rejected.value.problems]
    assert 11 in lines  # service: nope
    assert any(line in (6, 7) for line in lines)  # the heartbeat schedule
    assert list_integrations(session) == []
