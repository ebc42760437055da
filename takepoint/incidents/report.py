"""The factual incident report, written from the timeline: Markdown, HTML and email.

It says what happened and when, who was contacted and what they said, what the cause was as
recorded, and what would help next time. It judges nobody: every line comes from the record.
The same Markdown is the source of the HTML page and of the email, so the three always agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.catalog import service as catalog
from takepoint.incidents import evidence as evidence_files
from takepoint.incidents.improvements import Improvement, suggest
from takepoint.incidents.models import Incident, IncidentAlert, IncidentSource
from takepoint.lib.templating import _duration
from takepoint.notify.models import ContactKind, Notification
from takepoint.signals.models import Alert
from takepoint.timeline.chain import entries, verify_chain
from takepoint.timeline.models import EntryKind, TimelineEntry


@dataclass(frozen=True)
class Line:
    at: datetime
    text: str
    # The wording for readers beyond the team, where `text` names a contact address.
    shared: str | None = None

    def wording(self, *, beyond_team: bool) -> str:
        return self.shared if beyond_team and self.shared is not None else self.text


@dataclass
class Report:
    incident_id: int
    title: str
    service: str
    zone: str
    generated_at: datetime
    summary: str
    started_at: datetime
    detected_at: datetime
    detection: str
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    services: list[str]
    departments: list[str]
    lines: list[Line]
    root_cause: str
    record: str
    # What was recorded after the resolution: evidence added later, the review, action items.
    afterwards: list[Line] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    improvements: list[Improvement] = field(default_factory=list)

    @property
    def duration(self) -> timedelta | None:
        return self.resolved_at - self.started_at if self.resolved_at else None

    def local(self, moment: datetime, fmt: str = "%H:%M") -> str:
        return moment.astimezone(ZoneInfo(self.zone)).strftime(fmt)


def _shown(entry: TimelineEntry) -> bool:
    # A delivery that worked adds nothing to "Paged Sam"; one that failed is a fact to keep.
    return not (entry.kind is EntryKind.DELIVERY and entry.data.get("outcome") == "sent")


# Readers beyond the team hear how someone was reached by the kind of channel, never by its
# address: a contact method's target can hold a phone number, a personal topic or a token.
_CHANNEL_KINDS = {
    kind: frozenset(schemes.split())
    for kind, schemes in {
        "push": "ntfy ntfys pover gotify gotifys pbul bark barks fcm pjet pjets pushed pushy "
        "spush simplepush ncloud nclouds",
        "text message": "twilio sns clicksend clickatell msg91 d7sms sinch bulksms bulkvs "
        "smseagle smseagles vonage nexmo plivo kavenegar burstsms voipms 46elks elks seven "
        "httpsms telnyx infobip smpp smpps",
        "chat": "slack workflow workflows discord tgram matrix matrixs mmost mmosts rocket "
        "rockets zulip signal signals whatsapp gchat wxteams webex threema xmpp xmpps line "
        "revolt flock",
        "email": "mailto mailtos ses sendgrid mailgun sparkpost smtp2go resend postmark o365 brevo",
        "webhook": "json jsons xml xmls form forms",
    }.items()
}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def channel_kind(kind: ContactKind, address: str) -> str:
    """What a channel is, for readers beyond the team: "push", "email", "text message"…

    `address` is the contact method's target, or the channel as a notification names it
    ("Phone (ntfys://…)"); only its scheme is read.
    """
    if kind is ContactKind.EMAIL:
        return "email"
    scheme = _SCHEME.search(address)
    name = scheme.group(1).lower() if scheme else ""
    return next(
        (label for label, schemes in _CHANNEL_KINDS.items() if name in schemes),
        "a notification service",
    )


def _delivery_shared(entry: TimelineEntry, sent: dict[str, Notification]) -> str:
    """A delivery line that names the person and the kind of channel, not the address, and
    leaves out the error (a mail server's refusal quotes the address it refused)."""
    notification = sent.get(str(entry.data.get("notification_key")))
    if notification is None:
        who, how = "the recipient", "one of their contact methods"
    else:
        who = notification.recipient or "the recipient"
        target = notification.contact_method.target if notification.contact_method else ""
        how = channel_kind(notification.kind, target or notification.channel)
    outcome = entry.data.get("outcome")
    if outcome == "retry":
        return f"Could not reach {who} by {how}; will retry"
    if outcome == "failed":
        return f"Gave up reaching {who} by {how}; trying the next way"
    return f"Delivered to {who} by {how}"


def _deliveries(session: Session, timeline: list[TimelineEntry]) -> dict[str, Notification]:
    keys = {
        str(e.data.get("notification_key"))
        for e in timeline
        if e.kind is EntryKind.DELIVERY and e.data.get("notification_key")
    }
    if not keys:
        return {}
    rows = session.scalars(select(Notification).where(Notification.key.in_(keys)))
    return {n.key: n for n in rows}


def _line(entry: TimelineEntry, sent: dict[str, Notification]) -> Line:
    if entry.kind is EntryKind.DELIVERY:
        return Line(entry.at, entry.text, shared=_delivery_shared(entry, sent))
    return Line(entry.at, entry.text)


def _detection(incident: Incident) -> str:
    if incident.source is IncidentSource.PHONE:
        department = f" ({incident.caller_department.name})" if incident.caller_department else ""
        return f"a phone call from {incident.caller_name or 'a caller'}{department}"
    if incident.source is IncidentSource.ALERT:
        return "a monitoring alert"
    if incident.source is IncidentSource.EMAIL:
        return "an email"
    who = incident.reporter.display_name if incident.reporter else "someone"
    return f"a report by {who}"


def _people(session: Session, timeline: list[TimelineEntry]) -> dict[int, User]:
    ids = {e.actor_id for e in timeline if e.actor_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def _summary(report: Report, incident: Incident, timeline: list[TimelineEntry],
             people: dict[int, User]) -> str:  # fmt: skip
    def who(entry: TimelineEntry) -> str:
        user = people.get(entry.actor_id) if entry.actor_id is not None else None
        return user.display_name if user else "the monitoring source"

    parts = [
        f"On {report.local(report.detected_at, '%a %d %b %Y')} at "
        f"{report.local(report.detected_at)}, {report.detection} reported: {incident.title}."
    ]
    for entry in timeline:
        if entry.kind is EntryKind.ACKNOWLEDGED:
            parts.append(f"{who(entry)} acknowledged at {report.local(entry.at)}.")
        elif entry.kind in (EntryKind.TOOK_POINT, EntryKind.HANDOFF_ACCEPTED):
            parts.append(f"{who(entry)} took point at {report.local(entry.at)}.")
        elif entry.kind is EntryKind.REOPENED:
            parts.append(f"{who(entry)} reopened it at {report.local(entry.at)}.")
    if report.resolved_at is not None and report.duration is not None:
        resolved = [e for e in timeline if e.kind is EntryKind.RESOLVED]
        by = f" by {who(resolved[-1])}" if resolved else ""
        parts.append(
            f"It was resolved{by} at {report.local(report.resolved_at)}, "
            f"{_duration(report.duration.total_seconds())} after it started."
        )
    else:
        parts.append("It is not resolved yet.")
    return " ".join(parts)


def build_report(
    session: Session, *, incident: Incident, now: datetime, zone: str = "UTC"
) -> Report:
    """Everything the report says, from the incident and its timeline."""
    timeline = entries(session, incident.chain)
    first_alert = session.scalar(
        select(Alert.first_seen_at)
        .join(IncidentAlert, IncidentAlert.alert_id == Alert.id)
        .where(IncidentAlert.incident_id == incident.id)
        .order_by(Alert.first_seen_at)
        .limit(1)
    )
    service = incident.service
    dependents = catalog.dependents_of(session, service=service)
    departments: list[str] = []
    if incident.caller_department is not None:
        departments.append(f"{incident.caller_department.name} (reported it)")
    for affected in [service, *dependents]:
        for department in affected.departments:
            if not any(d.split(" (")[0] == department.name for d in departments):
                departments.append(department.name)
    shown = [e for e in timeline if _shown(e)]
    sent = _deliveries(session, shown)
    resolved_seq = max((e.seq for e in timeline if e.kind is EntryKind.RESOLVED), default=None)

    def _after(entry: TimelineEntry) -> bool:
        # Everything after the last resolution, except the messages that closed the loop.
        return (
            resolved_seq is not None
            and entry.seq > resolved_seq
            and entry.kind is not EntryKind.CLOSE_THE_LOOP
            and incident.resolved_at is not None
        )

    problem = verify_chain(session, incident.chain)
    record = (
        f"record intact, {len(timeline)} hash-chained entries"
        if problem is None
        else f"RECORD BROKEN: {problem.problem}"
    )
    report = Report(
        incident_id=incident.id,
        title=incident.title,
        service=service.name,
        zone=zone,
        generated_at=now,
        summary="",
        started_at=min(incident.opened_at, first_alert or incident.opened_at),
        detected_at=incident.opened_at,
        detection=_detection(incident),
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        services=[service.name] + [f"{s.name} (depends on it)" for s in dependents],
        departments=departments,
        lines=[_line(e, sent) for e in shown if not _after(e)],
        afterwards=[_line(e, sent) for e in shown if _after(e)],
        root_cause=incident.resolution_note or "Not recorded yet: the incident is not resolved.",
        record=record,
        evidence=[
            f"{e.filename}: {e.media_type.label}, {evidence_files.human_size(e.size)}, "
            f"SHA-256 {e.sha256}"
            for e in evidence_files.list_evidence(session, incident=incident)
        ],
        improvements=suggest(session, incident=incident, now=now),
    )
    report.summary = _summary(report, incident, timeline, _people(session, timeline))
    return report


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class _Section:
    title: str
    items: list[str] | None = None
    text: str | None = None


def _sections(
    report: Report, clean: Callable[[str], str], *, beyond_team: bool
) -> tuple[str, str, list[_Section]]:
    """The report's parts, once, for every format: heading, byline, sections."""
    spans_days = len({report.local(line.at, "%Y-%m-%d") for line in report.lines}) > 1
    stamp = "%d %b %H:%M" if spans_days else "%H:%M"
    later = "%d %b %H:%M"
    duration = _duration(report.duration.total_seconds()) if report.duration else "ongoing"
    to_ack = ""
    if report.acknowledged_at is not None:
        waited = (report.acknowledged_at - report.detected_at).total_seconds()
        to_ack = f" ({_duration(waited)} after detection)"
    heading = f"Incident report: #{report.incident_id} {clean(report.title)}"
    byline = (
        "Written from the incident's timeline on "
        f"{report.local(report.generated_at, '%a %d %b %Y %H:%M')} ({report.record}). "
        f"Times are {report.zone}."
    )
    impact = [
        f"Started: {report.local(report.started_at, '%a %d %b %Y %H:%M')}",
        f"Detected: {report.local(report.detected_at)}, by {clean(report.detection)}",
        "Acknowledged: "
        + (report.local(report.acknowledged_at) if report.acknowledged_at else "not yet")
        + to_ack,
        "Resolved: " + (report.local(report.resolved_at) if report.resolved_at else "not yet"),
        f"Duration: {duration}",
        f"Services affected: {'; '.join(report.services)}",
        f"Departments affected: {', '.join(report.departments) or 'none recorded'}",
    ]
    sections = [
        _Section("Summary", text=clean(report.summary)),
        _Section("Impact", items=impact),
        _Section(
            "Timeline",
            items=[
                f"[{report.local(line.at, stamp)}] "
                f"{_one_line(clean(line.wording(beyond_team=beyond_team)))}"
                for line in report.lines
            ],
        ),
        _Section("Root cause (as recorded)", text=clean(report.root_cause)),
    ]
    if report.afterwards:
        sections.append(
            _Section(
                "Afterwards",
                items=[
                    f"[{report.local(line.at, later)}] "
                    f"{_one_line(clean(line.wording(beyond_team=beyond_team)))}"
                    for line in report.afterwards
                ],
            )
        )
    if report.evidence:
        sections.append(_Section("Evidence", items=[clean(item) for item in report.evidence]))
    sections.append(
        _Section(
            "Suggested improvements",
            items=[clean(item.text) for item in report.improvements]
            or ["None from the readiness audit of the services involved."],
        )
    )
    return heading, byline, sections


# What Markdown reads as markup rather than text: raw HTML, links and images, code. Recorded
# text is escaped with backslashes (which still read as plain text), so that a title holding
# `<script>` or a note holding `![x](http://tracker)` stays words wherever the file is shown.
_MARKDOWN_MARKUP = re.compile(r"([\\`<>\[\]])")


def _as_markdown_text(text: str) -> str:
    return _MARKDOWN_MARKUP.sub(r"\\\1", text)


def render_markdown(report: Report, *, redact: Callable[[str], str] | None = None) -> str:
    """The report as Markdown (which reads as plain text too). With `redact` it is the version
    for readers beyond the team: `redact` rewrites every piece of text, for names to become
    roles, and deliveries name the kind of channel instead of its address."""
    rewrite = redact or (lambda text: text)
    heading, byline, sections = _sections(
        report, lambda text: _as_markdown_text(rewrite(text)), beyond_team=redact is not None
    )
    out = [f"# {heading}", "", f"*{byline}*", ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        if section.text is not None:
            out += [section.text, ""]
        if section.items is not None:
            out += [f"- {item}" for item in section.items] + [""]
    return "\n".join(out)


def render_html_body(report: Report, *, redact: Callable[[str], str] | None = None) -> Markup:
    """The report as HTML, every piece of text escaped (it is plain text, never markup)."""
    heading, byline, sections = _sections(
        report, redact or (lambda text: text), beyond_team=redact is not None
    )
    out = [Markup("<h1>{}</h1>\n<p><em>{}</em></p>").format(heading, byline)]
    for section in sections:
        out.append(Markup("<h2>{}</h2>").format(section.title))
        if section.text is not None:
            out.append(Markup('<p class="prewrap">{}</p>').format(section.text))
        if section.items is not None:
            rows = Markup("").join(Markup("<li>{}</li>").format(item) for item in section.items)
            out.append(Markup("<ul>{}</ul>").format(rows))
    return Markup("\n").join(out)


_DOCUMENT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 1rem auto; padding: 0 1rem;
  color: #16202e; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 1.6rem; }}
li {{ margin: .2rem 0; }} em {{ color: #4d5b70; }} .prewrap {{ white-space: pre-wrap; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def render_html(report: Report, *, redact: Callable[[str], str] | None = None) -> str:
    """A standalone HTML document of the report: no script, nothing loaded from elsewhere."""
    return _DOCUMENT.format(
        title=escape(subject_of(report, redact=redact)),
        body=render_html_body(report, redact=redact),
    )


def render_email(
    report: Report,
    *,
    sender: str,
    to: list[str],
    redact: Callable[[str], str] | None = None,
) -> EmailMessage:
    """A ready-to-send message: the Markdown as text, the HTML as its alternative."""
    message = EmailMessage()
    message["Subject"] = subject_of(report, redact=redact)
    message["From"] = sender
    if to:
        message["To"] = ", ".join(to)
    message.set_content(render_markdown(report, redact=redact))
    message.add_alternative(render_html(report, redact=redact), subtype="html")
    return message


def subject_of(report: Report, *, redact: Callable[[str], str] | None = None) -> str:
    clean = redact or (lambda text: text)
    return f"Incident report #{report.incident_id}: {clean(report.title)}"
