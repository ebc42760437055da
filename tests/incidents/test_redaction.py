"""Shared beyond the team, an incident's report and review name nobody and no contact address.

Over the demo hospital, where Dana's phone gets pushes from a server that cannot be reached and
Sam's pages also go to a text gateway that is down, so the record holds failed deliveries that
name their channels.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import timedelta
from email import policy

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import User
from takepoint.catalog import service as catalog
from takepoint.catalog.models import DepartmentContact
from takepoint.cli.main import app as cli
from takepoint.demo import load_demo
from takepoint.desk.models import Requester
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentSource
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify import contacts
from takepoint.notify.demo import DEMO_PUSH_URL
from takepoint.notify.models import ContactKind, ContactMethod, Notification, Urgency
from tests.factories import db_context, make_engine
from tests.notify.receivers import HttpReceiver
from tests.reviews.helpers import person, signed_in

GATEWAY_NUMBER = "+447700900123"
_PHONE = re.compile(r"\+?\d{7,}")
_USER_LINK = re.compile(r"/users/\d|[?&]user(?:_ids?)?=\d")


@dataclass
class Story:
    incident_id: int
    gateway: str


def _run_engine(db: Database, clock: FakeClock, minutes: int) -> None:
    engine = make_engine(db, db_context(db))
    for _ in range(minutes * 2):
        engine.run_cycle()
        clock.advance(timedelta(seconds=30))


def _paged_story(db: Database, session: Session, clock: FakeClock, http: HttpReceiver) -> Story:
    """A new app server incident: Sam is paged, asks Dana to take point, Dana resolves it.
    There is no mail server, so every email fails too."""
    load_demo(session, now=clock.now())
    http.status = 503
    gateway = http.url(f"/sms/{GATEWAY_NUMBER}")
    with db.session() as s:
        sam, dana = s.merge(person(session, "sam")), s.merge(person(session, "dana"))
        pager = contacts.add_contact_method(
            s, user=sam, kind=ContactKind.APPRISE, target=gateway, label="Pager", now=clock.now()
        )
        contacts.add_rule(
            s,
            user=sam,
            urgency=Urgency.HIGH,
            contact_method=pager,
            delay_minutes=0,
            now=clock.now(),
        )
        incident = incidents.open_incident(
            s,
            service=catalog.get_service(s, "app-server"),
            title="Clinical app server slow on ward 7",
            urgency=Urgency.HIGH,
            source=IncidentSource.PHONE,
            caller_name="Ward 7 nurse in charge",
            now=clock.now(),
        )
        incident_id = incident.id
    _run_engine(db, clock, 2)
    with db.session() as s:
        sam, dana = s.merge(person(session, "sam")), s.merge(person(session, "dana"))
        incident = incidents.get_incident(s, incident_id)
        incidents.acknowledge(s, incident=incident, user=sam, now=clock.now())
        incidents.add_note(
            s, incident=incident, user=sam, text="Ward 7 PCs time out too.", now=clock.now()
        )
        handoff_id = incidents.request_handoff(
            s, incident=incident, giver=sam, receiver=dana, note="txn-01?", now=clock.now()
        ).id
    _run_engine(db, clock, 2)
    with db.session() as s:
        dana = s.merge(person(session, "dana"))
        incidents.decide_handoff_by_id(
            s, handoff_id=handoff_id, user=dana, accept=True, now=clock.now()
        )
        incidents.resolve(
            s,
            incident=incidents.get_incident(s, incident_id),
            user=dana,
            note="Freed /var on txn-01 again.",
            now=clock.now(),
        )
    return Story(incident_id, gateway)


def _personal_data(session: Session) -> tuple[set[str], set[str]]:
    """What identifies a person, from the database: (texts, words). Texts must not appear
    anywhere, in any case; words (a first or last name alone) not as a capitalised word."""
    texts: set[str] = set()
    words: set[str] = set()
    for user in session.scalars(select(User)):
        texts |= {user.display_name, user.email}
        words |= {part for part in user.display_name.split() if len(part) > 1}
    for method in session.scalars(select(ContactMethod)):
        texts |= {method.target, method.display, *_PHONE.findall(method.target)}
    for contact in session.scalars(select(DepartmentContact)):
        texts |= {contact.phone, contact.email}
    for requester in session.scalars(select(Requester)):
        texts |= {requester.phone, requester.email or ""}
    return {t for t in texts if t}, words


def _leaks(output: str, texts: set[str], words: set[str]) -> list[str]:
    lowered = output.lower()
    found = sorted(t for t in texts if t.lower() in lowered)
    found += sorted(w for w in words if re.search(rf"\b{re.escape(w)}\b", output))
    found += _USER_LINK.findall(output)
    return found


def _article(page: str) -> str:
    # The page around the report is the reader's own (their name in the header, the people
    # they may send it to); the report is the article.
    return page.split('id="report"')[1].split("</article>")[0]


def test_it_names_the_role_and_the_kind_of_channel_of_every_delivery(
    db: Database,
    client: TestClient,
    session: Session,
    clock: FakeClock,
    http_receiver: HttpReceiver,
) -> None:
    story = _paged_story(db, session, clock, http_receiver)
    director, _ = signed_in(client, session, "morgan")
    url = f"/incidents/{story.incident_id}/report.md"

    team = director.get(url).text
    organisation = director.get(f"{url}?audience=organisation").text

    assert f"by Phone ({DEMO_PUSH_URL})" in team
    assert GATEWAY_NUMBER in team
    assert "Could not reach the team lead by push; will retry" in organisation
    assert "Could not reach the on-call engineer by webhook; will retry" in organisation
    assert "Gave up reaching the team lead by email; trying the next way" in organisation


def test_it_shows_no_name_and_no_contact_address_in_anything_shared_beyond_the_team(
    db: Database,
    client: TestClient,
    session: Session,
    clock: FakeClock,
    http_receiver: HttpReceiver,
) -> None:
    story = _paged_story(db, session, clock, http_receiver)
    n = story.incident_id
    texts, words = _personal_data(session)
    assert DEMO_PUSH_URL in texts and GATEWAY_NUMBER in texts
    sam, sam_token = signed_in(client, session, "sam")
    dana, dana_token = signed_in(client, session, "dana")
    review_id = sam.post(
        f"/api/v1/incidents/{n}/review", headers={"X-CSRF-Token": sam_token}
    ).json()["id"]
    for state in ("in_review", "reviewed"):
        moved = sam.post(
            f"/api/v1/reviews/{review_id}/state",
            json={"state": state},
            headers={"X-CSRF-Token": sam_token},
        )
        assert moved.status_code == 200, moved.text
    published = dana.post(
        f"/api/v1/reviews/{review_id}/publications",
        json={"audience": "organisation", "override_reason": "the record's own wording"},
        headers={"X-CSRF-Token": dana_token},
    ).json()
    morgan = person(session, "morgan")
    sent = dana.post(
        f"/incidents/{n}/report/email",
        data={"csrf_token": dana_token, "audience": "organisation", "user_ids": [str(morgan.id)]},
    )
    assert sent.status_code == 303
    mail = CliRunner().invoke(
        cli,
        ["report", "incident", str(n), "--audience", "organisation", "--format", "email"],
        env={"TAKEPOINT_DATABASE_URL": db.url, "TAKEPOINT_SECRET_KEY": "k" * 32},
    )
    assert mail.exit_code == 0, mail.output
    message = email.message_from_string(mail.output, policy=policy.default)

    outputs = {
        "page": _article(dana.get(f"/incidents/{n}/report?audience=organisation").text),
        "markdown": dana.get(f"/incidents/{n}/report.md?audience=organisation").text,
        "html": dana.get(f"/incidents/{n}/report.html?audience=organisation").text,
        **{
            f"api {fmt}": dana.get(
                f"/api/v1/incidents/{n}/report?format={fmt}&audience=organisation"
            ).text
            for fmt in ("json", "md", "html")
        },
        "review": published["markdown"],
        "review download": dana.get(f"/reviews/{review_id}/publications/{published['id']}.md").text,
        "command line email": "\n".join(
            [str(message["Subject"])] + [str(part.get_content()) for part in message.iter_parts()]
        ),
    }
    session.expire_all()
    emailed = session.scalars(
        select(Notification).where(
            Notification.user_id == morgan.id, Notification.key.startswith(f"report:{n}:")
        )
    ).all()
    assert emailed
    for row in emailed:
        outputs[f"email to Morgan, row {row.id}"] = f"{row.subject}\n{row.body}\n{row.html}"

    leaks = {name: found for name, text in outputs.items() if (found := _leaks(text, texts, words))}
    assert leaks == {}
    # Not by saying nothing: the deliveries are there, by role and kind of channel.
    assert "Could not reach the team lead by push" in outputs["markdown"]
    assert "Could not reach the on-call engineer by webhook" in outputs["review"]
