"""Small helpers for arranging catalog tests."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.catalog import graph
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Department, Service
from takepoint.lib.clock import FakeClock

_seq = count(1)


def make_service(
    session: Session,
    clock: FakeClock,
    *,
    slug: str | None = None,
    name: str | None = None,
    tier: int = 2,
    tech_lead: User | None = None,
    backup_lead: User | None = None,
    stores_data: bool = False,
    depends_on: list[Service] | None = None,
) -> Service:
    n = next(_seq)
    service = catalog.create_service(
        session,
        slug=slug or f"service-{n}",
        name=name or f"Service {n}",
        tier=tier,
        tech_lead=tech_lead,
        backup_lead=backup_lead,
        stores_data=stores_data,
        now=clock.now(),
    )
    for needed in depends_on or []:
        graph.add_dependency(session, service=service, on_service=needed)
    session.commit()
    return service


def make_department(
    session: Session, clock: FakeClock, *, slug: str = "theatres", with_contact: bool = True
) -> Department:
    department = catalog.create_department(
        session,
        slug=slug,
        name=slug.title(),
        do_not_disrupt="Theatre in session 07:30-18:00",
        now=clock.now(),
    )
    if with_contact:
        catalog.add_contact(
            session,
            department=department,
            contact=catalog.ContactInput(name="Charge nurse", phone="+44 20 7946 0102"),
            now=clock.now(),
        )
    session.commit()
    return department
