"""Sharing the incident report by email, with the team or beyond it.

The team version keeps names and goes only to people on the team (responders and admins). Anyone
else, such as a director or a department's manager with a viewer account, gets the organisation
version, where every name is a role; sending that one needs an admin or the incident's point
person, as publishing a review to the organisation does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.accounts.service import get_user
from takepoint.incidents.models import Incident
from takepoint.incidents.report import (
    Report,
    build_report,
    render_html,
    render_markdown,
    subject_of,
)
from takepoint.incidents.service import get_incident
from takepoint.lib.errors import InvalidInput, PermissionDenied
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from takepoint.reviews.models import Audience
from takepoint.reviews.redact import redactor_for
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

MAX_RECIPIENTS = 50


def may_share_widely(incident: Incident, user: User) -> bool:
    return user.role is Role.ADMIN or incident.point_user_id == user.id


def redaction(
    session: Session, incident: Incident, audience: Audience
) -> Callable[[str], str] | None:
    return redactor_for(session, incident) if audience is Audience.ORGANISATION else None


def report_for(
    session: Session, *, incident: Incident, audience: Audience, now: datetime, zone: str
) -> tuple[Report, Callable[[str], str] | None]:
    return build_report(session, incident=incident, now=now, zone=zone), redaction(
        session, incident, audience
    )


def email_report(
    session: Session,
    *,
    incident_id: int,
    user: User,
    recipient_ids: list[int],
    audience: Audience,
    now: datetime,
) -> int:
    """Queue the report to each recipient, in their own time zone; returns how many."""
    incident = get_incident(session, incident_id)
    recipients = [get_user(session, uid) for uid in recipient_ids]
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot send reports")
    if not recipients:
        raise InvalidInput("choose at least one person to send the report to", field="user_ids")
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidInput(
            f"send the report to at most {MAX_RECIPIENTS} people at once", field="user_ids"
        )
    if audience is Audience.ORGANISATION and not may_share_widely(incident, user):
        raise PermissionDenied(
            "sending the report beyond the team needs an admin or the incident's point person"
        )
    if audience is Audience.TEAM:
        outsiders = [r for r in recipients if not r.role.allows(Role.RESPONDER)]
        if outsiders:
            raise InvalidInput(
                f"{outsiders[0].display_name} is not on the team: send the organisation "
                "version, where names are replaced by roles",
                field="user_ids",
            )
    redact = redaction(session, incident, audience)
    for person in recipients:
        report = build_report(session, incident=incident, now=now, zone=person.time_zone)
        notify_user(
            session,
            user=person,
            subject=subject_of(report, redact=redact),
            body=render_markdown(report, redact=redact),
            html=render_html(report, redact=redact),
            urgency=Urgency.LOW,
            key=f"report:{incident.id}:{audience.value}:{now.timestamp()}:{person.id}",
            now=now,
        )
    names = ", ".join(p.display_name for p in recipients)
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.REPORT_SENT,
        text=f"{user.display_name} emailed the incident report ({audience.value} version) "
        f"to {names}",
        at=now,
        actor_id=user.id,
        data={"audience": audience.value, "user_ids": [p.id for p in recipients]},
    )
    return len(recipients)
