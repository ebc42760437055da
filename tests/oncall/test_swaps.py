from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.errors import Conflict, PermissionDenied
from takepoint.oncall import service, swaps
from takepoint.oncall.models import Schedule, SwapStatus
from tests.factories import login
from tests.oncall.conftest import Team, z


def week_owners(session: Session, schedule: Schedule) -> list[tuple[str, str]]:
    result = service.timeline(
        session, schedule=schedule, start=z(2026, 3, 2, 9), end=z(2026, 4, 27, 8)
    )
    people = service.users_by_id(session, (s.user_id for s in result.final))
    return [
        (s.start.isoformat(), people[s.user_id].display_name if s.user_id else "nobody")
        for s in result.final
    ]


def test_it_changes_nothing_until_accepted_then_exactly_the_swapped_shifts(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    before = week_owners(session, weekly)
    layer = weekly.layers[0]
    # Sam gives his week of 30 March to Lee and takes Lee's week of 16 March in return.
    swap = swaps.request_swap(
        session,
        schedule=weekly,
        layer_id=layer.id,
        requester=team.sam,
        counterpart=team.lee,
        give_start=z(2026, 3, 30, 8),
        take_start=z(2026, 3, 16, 9),
        actor=team.sam,
        now=clock.now(),
    )
    session.commit()
    assert week_owners(session, weekly) == before

    swaps.accept_swap(session, schedule=weekly, swap=swap, actor=team.lee, now=clock.now())
    session.commit()
    after = week_owners(session, weekly)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [
        (("2026-03-16T09:00:00+00:00", "Lee Chen"), ("2026-03-16T09:00:00+00:00", "Sam Okafor")),
        (("2026-03-30T08:00:00+00:00", "Sam Okafor"), ("2026-03-30T08:00:00+00:00", "Lee Chen")),
    ]
    assert swap.status is SwapStatus.ACCEPTED


def test_it_leaves_everything_as_it_was_when_declined(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    before = week_owners(session, weekly)
    swap = swaps.request_swap(
        session,
        schedule=weekly,
        layer_id=weekly.layers[0].id,
        requester=team.priya,
        counterpart=team.dana,
        give_start=z(2026, 3, 9, 9),
        actor=team.priya,
        now=clock.now(),
    )
    swaps.decline_swap(session, swap=swap, actor=team.dana, now=clock.now())
    session.commit()
    assert week_owners(session, weekly) == before
    with pytest.raises(Conflict, match="already declined"):
        swaps.accept_swap(session, schedule=weekly, swap=swap, actor=team.dana, now=clock.now())


def test_it_lets_only_the_person_asked_accept(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    swap = swaps.request_swap(
        session,
        schedule=weekly,
        layer_id=weekly.layers[0].id,
        requester=team.priya,
        counterpart=team.dana,
        give_start=z(2026, 3, 9, 9),
        actor=team.priya,
        now=clock.now(),
    )
    for outsider in (team.lee, team.priya):
        with pytest.raises(PermissionDenied):
            swaps.accept_swap(session, schedule=weekly, swap=swap, actor=outsider, now=clock.now())


def test_it_refuses_to_offer_a_shift_that_is_not_yours_or_has_started(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    layer_id = weekly.layers[0].id
    with pytest.raises(Conflict, match="not Sam Okafor's"):
        swaps.request_swap(
            session,
            schedule=weekly,
            layer_id=layer_id,
            requester=team.sam,
            counterpart=team.lee,
            give_start=z(2026, 3, 9, 9),  # Priya's week
            actor=team.sam,
            now=clock.now(),
        )
    clock.advance(timedelta(hours=1))
    with pytest.raises(Conflict, match="already started"):
        swaps.request_swap(
            session,
            schedule=weekly,
            layer_id=layer_id,
            requester=team.sam,
            counterpart=team.lee,
            give_start=z(2026, 3, 2, 9),  # Sam's week, under way since 09:00
            actor=team.sam,
            now=clock.now(),
        )


def test_it_expires_a_request_whose_shift_started_before_anyone_answered(
    session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    swap = swaps.request_swap(
        session,
        schedule=weekly,
        layer_id=weekly.layers[0].id,
        requester=team.priya,
        counterpart=team.dana,
        give_start=z(2026, 3, 9, 9),
        actor=team.priya,
        now=clock.now(),
    )
    clock.set(z(2026, 3, 9, 10))
    with pytest.raises(Conflict, match="expired"):
        swaps.accept_swap(session, schedule=weekly, swap=swap, actor=team.dana, now=clock.now())


def test_it_swaps_through_the_web_as_one_user_and_accepts_as_another(
    app: FastAPI, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    page = f"/oncall/schedules/{weekly.id}"
    with TestClient(app, follow_redirects=False) as priya:
        token = login(priya, team.priya)
        form = priya.get(page)
        assert "Offer one of your shifts" in form.text
        layer_id = weekly.layers[0].id
        response = priya.post(
            f"{page}/swaps",
            data={
                "csrf_token": token,
                "give": f"{layer_id}|2026-03-09T09:00:00+00:00",
                "counterpart_id": str(team.dana.id),
                "take": "",
                "note": "dentist",
            },
        )
        assert response.status_code == 303, response.text
    swap = swaps.list_swaps(session, schedule=weekly)[0]
    assert swap.status is SwapStatus.PENDING
    with TestClient(app, follow_redirects=False) as dana:
        token = login(dana, team.dana)
        assert "Swap requests" in dana.get("/oncall/me").text
        response = dana.post(f"{page}/swaps/{swap.id}/accept", data={"csrf_token": token})
        assert response.status_code == 303
    session.expire_all()
    assert swaps.get_swap(session, weekly, swap.id).status is SwapStatus.ACCEPTED
    on_call = service.who_is_on_call(session, weekly, z(2026, 3, 10, 12))
    assert on_call.user == team.dana
