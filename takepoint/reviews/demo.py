"""The demo's after-the-incident part: the 07:40 incident's review (in review), its two action
items (one overdue), and the `df` output Dana attached as evidence."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.catalog.models import Service
from takepoint.incidents.evidence import attach_evidence
from takepoint.incidents.models import Incident
from takepoint.notify.models import Notification
from takepoint.reviews import actions
from takepoint.reviews import service as reviews
from takepoint.reviews.models import ReviewState
from takepoint.timeline.models import EntryKind, TimelineEntry

STORY_TITLE = "Clinical app server not responding in theatres"

DF_LOG = b"""$ df -h /var
Filesystem      Size  Used Avail Use% Mounted on
/dev/sdb1       200G  200G     0 100% /var
$ du -sh /var/lib/pgsql/archive
163G    /var/lib/pgsql/archive
$ tail -2 /var/log/postgresql/postgresql.log
FATAL:  could not write to file "pg_wal/xlogtemp.20417": No space left on device
LOG:  database system is shut down
"""

SECTIONS = {
    "contributing_factors": (
        "- Nothing was monitoring the disk on txn-01; its log volume filled over several weeks.\n"
        "- The app server's runbook said to check the transaction server, but the first advice "
        "by phone was to reboot, and the runbook was not opened.\n"
        "- The app server has no backup lead: the only person who knows it was on leave.\n"
        "- Old transaction logs are kept until someone deletes them; no job prunes them after "
        "the nightly dump."
    ),
    "went_well": (
        "- The theatre charge nurse was asked before any reboot, and no reboot happened during "
        "the procedure.\n"
        "- The handoff to the duty supervisor was explicit and recorded at 09:10.\n"
        "- The disk was found and freed within 30 minutes of the handoff."
    ),
    "went_badly": (
        "- Two hours were spent in the app server's logs, which showed only timeouts.\n"
        "- The theatre coordinator could not be reached on ext. 4412 or bleep 4410.\n"
        "- The owner and the director heard about it only the next morning."
    ),
    "got_lucky": (
        "- The procedure in theatre 2 did not need the clinical app after 08:00.\n"
        "- The nightly dump had finished before the disk filled, so old logs could go safely."
    ),
}


def _story(session: Session) -> Incident | None:
    return session.scalar(
        select(Incident).where(Incident.title == STORY_TITLE).order_by(Incident.id).limit(1)
    )


def _note_at(session: Session, incident: Incident, text: str) -> TimelineEntry | None:
    return session.scalar(
        select(TimelineEntry).where(
            TimelineEntry.chain == incident.chain,
            TimelineEntry.kind == EntryKind.NOTE,
            TimelineEntry.text.contains(text),
        )
    )


def load_demo_reviews(
    session: Session,
    *,
    now: datetime,
    people: dict[str, User],
    services: dict[str, Service],
    evidence_root: Path | None,
) -> None:
    """Add the review, action items and evidence to the demo's 07:40 incident (if it exists).

    Without `evidence_root` (no data folder known) the evidence is left out.
    """
    story = _story(session)
    if story is None or story.resolved_at is None:
        return
    dana, sam, lee = people["dana"], people["sam"], people["lee"]
    after = story.resolved_at
    note = _note_at(session, story, "txn-01 /var is 100% full")
    if evidence_root is not None:
        attach_evidence(
            session,
            incident=story,
            user=dana,
            upload=io.BytesIO(DF_LOG),
            filename="txn-01-df.txt",
            caption="df and the PostgreSQL log on txn-01 at 09:25",
            note_seq=note.seq if note is not None else None,
            root=evidence_root,
            max_bytes=1024 * 1024,
            now=after + timedelta(minutes=10),
        )
    started = after + timedelta(hours=24)
    review = reviews.start_review(
        session, incident=story, user=sam, now=started, zone="Europe/London"
    )
    reviews.update_review(session, review=review, user=sam, sections=SECTIONS, now=started)
    reviews.change_state(
        session,
        review=review,
        user=sam,
        state=ReviewState.IN_REVIEW,
        now=started + timedelta(minutes=40),
    )
    decided = started + timedelta(minutes=45)
    actions.create_action(
        session,
        incident=story,
        review=review,
        title="Add a disk monitor for txn-01",
        owner=lee,
        due_on=(now + timedelta(days=10)).date(),
        service=services["txn-server"],
        user=sam,
        now=decided,
    )
    actions.create_action(
        session,
        incident=story,
        review=review,
        title="Name a backup lead for Clinical app server",
        owner=dana,
        due_on=(now - timedelta(days=1)).date(),
        service=services["app-server"],
        user=sam,
        now=decided,
    )
    # Those messages belong to the past the demo pretends; the overdue one is chased for real.
    session.execute(delete(Notification).where(Notification.group_key.like("action-assigned:%")))
    session.flush()
