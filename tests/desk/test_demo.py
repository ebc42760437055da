"""The demo hospital has a desk with something in every state."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.demo import load_demo
from takepoint.desk import sla
from takepoint.desk.models import Ticket, TicketState
from takepoint.lib.clock import FakeClock
from takepoint.timeline.chain import verify_all


def test_it_loads_tickets_in_each_state_one_paused_one_about_to_breach_one_vip(
    session: Session, clock: FakeClock
) -> None:
    assert load_demo(session, now=clock.now())
    tickets = list(session.scalars(select(Ticket)).unique())
    states = {ticket.state for ticket in tickets}
    assert {TicketState.NEW, TicketState.OPEN, TicketState.RESOLVED} <= states
    assert TicketState.WAITING_ON_REQUESTER in states
    views = [sla.view(row, now=clock.now()) for t in tickets for row in t.clocks]
    assert "paused" in {v.state for v in views}
    soon = [
        v
        for v in views
        if v.state == "running" and v.left_seconds < timedelta(minutes=10).total_seconds()
    ]
    assert soon, "one ticket is about to breach"
    assert any(t.requester.vip and t.sla_reason.startswith("rule 'VIP'") for t in tickets)
    assert verify_all(session)[1] == []
