"""Person pickers choose nobody for you, and offer first who is on call and on the team."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.incidents import service as incidents
from takepoint.lib.clock import FakeClock
from takepoint.reviews import service as reviews
from takepoint.reviews.models import ActionItem
from tests.factories import login, make_user
from tests.incidents.world import World, build_world, phone_incident

PLACEHOLDER = ("", "Choose a person")


def _picker(page: str, select_id: str) -> tuple[tuple[str, str], list[tuple[str, list[str]]]]:
    """The first option of a <select>, and its groups of names in order."""
    found = re.search(rf'<select id="{select_id}"[^>]*\brequired\b[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no required <select id={select_id!r}>"
    body = found.group(1)
    assert "selected" not in body, "a person is chosen before anyone looked"
    first = re.search(r'<option value="([^"]*)">([^<]*)</option>', body)
    assert first
    groups = [
        (html.unescape(label), [html.unescape(n) for n in re.findall(r">([^<]+)</option>", inner)])
        for label, inner in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', body, re.S)
    ]
    return (first.group(1), first.group(2)), groups


def _world(session: Session, clock: FakeClock) -> tuple[World, User]:
    # The Administrator comes first by name: the one the pickers used to choose.
    admin = make_user(session, clock, role=Role.ADMIN, name="Administrator")
    return build_world(session, clock), admin


EXPECTED = [
    ("On call now", ["Sam Okafor"]),
    ("Hospital IT", ["Dana Whitfield"]),
    ("Everyone else", ["Administrator", "Lee Chen", "Priya Raman"]),
]


def test_it_offers_an_action_item_owner_on_call_and_on_the_team_first(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world, _ = _world(session, clock)
    incident = phone_incident(session, clock, world)
    review = reviews.start_review(session, incident=incident, user=world.sam, now=clock.now())
    session.commit()
    csrf = login(client, world.sam)

    first, groups = _picker(client.get(f"/reviews/{review.id}").text, "action-owner")
    assert first == PLACEHOLDER
    assert groups == EXPECTED

    refused = client.post(
        f"/reviews/{review.id}/actions",
        data={
            "csrf_token": csrf,
            "title": "Add a disk monitor",
            "owner_id": "",
            "due_on": "2026-03-09",
            "service_id": str(world.app_server.id),
        },
    )
    assert refused.status_code == 422
    assert session.scalar(select(func.count()).select_from(ActionItem)) == 0


def test_it_offers_a_schedule_the_people_on_call_and_on_its_team_first(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world, admin = _world(session, clock)
    world.schedule.team = world.team
    session.commit()
    csrf = login(client, admin)
    [layer] = world.schedule.layers

    page = client.get(f"/oncall/schedules/{world.schedule.id}/edit").text
    first, groups = _picker(page, f"add-{layer.id}")
    assert first == PLACEHOLDER
    assert groups == EXPECTED

    refused = client.post(
        f"/oncall/schedules/{world.schedule.id}/layers/{layer.id}/participants",
        data={"csrf_token": csrf, "user_id": ""},
    )
    assert refused.status_code == 422
    session.expire_all()
    assert [p.user.display_name for p in layer.participants] == ["Sam Okafor"]


def test_it_offers_a_team_its_members_first(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world, admin = _world(session, clock)
    csrf = login(client, admin)

    first, groups = _picker(client.get("/admin/teams").text, f"member-{world.team.id}")
    assert first == PLACEHOLDER
    assert groups == [
        ("On Hospital IT", ["Dana Whitfield"]),
        (
            "Everyone else",
            ["Administrator", "Lee Chen", "Morgan Hale", "Priya Raman", "Sam Okafor"],
        ),
    ]

    refused = client.post(
        f"/admin/teams/{world.team.id}", data={"csrf_token": csrf, "user_id": "", "action": "add"}
    )
    assert refused.status_code == 422
    session.expire_all()
    assert [m.user.display_name for m in world.team.members] == ["Dana Whitfield"]


def test_it_offers_a_handoff_to_nobody_until_chosen(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world, _ = _world(session, clock)
    incident = phone_incident(session, clock, world)
    incidents.acknowledge(session, incident=incident, user=world.lee, now=clock.now())
    session.commit()
    login(client, world.lee)
    first, groups = _picker(client.get(f"/incidents/{incident.id}").text, "to_user_id")
    assert first == PLACEHOLDER
    assert groups == [
        ("On call now", ["Sam Okafor"]),
        ("Hospital IT", ["Dana Whitfield"]),
        ("Everyone else", ["Administrator", "Priya Raman"]),
    ]
