"""Applying catalog files: idempotent, exported back exactly, dry runs that change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.catalog_apply import generate_catalog
from takepoint.accounts.models import User
from takepoint.catalog import runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Runbook, RunbookVersion, Service
from takepoint.lib.apply import Action, ApplyRejected, apply_text, export_text
from takepoint.lib.clock import FakeClock

CATALOG = """\
version: 1
users:
  - email: priya@stmarys.example
    name: Priya Raman
  - email: lee@stmarys.example
    name: Lee Chen
teams:
  - slug: hospital-it
    name: Hospital IT
    lead: priya@stmarys.example
departments:
  - slug: theatres
    name: Theatres
    do_not_disrupt: Theatre in session 07:30-18:00
    contacts:
      - name: Theatre charge nurse
        phone: "+44 20 7946 0102"
services:
  - slug: app-server
    name: Clinical app server
    tier: 1
    team: hospital-it
    tech_lead: priya@stmarys.example
    departments: [theatres]
    hosts:
      - hostname: app-01
    depends_on:
      - service: txn-server
      - host: txn-01
    runbooks:
      - slug: app-down
        title: App server down
        body: Check the transaction server first.
        steps:
          - kind: disruptive
            text: Reboot the app server
            confirm_with: theatres
  - slug: txn-server
    name: Transaction server
    tier: 1
    stores_data: true
    tech_lead: lee@stmarys.example
    backup_lead: priya@stmarys.example
    hosts:
      - hostname: txn-01
        role: database
    data:
      - store: Transactions
        location: /var/lib/pgsql on txn-01
"""


def _apply(session: Session, clock: FakeClock, text: str) -> list[str]:
    plan = apply_text(session, text=text, filename="catalog.yaml", now=clock.now())
    session.commit()
    return plan.render().splitlines()


def test_it_creates_the_catalog_and_then_reports_no_changes(
    session: Session, clock: FakeClock
) -> None:
    first = _apply(session, clock, CATALOG)
    assert "+ create service app-server" in first
    assert first[-1] == "Applied: 6 to create."
    again = _apply(session, clock, CATALOG)
    assert again == ["No changes: Takepoint already matches catalog.yaml."]
    app = catalog.get_service(session, "app-server")
    assert app.tech_lead is not None and app.tech_lead.display_name == "Priya Raman"
    assert [d.depends_on_service.slug for d in app.dependencies if d.depends_on_service] == [
        "txn-server"
    ]
    assert (
        session.scalar(select(User.password_hash).where(User.email == "lee@stmarys.example"))
        is None
    )


def test_it_applies_a_generated_catalog_twice_with_no_changes_the_second_time(
    session: Session, clock: FakeClock
) -> None:
    text = generate_catalog(30)
    assert "Applied:" in _apply(session, clock, text)[-1]
    assert session.scalar(select(func.count()).select_from(Service)) == 30
    assert _apply(session, clock, text) == ["No changes: Takepoint already matches catalog.yaml."]


def test_it_exports_what_apply_reads_back_with_no_changes(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, generate_catalog(12))
    lead = session.scalar(select(User).where(User.email == "person000@example.org"))
    service = catalog.get_service(session, "svc-0003")
    runbooks.edit_runbook(
        session,
        runbook=service.runbooks[0],
        title="Edited on the web",
        body="Line one\nLine two",
        steps=[],
        author=lead,
        now=clock.now(),
    )
    session.commit()
    exported = export_text(session)
    assert "Edited on the web" in exported
    plan = apply_text(session, text=exported, filename="export.yaml", now=clock.now())
    assert plan.empty


def test_it_prints_the_plan_of_a_dry_run_and_writes_nothing(
    session: Session, clock: FakeClock
) -> None:
    plan = apply_text(session, text=CATALOG, filename="catalog.yaml", now=clock.now(), dry_run=True)
    session.commit()
    assert plan.count(Action.CREATE) == 6
    assert not plan.applied
    assert session.scalar(select(func.count()).select_from(Service)) == 0


def test_it_plans_updates_field_by_field(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, CATALOG)
    changed = CATALOG.replace(
        "    tier: 1\n    team: hospital-it", "    tier: 2\n    team: hospital-it"
    )
    changed = changed.replace(
        "    departments: [theatres]\n",
        "    backup_lead: lee@stmarys.example\n    departments: [theatres]\n",
    )
    plan = _apply(session, clock, changed)
    assert plan == [
        "~ update service app-server",
        "    tier: 1 → 2",
        "    backup_lead: (none) → lee@stmarys.example",
        "Applied: 1 to update.",
    ]


def test_it_writes_a_new_runbook_version_when_the_file_changes_it(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, CATALOG)
    clock.advance(timedelta(days=200))
    plan = _apply(
        session,
        clock,
        CATALOG.replace("Check the transaction server first.", "Check txn-01's disk."),
    )
    assert "    runbook app-down: new version (body changed)" in plan
    runbook = session.scalar(select(Runbook).where(Runbook.slug == "app-down"))
    assert runbook is not None and runbook.current_version == 2
    assert session.scalar(select(func.count()).select_from(RunbookVersion)) == 2
    # Changing it counts as reviewing it.
    assert not runbooks.is_stale(runbook, clock.now())


def test_it_leaves_fields_the_file_does_not_mention(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, CATALOG)
    partial = """\
services:
  - slug: txn-server
    name: Transaction server
    tier: 2
"""
    assert _apply(session, clock, partial)[:2] == ["~ update service txn-server", "    tier: 1 → 2"]
    txn = catalog.get_service(session, "txn-server")
    assert [h.hostname for h in txn.hosts] == ["txn-01"]
    assert txn.backup_lead is not None


def test_it_keeps_phone_numbers_as_written_and_wants_times_in_quotes(
    session: Session, clock: FakeClock
) -> None:
    text = """\
departments:
  - slug: theatres
    name: Theatres
    contacts:
      - name: Charge nurse
        phone: 442079460102
        hours: "18:30"
"""
    _apply(session, clock, text)
    [contact] = catalog.get_department(session, "theatres").contacts
    assert (contact.phone, contact.hours) == ("442079460102", "18:30")
    assert _apply(session, clock, text) == ["No changes: Takepoint already matches catalog.yaml."]
    with pytest.raises(ApplyRejected) as caught:
        apply_text(
            session,
            text=text.replace('"18:30"', "18:30"),
            filename="catalog.yaml",
            now=clock.now(),
        )
    assert caught.value.message.splitlines()[0] == (
        'catalog.yaml:7: write times in quotes: "18:30" (unquoted, YAML reads a number)'
    )
