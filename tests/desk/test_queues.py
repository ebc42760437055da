from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts import service as accounts
from takepoint.accounts.models import Team, TokenScope, User
from takepoint.desk.models import (
    Channel,
    Priority,
    Requester,
    Target,
    Ticket,
    TicketClock,
    TicketState,
    TicketTag,
    TicketType,
)
from takepoint.desk.queues import QueueView, queue
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import MAX_ID
from takepoint.lib.errors import InvalidInput
from tests.factories import login, make_token, make_user

NEW = TicketState.NEW
OPEN = TicketState.OPEN
ON_REQUESTER = TicketState.WAITING_ON_REQUESTER
ON_THIRD_PARTY = TicketState.WAITING_ON_THIRD_PARTY
RESOLVED = TicketState.RESOLVED
CLOSED = TicketState.CLOSED


def _requester(session: Session, clock: FakeClock, name: str = "Ada Nurse") -> Requester:
    requester = Requester(name=name, created_at=clock.now())
    session.add(requester)
    session.flush()
    return requester


def _ticket(
    session: Session,
    clock: FakeClock,
    state: TicketState = OPEN,
    *,
    title: str = "Printer on ward 4 jams",
    requester: Requester | None = None,
    assignee: User | None = None,
    team: Team | None = None,
    tags: tuple[str, ...] = (),
) -> Ticket:
    ticket = Ticket(
        title=title,
        requester=requester or _requester(session, clock),
        type=TicketType.REQUEST,
        priority=Priority.P3,
        channel=Channel.WEB,
        state=state,
        assignee=assignee,
        team=team,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    ticket.tag_rows = [TicketTag(tag=tag) for tag in tags]
    session.add(ticket)
    session.flush()
    return ticket


def _clock(
    session: Session,
    clock: FakeClock,
    ticket: Ticket,
    target: Target,
    *,
    due_in: timedelta | None,
    met: bool = False,
) -> None:
    """A running clock due in `due_in` (breached once past), or paused (None), or met."""
    now = clock.now()
    due = now + due_in if due_in is not None and not met else None
    row = TicketClock(
        ticket=ticket,
        target=target,
        target_seconds=3600,
        used_seconds=600.0 if due is None else 0.0,
        running_since=due - timedelta(hours=1) if due is not None else None,
        due_at=due,
        met_at=now if met else None,
        breached_at=due if due is not None and due <= now else None,
    )
    session.add(row)
    session.flush()


@dataclass
class Desk:
    me: User
    tickets: list[Ticket]  # by the number the expectations below use, from 1


@pytest.fixture
def desk(session: Session, clock: FakeClock) -> Desk:
    me, other = make_user(session, clock, name="Me"), make_user(session, clock, name="Other")
    first, second, third = (
        accounts.create_team(session, name=name, now=clock.now())
        for name in ("Service desk", "Networks", "Clinical apps")
    )
    accounts.add_team_member(session, team=first, user=me)
    accounts.add_team_member(session, team=third, user=me)
    accounts.add_team_member(session, team=second, user=other)
    made = [
        (NEW, None, first),
        (OPEN, me, first),
        (ON_REQUESTER, me, second),
        (ON_THIRD_PARTY, other, second),
        (RESOLVED, me, first),
        (CLOSED, me, first),
        (OPEN, other, third),
        (NEW, None, None),
        (OPEN, me, third),
        (CLOSED, None, third),
    ]
    tickets = [
        _ticket(session, clock, state, assignee=assignee, team=team)
        for state, assignee, team in made
    ]
    session.expire_all()
    return Desk(me, tickets)


def _ids(tickets: list[Ticket]) -> list[int]:
    return [ticket.id for ticket in tickets]


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (QueueView.MINE, [9, 3, 2]),
        (QueueView.TEAM, [9, 7, 2, 1]),
        (QueueView.UNASSIGNED, [8, 1]),
        (QueueView.WAITING, [4, 3]),
        (QueueView.ALL, [9, 8, 7, 5, 4, 3, 2, 1]),
    ],
)
def test_it_lists_each_view_newest_first_with_only_its_tickets(
    session: Session, clock: FakeClock, desk: Desk, view: QueueView, expected: list[int]
) -> None:
    found = queue(session, view=view, user=desk.me, now=clock.now())
    assert _ids(found) == [desk.tickets[n - 1].id for n in expected]


def test_it_stops_at_the_limit_keeping_the_newest(
    session: Session, clock: FakeClock, desk: Desk
) -> None:
    found = queue(session, view=QueueView.ALL, user=desk.me, now=clock.now(), limit=3)
    assert _ids(found) == _ids([desk.tickets[8], desk.tickets[7], desk.tickets[6]])


@dataclass
class Deadlines:
    """Tickets named by their nearest running deadline."""

    overdue: Ticket  # breached 15 minutes ago
    three_clocks: Ticket  # due in 1, 2 and 3 minutes
    after_first_response: Ticket  # first response met, resolution due in 4 minutes
    tie_first: Ticket  # due in 6 minutes
    tie_second: Ticket  # due in 6 minutes too, made later
    far: Ticket  # two targets met, one due in 2 hours


@pytest.fixture
def deadlines(session: Session, clock: FakeClock) -> Deadlines:
    def minutes(n: float) -> timedelta:
        return timedelta(minutes=n)

    paused = _ticket(session, clock, ON_REQUESTER, title="Waiting for the laptop's owner")
    _clock(session, clock, paused, Target.RESOLUTION, due_in=None)
    closed = _ticket(session, clock, CLOSED)
    _clock(session, clock, closed, Target.RESOLUTION, due_in=minutes(-60))
    far = _ticket(session, clock, title="Scanner in the lab")
    _clock(session, clock, far, Target.FIRST_RESPONSE, due_in=minutes(1), met=True)
    _clock(session, clock, far, Target.NEXT_RESPONSE, due_in=minutes(1), met=True)
    _clock(session, clock, far, Target.RESOLUTION, due_in=minutes(120))
    three = _ticket(session, clock, NEW)
    for target, due in zip(Target, (3, 2, 1), strict=True):
        _clock(session, clock, three, target, due_in=minutes(due))
    tie_first = _ticket(session, clock, title="Scanner on ward 2")
    tie_second = _ticket(session, clock)
    for tied in (tie_second, tie_first):
        _clock(session, clock, tied, Target.RESOLUTION, due_in=minutes(6))
    after = _ticket(session, clock, ON_THIRD_PARTY)
    _clock(session, clock, after, Target.FIRST_RESPONSE, due_in=minutes(0), met=True)
    _clock(session, clock, after, Target.RESOLUTION, due_in=minutes(4))
    _ticket(session, clock)  # no clocks at all
    overdue = _ticket(session, clock)
    _clock(session, clock, overdue, Target.FIRST_RESPONSE, due_in=minutes(-15))
    _clock(session, clock, overdue, Target.RESOLUTION, due_in=minutes(200))
    session.expire_all()
    return Deadlines(overdue, three, after, tie_first, tie_second, far)


def _breaching(
    session: Session, clock: FakeClock, *, search: str = "", limit: int = 100
) -> list[int]:
    view = QueueView.BREACHING
    return _ids(queue(session, view=view, user=None, now=clock.now(), search=search, limit=limit))


def test_it_sorts_breaching_soon_by_each_tickets_nearest_running_deadline(
    session: Session, clock: FakeClock, deadlines: Deadlines
) -> None:
    d = deadlines
    assert _breaching(session, clock) == _ids(
        [d.overdue, d.three_clocks, d.after_first_response, d.tie_first, d.tie_second, d.far]
    )


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_it_gives_the_nearest_tickets_when_more_match_than_the_limit(
    session: Session, clock: FakeClock, deadlines: Deadlines, limit: int
) -> None:
    # The second ticket's three clocks come before anybody else's deadline: a page of clocks
    # rather than of tickets would come up short.
    d = deadlines
    nearest = [d.overdue, d.three_clocks, d.after_first_response, d.tie_first, d.tie_second]
    assert _breaching(session, clock, limit=limit) == _ids(nearest[:limit])


def test_it_filters_breaching_soon_before_it_counts_the_limit(
    session: Session, clock: FakeClock, deadlines: Deadlines
) -> None:
    d = deadlines
    assert _breaching(session, clock, search="scanner") == _ids([d.tie_first, d.far])
    assert _breaching(session, clock, search="scanner", limit=1) == _ids([d.tie_first])


def test_it_looks_past_the_nearest_clocks_when_their_tickets_are_not_in_play(
    session: Session, clock: FakeClock
) -> None:
    # Twenty closed tickets whose clocks were left running (as rows written by hand, or by an
    # older version, might be) hold the forty nearest deadlines. The quick way (the nearest
    # clocks first, their tickets' states checked afterwards) finds nothing for a page of one
    # or two, and the exact query must still find the open ticket.
    for n in range(20):
        closed = _ticket(session, clock, CLOSED)
        _clock(session, clock, closed, Target.FIRST_RESPONSE, due_in=timedelta(minutes=n))
        _clock(session, clock, closed, Target.RESOLUTION, due_in=timedelta(minutes=100 + n))
    waiting = _ticket(session, clock, OPEN)
    _clock(session, clock, waiting, Target.FIRST_RESPONSE, due_in=timedelta(minutes=500))
    session.expire_all()
    for limit in (1, 2):
        assert _breaching(session, clock, limit=limit) == [waiting.id]


def test_it_finds_by_number_title_or_requester_and_treats_impossible_numbers_as_words(
    session: Session, clock: FakeClock
) -> None:
    okafor = _requester(session, clock, "Ben Okafor")
    by_name = _ticket(session, clock, requester=okafor, title="Monitor flickers")
    past_64_bits = "8" * 20
    error = _ticket(session, clock, title=f"Login says error {past_64_bits}")
    percent = _ticket(session, clock, title="Disk at 100% on the file server")
    plain = _ticket(session, clock, title="Disk at 1000 IOPS")

    def found(text: str) -> list[int]:
        return _ids(queue(session, view=QueueView.ALL, user=None, now=clock.now(), search=text))

    assert found(f"#{plain.id}") == [plain.id]
    assert found("okafor") == [by_name.id]
    assert found(past_64_bits) == [error.id]
    assert found(f"#{MAX_ID + 1}") == []
    assert found("#" + "9" * 400) == []
    assert found("²") == []  # a digit to str.isdigit, but no number
    assert found("100%") == [percent.id]  # not a wildcard
    assert found("at 1_00") == []


def test_it_refuses_a_tag_filter_that_no_tag_could_match(
    session: Session, clock: FakeClock
) -> None:
    tagged = _ticket(session, clock, tags=("ward-4",))
    _ticket(session, clock)
    for spelled in ("Ward 4", "#ward-4"):
        found = queue(session, view=QueueView.ALL, user=None, now=clock.now(), tag=spelled)
        assert _ids(found) == [tagged.id]
    with pytest.raises(InvalidInput, match="'<b>' is not a tag"):
        queue(session, view=QueueView.ALL, user=None, now=clock.now(), tag="<b>")


def test_it_serves_the_breaching_page_and_an_impossible_number_search(
    client: TestClient, session: Session, clock: FakeClock, deadlines: Deadlines
) -> None:
    agent = make_user(session, clock)
    login(client, agent)
    page = client.get("/desk", params={"view": "breaching"})
    assert page.status_code == 200
    rows = page.text.split('class="ticket-row"')[1:]
    shown = [int(row.split('value="')[1].split('"')[0]) for row in rows]
    assert shown[:2] == [deadlines.overdue.id, deadlines.three_clocks.id]
    assert "breached first response" in rows[0]

    headers = {"Authorization": f"Bearer {make_token(session, clock, agent, TokenScope.READ)}"}
    for q in (f"#{2**64}", str(MAX_ID + 1)):
        answer = client.get("/api/v1/tickets", params={"q": q}, headers=headers)
        assert (answer.status_code, answer.json()) == (200, [])
    refused = client.get("/api/v1/tickets", params={"tag": "<b>"}, headers=headers)
    assert refused.status_code == 422
    assert "'<b>' is not a tag" in refused.text
