"""The rest of a ticket: the priority matrix, tags, follow-ups, merged requesters, staff as
requesters, incident links that close the loop, bulk changes and the collision notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, TokenScope
from takepoint.desk import bulk, details, links, matrix, queues, requesters
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Level, Message, Priority, Requester, TicketState
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident, IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.errors import Conflict, InvalidInput
from takepoint.notify.models import Notification, Urgency
from takepoint.timeline.chain import entries, verify_all
from takepoint.timeline.models import EntryKind
from tests.factories import login, make_token, make_user
from tests.incidents.world import build_world


def _requester(
    session: Session, clock: FakeClock, name: str = "Ada Ward", *, email: str = "", phone: str = ""
) -> int:
    return desk.create_requester(
        session, name=name, now=clock.now(), email=email or None, phone=phone
    ).id


def _open(session: Session, clock: FakeClock, requester_id: int, **extra: object) -> int:
    return desk.open_ticket(
        session,
        requester_id=requester_id,
        title="Ward printer jams",
        channel=Channel.WEB,
        now=clock.now(),
        **extra,  # type: ignore[arg-type]
    ).id


def test_it_takes_the_priority_from_the_matrix_and_admins_can_change_a_cell(
    session: Session, clock: FakeClock
) -> None:
    ada = _requester(session, clock)
    high_medium = _open(session, clock, ada, impact=Level.HIGH, urgency=Level.MEDIUM)
    assert desk.get_ticket(session, high_medium).priority is Priority.P2
    assert desk.get_ticket(session, _open(session, clock, ada)).priority is Priority.P3
    matrix.set_cell(session, impact=Level.HIGH, urgency=Level.MEDIUM, priority=Priority.P1)
    changed = _open(session, clock, ada, impact=Level.HIGH, urgency=Level.MEDIUM)
    assert desk.get_ticket(session, changed).priority is Priority.P1
    agent = make_user(session, clock)
    ticket = details.set_impact(
        session,
        ticket_id=high_medium,
        impact=Level.LOW,
        urgency=Level.LOW,
        user=agent,
        now=clock.now(),
    )
    assert ticket.priority is Priority.P4
    assert verify_all(session)[1] == []


def test_it_tags_tickets_and_filters_the_queue_by_tag(session: Session, clock: FakeClock) -> None:
    ada = _requester(session, clock)
    agent = make_user(session, clock)
    tagged = _open(session, clock, ada, tags=["Ward 4", "printer", "printer"])
    _open(session, clock, ada)
    assert desk.get_ticket(session, tagged).tags == ["printer", "ward-4"]
    found = queues.queue(
        session, view=queues.QueueView.ALL, user=agent, now=clock.now(), tag="ward 4"
    )
    assert [t.id for t in found] == [tagged]
    details.set_tags(session, ticket_id=tagged, tags=["toner"], user=agent, now=clock.now())
    kinds = [e.text for e in entries(session, f"ticket:{tagged}") if e.kind is EntryKind.UPDATED]
    assert kinds == [f"{agent.display_name}: tags added toner; removed printer, ward-4"]
    with pytest.raises(InvalidInput, match="is not a tag"):
        details.set_tags(session, ticket_id=tagged, tags=["<b>"], user=agent, now=clock.now())


def test_it_links_a_late_reply_to_the_ticket_it_follows_up(
    session: Session, clock: FakeClock
) -> None:
    ada = _requester(session, clock)
    agent = make_user(session, clock)
    first = _open(session, clock, ada)
    desk.set_state(
        session, ticket_id=first, state=TicketState.RESOLVED, user=agent, now=clock.now()
    )
    clock.advance(timedelta(days=8))
    later = desk.requester_reply(
        session, ticket_id=first, requester_id=ada, body="It jams again", now=clock.now()
    )
    assert later.id != first
    assert desk.follow_ups(session, later) == (first, [])
    assert desk.follow_ups(session, desk.get_ticket(session, first)) == (None, [later.id])


def test_it_merges_two_requesters_into_one_with_their_tickets(
    session: Session, clock: FakeClock
) -> None:
    agent = make_user(session, clock)
    keep = _requester(session, clock, "Ada Ward", phone="020 7946 0018")
    twin = _requester(session, clock, "A. Ward", email="ada@ward4.example.org")
    theirs = _open(session, clock, twin)
    desk.requester_reply(
        session, ticket_id=theirs, requester_id=twin, body="Any news?", now=clock.now()
    )
    kept = requesters.merge_requesters(
        session, keep_id=keep, merge_id=twin, user=agent, now=clock.now()
    )
    assert kept.email == "ada@ward4.example.org" and kept.phone == "020 7946 0018"
    assert session.get(Requester, twin) is None
    assert desk.get_ticket(session, theirs).requester_id == keep
    assert [e.kind for e in entries(session, f"ticket:{theirs}")][-1] is EntryKind.MERGED
    with pytest.raises(InvalidInput, match="into itself"):
        requesters.merge_requesters(
            session, keep_id=keep, merge_id=keep, user=agent, now=clock.now()
        )


def test_it_makes_a_staff_user_a_requester_once(session: Session, clock: FakeClock) -> None:
    nurse = make_user(session, clock, role=Role.VIEWER, name="Nia Staff")
    first = requesters.requester_for_user(session, user_id=nurse.id, now=clock.now())
    again = requesters.requester_for_user(session, user_id=nurse.id, now=clock.now())
    assert first.id == again.id and first.user_id == nurse.id and first.name == "Nia Staff"


def _outage(session: Session, clock: FakeClock) -> Incident:
    world = build_world(session, clock)
    return incidents.open_incident(
        session,
        service=world.app_server,
        title="Theatre app down",
        urgency=Urgency.HIGH,
        source=IncidentSource.PHONE,
        now=clock.now(),
    )


def test_it_tells_every_linked_requester_when_the_incident_is_resolved(
    session: Session, clock: FakeClock
) -> None:
    agent = make_user(session, clock)
    incident = _outage(session, clock)
    tickets = [
        _open(session, clock, _requester(session, clock, name, email=f"{name[:3]}@ward.example"))
        for name in ("Ada Ward", "Bob Theatre")
    ]
    for ticket_id in tickets:
        links.link(
            session, ticket_id=ticket_id, incident_id=incident.id, user=agent, now=clock.now()
        )
    with pytest.raises(Conflict):
        links.link(
            session, ticket_id=tickets[0], incident_id=incident.id, user=agent, now=clock.now()
        )
    incidents.resolve(session, incident=incident, user=None, note="Restarted", now=clock.now())
    for ticket_id in tickets:
        said = [e for e in entries(session, f"ticket:{ticket_id}")]
        assert said[-1].kind is EntryKind.CLOSE_THE_LOOP
        public = desk.messages(
            session, ticket=desk.get_ticket(session, ticket_id), public_only=True
        )
        assert "the problem is resolved" in public[-1].body
    mails = session.scalars(select(Notification.address).where(Notification.address.is_not(None)))
    assert sorted(str(m) for m in mails) == ["ada@ward.example", "bob@ward.example"]
    assert verify_all(session)[1] == []


def test_the_incident_page_lists_its_tickets(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    agent = make_user(session, clock)
    incident = _outage(session, clock)
    linked = _open(session, clock, _requester(session, clock, "Bob Theatre"))
    _open(session, clock, _requester(session, clock, "Cy Pharmacy"))
    links.link(session, ticket_id=linked, incident_id=incident.id, user=agent, now=clock.now())
    session.commit()
    login(client, make_user(session, clock, role=Role.VIEWER))

    page = client.get(f"/incidents/{incident.id}")
    card = f'hx-get="/desk/incidents/{incident.id}/tickets"'
    assert card in page.text
    fragment = client.get(f"/desk/incidents/{incident.id}/tickets", headers={"HX-Request": "1"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert f'href="/desk/tickets/{linked}"' in fragment.text and "Bob Theatre" in fragment.text
    assert "Cy Pharmacy" not in fragment.text
    whole = client.get(f"/desk/incidents/{incident.id}/tickets")
    assert "<html" in whole.text and "1 ticket linked" in whole.text


def test_it_changes_many_tickets_or_none(session: Session, clock: FakeClock) -> None:
    agent = make_user(session, clock)
    ada = _requester(session, clock)
    one, two, closed = (_open(session, clock, ada) for _ in range(3))
    desk.set_state(session, ticket_id=closed, state=TicketState.CLOSED, user=agent, now=clock.now())
    with pytest.raises(Conflict, match=f"#{closed}"):
        bulk.bulk_assign(
            session,
            ticket_ids=[one, two, closed],
            assignee_id=agent.id,
            user=agent,
            now=clock.now(),
        )
    assert desk.get_ticket(session, one).assignee_id is None
    changed = bulk.bulk_state(
        session,
        ticket_ids=[one, two],
        state=TicketState.WAITING_ON_THIRD_PARTY,
        user=agent,
        now=clock.now(),
    )
    assert {t.state for t in changed} == {TicketState.WAITING_ON_THIRD_PARTY}


def test_it_holds_a_reply_written_while_someone_else_wrote(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    sam, kim = make_user(session, clock), make_user(session, clock)
    headers = {"Authorization": f"Bearer {make_token(session, clock, kim, TokenScope.WRITE)}"}
    ticket = _open(session, clock, _requester(session, clock))
    seen = desk.reply(session, ticket_id=ticket, body="Looking now", user=sam, now=clock.now()).id
    desk.reply(session, ticket_id=ticket, body="Fixed it", user=sam, now=clock.now())
    session.commit()
    held = client.post(
        f"/api/v1/tickets/{ticket}/replies",
        json={"body": "On my way", "seen_message_id": seen},
        headers=headers,
    )
    assert held.status_code == 409 and sam.display_name in held.json()["detail"]
    count = select(func.count()).select_from(Message).where(Message.ticket_id == ticket)
    assert session.scalar(count) == 2
    sent = client.post(
        f"/api/v1/tickets/{ticket}/replies", json={"body": "On my way"}, headers=headers
    )
    assert sent.status_code == 201


def test_it_refuses_ids_no_ticket_can_have(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    agent = make_user(session, clock)
    headers = {"Authorization": f"Bearer {make_token(session, clock, agent, TokenScope.WRITE)}"}
    huge = 99999999999999999999
    assert client.get(f"/api/v1/tickets/{huge}", headers=headers).status_code == 422
    bulk_huge = client.post(
        "/api/v1/tickets/bulk-state",
        json={"ticket_ids": [huge], "state": "open"},
        headers=headers,
    )
    assert bulk_huge.status_code == 422
