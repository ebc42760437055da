from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.notify import contacts
from takepoint.notify.models import ContactKind, Urgency
from takepoint.timeline.chain import entries
from tests.factories import db_context, make_engine
from tests.incidents.world import build_world
from tests.notify.receivers import HttpReceiver, SmtpReceiver


def test_it_retries_then_falls_back_and_shows_it_all_in_the_timeline(
    db: Database,
    session: Session,
    clock: FakeClock,
    settings: Settings,
    smtp_server: SmtpReceiver,
    http_receiver: HttpReceiver,
) -> None:
    mail = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    world = build_world(session, clock)
    with db.session() as s:
        sam = s.merge(world.sam)
        email = contacts.add_contact_method(
            s,
            user=sam,
            kind=ContactKind.EMAIL,
            label="work email",
            target="sam@example.org",
            now=clock.now(),
        )
        contacts.add_contact_method(
            s,
            user=sam,
            kind=ContactKind.APPRISE,
            label="phone push",
            target=http_receiver.url("/push"),
            now=clock.now(),
        )
        contacts.add_rule(
            s,
            user=sam,
            urgency=Urgency.HIGH,
            contact_method=email,
            delay_minutes=0,
            now=clock.now(),
        )
        incident_id = incidents.open_incident(
            s,
            service=s.merge(world.app_server),
            title="App server down",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            now=clock.now(),
        ).id
    engine = make_engine(db, db_context(db), settings=mail)
    smtp_server.stop()  # the mail server is down for the next ten minutes
    for _ in range(int(timedelta(minutes=11) / timedelta(seconds=5))):
        engine.run_cycle()
        clock.advance(timedelta(seconds=5))
    smtp_server.start()

    pushes = http_receiver.wait_for(1)
    assert "App server down" in pushes[0].title
    texts = [e.text for e in entries(session, f"incident:{incident_id}")]
    retries = [t for t in texts if t.startswith("Could not reach Sam Okafor by work email")]
    assert len(retries) >= 3
    assert any(t.startswith("Gave up reaching Sam Okafor by work email") for t in texts)
    assert any(t.startswith("Delivered to Sam Okafor by phone push") for t in texts)
    assert smtp_server.to("sam@example.org") == []
