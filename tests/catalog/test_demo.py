"""The demo hospital's readiness page flags the services from the story."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog import readiness
from takepoint.demo import load_demo
from takepoint.lib.apply import apply_text, export_text
from takepoint.lib.clock import FakeClock
from tests.factories import login, make_user


def test_it_flags_the_app_server_only_priya_knows_and_the_unwritten_txn_server(
    session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    session.commit()
    report = {r.slug: r for r in readiness.audit(session, now=clock.now())}
    assert len(report) == 8
    app = report["app-server"]
    assert "no backup lead: only Priya Raman knows it" in [f.message for f in app.missing]
    assert app.grade == "bad"
    assert "no runbook" in [f.message for f in report["txn-server"].missing]
    assert report["txn-server"].grade == "bad"
    assert "runbook not reviewed for 240 days" in [f.message for f in report["pacs"].missing]
    assert "no contact in the departments it serves" in [
        f.message for f in report["lab-interface"].missing
    ]
    assert "backup lead" not in " ".join(f.message for f in report["directory"].missing)


def test_it_lists_the_worst_services_first_on_the_page(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    session.commit()
    login(client, make_user(session, clock, role=Role.VIEWER))
    page = client.get("/readiness").text
    assert page.index("Clinical app server") < page.index("Directory and sign-in")
    assert "no backup lead: only Priya Raman knows it" in page


def test_it_exports_the_demo_and_applies_it_back_with_no_changes(
    session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    session.commit()
    exported = export_text(session)
    plan = apply_text(session, text=exported, filename="demo.yaml", now=clock.now())
    assert plan.empty, plan.render()
