from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from takepoint.incidents import policies
from takepoint.incidents.apply import ESCALATION_POLICIES
from takepoint.incidents.models import TargetKind
from takepoint.lib.apply import Action, ApplyRejected, apply_text, export_text
from takepoint.lib.clock import FakeClock
from tests.incidents.world import World, build_world

FILE = """\
version: 1
escalation_policies:
  - name: Theatre systems
    repeat: 1
    services: [app-server]
    levels:
      - delay_minutes: 5
        targets:
          - schedule: hospital-it-weekly
      - delay_minutes: 10
        targets:
          - backup_lead: true
          - user: dana@example.org
"""


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def test_it_applies_a_policy_and_then_reports_no_changes(
    session: Session, clock: FakeClock, world: World
) -> None:
    plan = apply_text(
        session, text=FILE, filename="paging.yaml", now=clock.now(), sections=[ESCALATION_POLICIES]
    )
    assert plan.count(Action.CREATE) == 1
    policy = next(p for p in policies.list_policies(session) if p.name == "Theatre systems")
    assert [[t.kind for t in level.targets] for level in policy.levels] == [
        [TargetKind.SCHEDULE],
        [TargetKind.BACKUP_LEAD, TargetKind.USER],
    ]
    paging = policies.paging_for(session, world.app_server)
    assert paging is not None and paging.policy_id == policy.id
    again = apply_text(
        session, text=FILE, filename="paging.yaml", now=clock.now(), sections=[ESCALATION_POLICIES]
    )
    assert again.empty


def test_it_exports_what_it_applies(session: Session, clock: FakeClock, world: World) -> None:
    exported = export_text(session, sections=[ESCALATION_POLICIES])
    assert "Hospital IT" in exported
    plan = apply_text(
        session,
        text=exported,
        filename="export.yaml",
        now=clock.now(),
        sections=[ESCALATION_POLICIES],
    )
    assert plan.empty


def test_it_names_unknown_references_with_their_lines(
    session: Session, clock: FakeClock, world: World
) -> None:
    bad = FILE.replace("hospital-it-weekly", "nights").replace(
        "dana@example.org", "nobody@example.org"
    )
    with pytest.raises(ApplyRejected) as rejected:
        apply_text(
            session,
            text=bad,
            filename="paging.yaml",
            now=clock.now(),
            sections=[ESCALATION_POLICIES],
        )
    message = rejected.value.message
    assert "paging.yaml:9: unknown schedule 'nights'" in message
    assert "paging.yaml:13: unknown user 'nobody@example.org'" in message
    assert not any(p.name == "Theatre systems" for p in policies.list_policies(session))
