from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from takepoint.catalog import readiness, runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.readiness import Check, Outcome
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context, bind
from takepoint.lib.registry import DomainParts, ReadinessProbe
from tests.catalog.factories import make_department, make_service
from tests.factories import make_user, with_only


def _findings(item: readiness.ServiceReadiness) -> dict[Check, Outcome]:
    return {f.check: f.outcome for f in item.findings}


def test_it_flags_a_service_only_its_tech_lead_knows(session: Session, clock: FakeClock) -> None:
    priya = make_user(session, clock, name="Priya Raman")
    make_service(session, clock, slug="app-server", tier=1, tech_lead=priya)
    [item] = readiness.audit(session, now=clock.now())
    assert "no backup lead: only Priya Raman knows it" in [f.message for f in item.missing]
    assert item.grade == "bad"


def test_it_flags_a_backup_lead_who_has_left(session: Session, clock: FakeClock) -> None:
    lead = make_user(session, clock)
    backup = make_user(session, clock, name="Lee Chen")
    make_service(session, clock, tech_lead=lead, backup_lead=backup)
    backup.is_active = False
    session.commit()
    [item] = readiness.audit(session, now=clock.now())
    assert "backup lead Lee Chen has left" in [f.message for f in item.missing]


def test_it_flags_missing_and_stale_runbooks(session: Session, clock: FakeClock) -> None:
    lead, backup = make_user(session, clock), make_user(session, clock)
    fresh = make_service(session, clock, slug="fresh", tech_lead=lead, backup_lead=backup)
    stale = make_service(session, clock, slug="stale", tech_lead=lead, backup_lead=backup)
    make_service(session, clock, slug="none", tech_lead=lead, backup_lead=backup)
    for service, age in ((fresh, 10), (stale, 200)):
        runbooks.create_runbook(
            session,
            service=service,
            title="Restart",
            body="",
            steps=[],
            author=lead,
            now=clock.now() - timedelta(days=age),
        )
    session.commit()
    report = {r.slug: r for r in readiness.audit(session, now=clock.now())}
    assert _findings(report["fresh"])[Check.RUNBOOK_REVIEWED] is Outcome.PASS
    assert "runbook not reviewed for 200 days" in [f.message for f in report["stale"].missing]
    assert "no runbook" in [f.message for f in report["none"].missing]


def test_it_wants_a_department_contact_and_dependencies(session: Session, clock: FakeClock) -> None:
    with_contact = make_department(session, clock, slug="theatres")
    without = make_department(session, clock, slug="wards", with_contact=False)
    txn = make_service(session, clock, slug="txn")
    app = make_service(session, clock, slug="app", depends_on=[txn])
    lab = make_service(session, clock, slug="lab")
    catalog.set_service_departments(
        session, service=app, departments=[with_contact], now=clock.now()
    )
    catalog.set_service_departments(session, service=lab, departments=[without], now=clock.now())
    session.commit()
    report = {r.slug: r for r in readiness.audit(session, now=clock.now())}
    assert _findings(report["app"])[Check.DEPARTMENT_CONTACT] is Outcome.PASS
    assert _findings(report["app"])[Check.DEPENDENCIES] is Outcome.PASS
    assert "no contact in the departments it serves" in [f.message for f in report["lab"].missing]
    assert "no department contact" in [f.message for f in report["txn"].missing]
    assert "no dependencies recorded" in [f.message for f in report["txn"].missing]


def test_it_sorts_worst_first(session: Session, clock: FakeClock) -> None:
    lead, backup = make_user(session, clock), make_user(session, clock)
    make_service(session, clock, slug="good", tier=1, tech_lead=lead, backup_lead=backup)
    make_service(session, clock, slug="bad", tier=3)
    make_service(session, clock, slug="worse-tier", tier=1)
    order = [r.slug for r in readiness.audit(session, now=clock.now())]
    assert order == ["worse-tier", "bad", "good"]


def _probes(session: Session, context: Context, *probes: ReadinessProbe) -> None:
    bind(session, with_only(context, DomainParts("probes", readiness_probes=probes)))


def test_it_says_not_configured_until_a_probe_answers(
    session: Session, clock: FakeClock, context: Context
) -> None:
    txn = make_service(session, clock, slug="txn", stores_data=True)
    make_service(session, clock, slug="web")

    def nothing(session: Session, ids: Collection[int], now: datetime) -> None:
        return None

    _probes(
        session,
        context,
        ReadinessProbe("monitor", nothing, "watched", "unwatched"),
        ReadinessProbe("backup_heartbeat", nothing, "backed up", "not backed up", True),
    )
    report = {r.slug: r for r in readiness.audit(session, now=clock.now())}
    assert _findings(report["txn"])[Check.MONITOR] is Outcome.NOT_CONFIGURED
    assert _findings(report["txn"])[Check.BACKUP_HEARTBEAT] is Outcome.NOT_CONFIGURED
    assert _findings(report["web"])[Check.BACKUP_HEARTBEAT] is Outcome.NOT_APPLICABLE
    unjudged = report["txn"].score

    def only_txn(session: Session, ids: Collection[int], now: datetime) -> set[int]:
        return {txn.id}

    _probes(
        session,
        context,
        ReadinessProbe("monitor", only_txn, "watched", "nothing watches it"),
        ReadinessProbe("backup_heartbeat", only_txn, "backed up", "not backed up", True),
    )
    report = {r.slug: r for r in readiness.audit(session, now=clock.now())}
    assert _findings(report["txn"])[Check.MONITOR] is Outcome.PASS
    assert "nothing watches it" in [f.message for f in report["web"].missing]
    assert report["txn"].score > unjudged
