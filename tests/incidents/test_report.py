"""The incident report: a factual account from the timeline, with suggested improvements."""

from __future__ import annotations

import email
from email import policy

from fastapi.testclient import TestClient
from markdown_it import MarkdownIt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import User
from takepoint.cli.main import app as cli
from takepoint.demo import load_demo
from takepoint.incidents import service as incidents
from takepoint.incidents.models import Incident
from takepoint.incidents.report import build_report, render_markdown
from takepoint.lib.clock import FakeClock
from takepoint.lib.context import Context
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.notify.models import Notification
from takepoint.timeline.chain import entries
from takepoint.timeline.models import EntryKind
from tests.factories import login, make_engine, registry_jobs
from tests.incidents.world import build_world, phone_incident
from tests.notify.receivers import SmtpReceiver

STORY_LINES = [
    "- [07:40] Phone call from Theatre charge nurse (Theatres) by Sam Okafor: Clinical app "
    "server not responding in theatres (service Clinical app server, high urgency)",
    "- [07:42] Sam Okafor acknowledged and is the point person",
    "- [07:45] Note by Sam Okafor: Asked Priya (the app server's owner, on leave) by phone: "
    "she suggested rebooting the app server.",
    "- [08:10] Note by Sam Okafor: Could not reach the theatre coordinator; tried ext. 4412 "
    "and bleep 4410.",
    "- [09:10] Dana Whitfield took point from Sam Okafor",
    "- [09:25] Note by Dana Whitfield: txn-01 /var is 100% full; the app server's "
    "transactions time out behind it.",
]


def _story(session: Session) -> Incident:
    incident = session.scalar(select(Incident).order_by(Incident.id).limit(1))
    assert incident is not None
    return incident


def test_it_tells_the_0740_story_as_facts_with_times_and_improvements(
    session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    story = _story(session)

    text = render_markdown(
        build_report(session, incident=story, now=clock.now(), zone="Europe/London")
    )

    for line in STORY_LINES:
        assert line in text
    assert "On Fri 27 Feb 2026 at 07:40, a phone call from Theatre charge nurse" in text
    assert "It was resolved by Dana Whitfield at 09:40, 2 h 00 min after it started." in text
    assert "- Duration: 2 h 00 min" in text
    assert "- Departments affected: Theatres (reported it), Radiology, Wards" in text
    assert "Nothing was monitoring txn-01's disk." in text.split("## Root cause")[1]
    improvements = text.split("## Suggested improvements")[1].lower()
    assert "add a disk monitor for txn-01" in improvements
    assert "name a backup lead for clinical app server" in improvements
    assert "record intact" in text


def test_it_prints_the_report_as_markdown_html_and_email_from_the_command_line(
    db: Database, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    env = {"TAKEPOINT_DATABASE_URL": db.url, "TAKEPOINT_SECRET_KEY": "k" * 32}
    runner = CliRunner()

    md = runner.invoke(cli, ["report", "incident", "1", "--tz", "Europe/London"], env=env)
    html = runner.invoke(cli, ["report", "incident", "1", "--format", "html"], env=env)
    mail = runner.invoke(
        cli, ["report", "incident", "1", "--format", "email", "--to", "director@x.example"], env=env
    )
    missing = runner.invoke(cli, ["report", "incident", "99"], env=env)

    assert md.exit_code == 0, md.output
    assert STORY_LINES[0] in md.output
    assert "<h2>Suggested improvements</h2>" in html.output
    assert "Add a disk monitor for txn-01" in html.output
    assert "<script" not in html.output
    message = email.message_from_string(mail.output, policy=policy.default)
    assert message["Subject"] == (
        "Incident report #1: Clinical app server not responding in theatres"
    )
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    assert plain is not None
    assert "Add a disk monitor for txn-01" in plain.get_content()
    assert missing.exit_code == 2
    assert "no incident #99" in missing.output


def test_it_shows_the_report_page_with_downloads(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    morgan = session.scalar(select(User).where(User.email == "morgan@stmarys.example"))
    assert morgan is not None
    login(client, morgan, "takepoint-demo")

    page = client.get("/incidents/1/report")
    markdown = client.get("/incidents/1/report.md")
    api = client.get("/api/v1/incidents/1/report").json()

    assert page.status_code == 200
    assert "Add a disk monitor for txn-01" in page.text
    assert "Email this report" not in page.text  # a viewer reads; responders send
    assert markdown.headers["content-disposition"].startswith("attachment")
    assert "[07:40] Phone call" in markdown.text
    assert api["improvements"][0].startswith("Add a disk monitor for txn-01")
    assert api["duration_seconds"] == 7200


def test_it_emails_the_report_to_chosen_people_through_a_real_mail_server(
    db: Database,
    session: Session,
    clock: FakeClock,
    context: Context,
    settings: Settings,
    client: TestClient,
    smtp_server: SmtpReceiver,
) -> None:
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world, caller_name="Theatre charge nurse")
    incidents.acknowledge(session, incident=incident, user=world.sam, now=clock.now())
    incidents.resolve(
        session, incident=incident, user=world.sam, note="Freed the disk", now=clock.now()
    )
    session.execute(delete(Notification))
    token = login(client, world.sam)

    to_director = client.post(
        f"/incidents/{incident.id}/report/email",
        data={"csrf_token": token, "audience": "team", "user_ids": [str(world.morgan.id)]},
    )
    sent = client.post(
        f"/incidents/{incident.id}/report/email",
        data={
            "csrf_token": token,
            "audience": "team",
            "user_ids": [str(world.dana.id), str(world.priya.id)],
        },
    )
    mail = settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )
    make_engine(db, context, settings=mail, jobs=registry_jobs(context, "deliver")).run_cycle()

    assert to_director.status_code == 422
    assert "Morgan Hale is not on the team" in to_director.text
    assert sent.status_code == 303
    received = smtp_server.wait_for(2)
    assert sorted(r.recipients[0] for r in received) == ["dana@example.org", "priya@example.org"]
    assert all(r.subject == f"Incident report #{incident.id}: App server down" for r in received)
    assert "Freed the disk" in received[0].text
    last = [e for e in entries(session, incident.chain) if e.kind is EntryKind.REPORT_SENT]
    assert [e.text for e in last] == [
        "Sam Okafor emailed the incident report (team version) to Dana Whitfield, Priya Raman"
    ]


def test_markup_in_recorded_text_stays_text_in_the_markdown_report(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    world = build_world(session, clock)
    incident = phone_incident(session, clock, world, title="<script>alert(1)</script> down")
    incidents.add_note(
        session,
        incident=incident,
        user=world.sam,
        text="see ![x](http://tracker.example/pixel) and <b>this</b> [07:40]",
        now=clock.now(),
    )
    session.commit()
    login(client, world.sam)

    markdown = client.get(f"/incidents/{incident.id}/report.md").text
    shown = MarkdownIt("commonmark").render(markdown)  # raw HTML allowed, as many wikis do

    assert "<script" not in shown and "<img" not in shown and "<b>" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; down" in shown
    assert "see ![x](http://tracker.example/pixel)" in shown
