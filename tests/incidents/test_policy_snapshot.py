"""The snapshot an incident follows: typed, stored as JSON, and readable as older rows wrote it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from takepoint.incidents import policies
from takepoint.incidents.escalation import (
    SERVICE_LEADS,
    LevelSnapshot,
    PolicySnapshot,
    TargetSnapshot,
)
from takepoint.incidents.models import DEFAULT_NO_PROGRESS_MINUTES, TargetKind
from takepoint.lib.clock import FakeClock
from tests.incidents.world import World, build_world


@pytest.fixture
def world(session: Session, clock: FakeClock) -> World:
    return build_world(session, clock)


def test_it_freezes_a_policy_with_its_targets_typed(session: Session, world: World) -> None:
    frozen = policies.freeze(session, world.policy)
    assert frozen == PolicySnapshot(
        policy_id=world.policy.id,
        name="Hospital IT",
        levels=(
            LevelSnapshot(
                delay_minutes=5,
                targets=(
                    TargetSnapshot(
                        kind=TargetKind.SCHEDULE,
                        label="on call for Hospital IT weekly",
                        schedule_id=world.schedule.id,
                    ),
                ),
            ),
            LevelSnapshot(
                delay_minutes=5,
                targets=(TargetSnapshot.lead(TargetKind.BACKUP_LEAD),),
            ),
        ),
        repeat=0,
        no_progress_minutes=DEFAULT_NO_PROGRESS_MINUTES,
    )
    assert PolicySnapshot.from_json(frozen.to_json()) == frozen


def test_it_writes_the_json_that_incidents_have_always_stored(
    session: Session, world: World
) -> None:
    assert policies.freeze(session, world.policy).to_json() == {
        "policy_id": world.policy.id,
        "name": "Hospital IT",
        "repeat": 0,
        "no_progress_minutes": 30,
        "levels": [
            {
                "delay_minutes": 5,
                "targets": [
                    {
                        "kind": "schedule",
                        "schedule_id": world.schedule.id,
                        "user_id": None,
                        "team_id": None,
                        "label": "on call for Hospital IT weekly",
                    }
                ],
            },
            {
                "delay_minutes": 5,
                "targets": [
                    {
                        "kind": "backup_lead",
                        "schedule_id": None,
                        "user_id": None,
                        "team_id": None,
                        "label": "the service's backup lead",
                    }
                ],
            },
        ],
    }


def test_it_pages_the_service_leads_when_there_is_no_policy(session: Session) -> None:
    frozen = policies.freeze(session, None)
    assert frozen is SERVICE_LEADS
    assert [target.kind for level in frozen.levels for target in level.targets] == [
        TargetKind.TECH_LEAD,
        TargetKind.BACKUP_LEAD,
        TargetKind.TEAM_LEAD,
    ]
    assert [level.delay_minutes for level in frozen.levels] == [5, 5, 5]
    assert (frozen.repeat, frozen.no_progress_minutes) == (0, 30)


# What older versions stored: the default policy's targets had only a kind and a label.
OLD_DEFAULT: dict[str, Any] = {
    "policy_id": None,
    "name": "service leads (no policy set)",
    "repeat": 0,
    "no_progress_minutes": 30,
    "levels": [
        {"delay_minutes": 5, "targets": [{"kind": k, "label": label}]}
        for k, label in [
            ("tech_lead", "the service's technical lead"),
            ("backup_lead", "the service's backup lead"),
            ("team_lead", "the service team's lead"),
        ]
    ],
}


def test_it_reads_the_default_policy_as_older_versions_stored_it() -> None:
    assert PolicySnapshot.from_json(OLD_DEFAULT) == SERVICE_LEADS


def test_it_reads_a_snapshot_with_fields_missing_with_their_defaults() -> None:
    snapshot = PolicySnapshot.from_json(
        {"levels": [{"delay_minutes": 60, "targets": [{"kind": "user", "user_id": 4}]}]}
    )
    assert snapshot == PolicySnapshot(
        name="",
        levels=(LevelSnapshot(60, (TargetSnapshot(TargetKind.USER, label="user", user_id=4),)),),
    )
    assert (snapshot.repeat, snapshot.no_progress_minutes) == (0, DEFAULT_NO_PROGRESS_MINUTES)
    assert PolicySnapshot.from_json({}) == PolicySnapshot(name="", levels=())


def test_it_refuses_a_target_kind_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="'pager'"):
        TargetSnapshot.from_json({"kind": "pager", "label": "the pager"})
