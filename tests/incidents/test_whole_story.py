"""The on-call night, end to end: a real engine, a real SMTP server, a clock we move by hand."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.app import create_app
from takepoint.incidents.models import Incident, IncidentState
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.signals.integrations import create_integration
from takepoint.signals.models import IntegrationKind
from takepoint.timeline.chain import entries
from tests.factories import login, make_engine
from tests.incidents.world import build_world
from tests.notify.receivers import SmtpReceiver


def test_it_pages_escalates_hands_off_and_closes_the_loop(
    db: Database,
    session: Session,
    clock: FakeClock,
    context: Context,
    settings: Settings,
    smtp_server: SmtpReceiver,
) -> None:
    mail = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    world = build_world(session, clock)
    with db.session() as s:
        _, routing_key = create_integration(
            s, service=s.merge(world.app_server), kind=IntegrationKind.PAGERDUTY, now=clock.now()
        )
    app = create_app(mail, registry=context.registry, clock=clock, db=db)
    engine = make_engine(db, context, settings=mail, worker_id="story")
    client = TestClient(app, follow_redirects=False)
    director = TestClient(app, follow_redirects=False)
    director_csrf = login(director, world.morgan)

    # 07:40: the monitoring fires through the PagerDuty Events API.
    event = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": "app-server-down",
        "payload": {
            "summary": "App server not responding",
            "source": "app-01",
            "severity": "critical",
        },
    }
    assert client.post("/v2/enqueue", json=event).status_code == 202
    # One engine cycle takes the alert to an incident, a page and an email; how fast that is
    # on a quiet machine is measured in benchmarks/paging.py, not asserted here.
    engine.run_cycle()
    first = smtp_server.wait_for(1)
    assert first[0].recipients == ("sam@example.org",)
    incident = session.scalars(select(Incident)).one()
    assert (
        director.post(
            f"/incidents/{incident.id}/subscribe", data={"csrf_token": director_csrf}
        ).status_code
        == 303
    )

    # Nobody acknowledges for five minutes: the backup lead is paged.
    clock.advance(timedelta(minutes=5))
    engine.run_cycle()
    lee_page = smtp_server.wait_for(2)[-1]
    assert lee_page.recipients == ("lee@example.org",)

    # The backup lead acknowledges through the link in the email, with a confirming click.
    link = re.search(r"Acknowledge: http://testserver(/act/\S+)", lee_page.text)
    assert link
    confirm = client.get(link.group(1))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', confirm.text)
    assert csrf
    assert (
        "Lee Chen is the point person"
        in client.post(link.group(1), data={"csrf_token": csrf.group(1)}).text
    )

    # Thirty quiet minutes: a nudge to Lee, then the team lead.
    clock.advance(timedelta(minutes=30))
    engine.run_cycle()
    nudge = smtp_server.wait_for(3)[-1]
    assert nudge.recipients == ("lee@example.org",)
    assert "no update for 30 minutes" in nudge.text
    clock.advance(timedelta(minutes=10))
    engine.run_cycle()
    smtp_server.wait_for(4)
    assert smtp_server.to("dana@example.org")

    # Lee hands off to the technical lead, who accepts, and resolves with a note.
    lee = TestClient(app, follow_redirects=False)
    lee_csrf = login(lee, world.lee)
    handoff = lee.post(
        f"/api/v1/incidents/{incident.id}/handoffs",
        json={"to_user_id": world.priya.id, "note": "your server"},
        headers={"X-CSRF-Token": lee_csrf},
    )
    assert handoff.status_code == 201
    priya = TestClient(app, follow_redirects=False)
    priya_csrf = login(priya, world.priya)
    assert (
        priya.post(
            f"/api/v1/handoffs/{handoff.json()['id']}/accept", headers={"X-CSRF-Token": priya_csrf}
        ).status_code
        == 200
    )
    clock.advance(timedelta(minutes=3))
    resolved = priya.post(
        f"/api/v1/incidents/{incident.id}/resolve",
        json={"note": "The transaction server's disk was full; freed 40 GB."},
        headers={"X-CSRF-Token": priya_csrf},
    )
    assert resolved.json()["state"] == IncidentState.RESOLVED.value
    engine.run_cycle()

    # The owner and the subscribed director get the close-the-loop summary.
    for address in ("lee@example.org", "morgan@example.org"):
        summaries = [m for m in smtp_server.to(address) if "Resolution:" in m.text]
        assert len(summaries) == 1, address
        assert "freed 40 GB" in summaries[0].text

    # The timeline holds every step, in order, with times.
    texts = [(e.at, e.text) for e in entries(session, f"incident:{incident.id}")]
    steps = [
        "Alert received",
        "Paged Sam Okafor",
        "Delivered to Sam Okafor",
        "Paged Lee Chen",
        "Lee Chen acknowledged",
        "No update for 30 minutes",
        "Still no progress",
        "Paged Dana Whitfield",
        "Lee Chen asked Priya Raman to take point",
        "Priya Raman accepted point from Lee Chen",
        "Resolved by Priya Raman",
        "Summary sent to",
    ]
    cursor = 0
    for step in steps:
        found = [i for i, (_, text) in enumerate(texts) if i >= cursor and text.startswith(step)]
        assert found, f"{step!r} missing after entry {cursor}: {[t for _, t in texts]}"
        cursor = found[0]
    assert [at for at, _ in texts] == sorted(at for at, _ in texts)
