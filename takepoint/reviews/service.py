"""Blameless post-incident reviews: seeded from the report, linted, published to an audience.

A review moves draft → in review → reviewed → closed (and back a step while it is open). It is
edited in draft and in review only. Publishing shares a copy of it: with the team (names kept)
from "in review" on, or with the whole organisation (every name replaced by a role) once it is
reviewed. Publishing to the organisation needs an admin or the incident's point person. Before
anything is published the blame-language lint runs; findings block it unless someone gives a
reason for keeping them, and that reason is recorded. Every step lands in the incident's timeline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, User
from takepoint.incidents.models import Incident
from takepoint.incidents.report import Report, build_report
from takepoint.incidents.service import get_incident
from takepoint.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from takepoint.reviews.lint import Finding, Linter
from takepoint.reviews.models import (
    ActionItem,
    Audience,
    Publication,
    Review,
    ReviewState,
)
from takepoint.reviews.redact import keep_names, redactor_for
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

# The sections of the Google SRE and PagerDuty templates (action items are records of their own).
SECTIONS: list[tuple[str, str, str]] = [
    ("summary", "Summary", "What happened, in two or three sentences."),
    ("impact", "Impact", "Who and what was affected, and for how long."),
    ("timeline", "Timeline", "The facts in order, with times. Seeded from the record."),
    (
        "contributing_factors",
        "Contributing factors",
        "The conditions that made this possible: missing monitors, documentation, backups, "
        "handovers. Not people.",
    ),
    ("went_well", "What went well", "What helped, so it is kept."),
    ("went_badly", "What went badly", "What made the work harder than it needed to be."),
    ("got_lucky", "Where we got lucky", "What would have made it much worse."),
]
SECTION_KEYS = [key for key, _, _ in SECTIONS]
MAX_SECTION = 50_000
TRANSITIONS: dict[ReviewState, set[ReviewState]] = {
    ReviewState.DRAFT: {ReviewState.IN_REVIEW},
    ReviewState.IN_REVIEW: {ReviewState.DRAFT, ReviewState.REVIEWED},
    ReviewState.REVIEWED: {ReviewState.IN_REVIEW, ReviewState.CLOSED},
    ReviewState.CLOSED: set(),
}
EDITABLE = {ReviewState.DRAFT, ReviewState.IN_REVIEW}
PUBLISHABLE = {
    Audience.TEAM: {ReviewState.IN_REVIEW, ReviewState.REVIEWED, ReviewState.CLOSED},
    Audience.ORGANISATION: {ReviewState.REVIEWED, ReviewState.CLOSED},
}


def _may_write(user: User) -> None:
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot change reviews")


def get_review(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(f"no review #{review_id}")
    return review


def review_for(session: Session, incident: Incident) -> Review | None:
    return session.scalar(select(Review).where(Review.incident_id == incident.id))


def list_reviews(session: Session, *, state: ReviewState | None = None) -> list[Review]:
    query = select(Review).options(selectinload(Review.incident)).order_by(Review.id.desc())
    if state is not None:
        query = query.where(Review.state == state)
    return list(session.scalars(query.limit(500)))


def _timeline_text(report: Report) -> str:
    """The record's lines, under the date of each day in the report's zone: "[09:00]" alone
    reads as out of order once an incident runs past midnight."""
    lines: list[str] = []
    shown = ""
    for line in report.lines:
        day = report.local(line.at, "%a %d %b %Y")
        if day != shown:
            lines += [*([""] if lines else []), f"**{day}**", ""]
            shown = day
        lines.append(f"[{report.local(line.at)}] {line.text}")
    return "\n".join(lines)


def start_review(
    session: Session, *, incident: Incident, user: User, now: datetime, zone: str = "UTC"
) -> Review:
    """Open the review of `incident`, its sections seeded from the factual report."""
    _may_write(user)
    if review_for(session, incident) is not None:
        raise Conflict(f"incident #{incident.id} already has a review", field="incident_id")
    report = build_report(session, incident=incident, now=now, zone=zone)
    duration = report.duration
    impact = [
        f"Started {report.local(report.started_at, '%a %d %b %Y %H:%M')} ({report.zone}); "
        + (
            f"resolved {report.local(report.resolved_at)}."
            if report.resolved_at and duration
            else "not resolved yet."
        ),
        f"Services affected: {'; '.join(report.services)}.",
        f"Departments affected: {', '.join(report.departments) or 'none recorded'}.",
    ]
    gaps = [f"- {item.text}" for item in report.improvements]
    factors = [f"Recorded cause: {report.root_cause}"]
    if gaps:
        factors += ["", "Gaps the readiness audit shows in the services involved:", *gaps]
    review = Review(
        incident_id=incident.id,
        state=ReviewState.DRAFT,
        summary=report.summary,
        impact="\n".join(impact),
        timeline=_timeline_text(report),
        contributing_factors="\n".join(factors),
        went_well="",
        went_badly="",
        got_lucky="",
        author_id=user.id,
        created_at=now,
        updated_at=now,
    )
    session.add(review)
    session.flush()
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.REVIEW,
        text=f"{user.display_name} started the post-incident review (draft)",
        at=now,
        actor_id=user.id,
        data={"review_id": review.id, "state": review.state.value},
    )
    return review


def start_review_by_id(session: Session, *, incident_id: int, user: User, now: datetime) -> Review:
    """What the API and the pages start: the review of this incident, its times in the zone of
    the person starting it."""
    incident = get_incident(session, incident_id)
    return start_review(session, incident=incident, user=user, now=now, zone=user.time_zone)


def update_review(
    session: Session, *, review: Review, user: User, sections: Mapping[str, str], now: datetime
) -> Review:
    _may_write(user)
    if review.state not in EDITABLE:
        raise Conflict(
            f"the review is {review.state.label}; move it back to in review to edit it",
            field="state",
        )
    for key, value in sections.items():
        if key not in SECTION_KEYS:
            raise InvalidInput(f"{key!r} is not a section of the review", field=key)
        if len(value) > MAX_SECTION:
            raise InvalidInput(f"the section is over {MAX_SECTION} characters", field=key)
        setattr(review, key, value.replace("\r\n", "\n").strip())
    review.updated_at = now
    session.flush()
    return review


def change_state(
    session: Session, *, review: Review, user: User, state: ReviewState, now: datetime
) -> Review:
    _may_write(user)
    if state is review.state:
        return review
    if state not in TRANSITIONS[review.state]:
        allowed = ", ".join(s.label for s in TRANSITIONS[review.state]) or "nothing"
        raise Conflict(
            f"a review that is {review.state.label} can move to {allowed}, not {state.label}",
            field="state",
        )
    before = review.state
    review.state = state
    review.updated_at = now
    append(
        session,
        chain=review.incident.chain,
        kind=EntryKind.REVIEW,
        text=f"{user.display_name} moved the review from {before.label} to {state.label}",
        at=now,
        actor_id=user.id,
        data={"review_id": review.id, "from": before.value, "to": state.value},
    )
    session.flush()
    return review


def people_names(session: Session) -> list[str]:
    return list(session.scalars(select(User.display_name)))


def lint_sections(sections: Mapping[str, str], *, names: list[str]) -> dict[str, list[Finding]]:
    """Findings for each section that has any."""
    linter = Linter(names)
    found = {key: linter.lint(sections.get(key, "")) for key in SECTION_KEYS}
    return {key: findings for key, findings in found.items() if findings}


def sections_of(review: Review) -> dict[str, str]:
    return {key: str(getattr(review, key)) for key in SECTION_KEYS}


def _label(key: str) -> str:
    return next(label for k, label, _ in SECTIONS if k == key)


def render_review(
    review: Review,
    actions: list[ActionItem],
    *,
    redact: Callable[[str], str],
    byline: str,
) -> str:
    """The review as Markdown, every piece of text passed through `redact`."""
    incident = review.incident
    out = [
        f"# Post-incident review: #{incident.id} {redact(incident.title)}",
        "",
        f"*{redact(byline)}*",
        "",
    ]
    for key in SECTION_KEYS:
        body = redact(getattr(review, key)).strip() or "Not written."
        if key == "timeline":
            body = "\n".join(f"- {line}" for line in body.splitlines() if line.strip())
        out += [f"## {_label(key)}", "", body, ""]
    out += ["## Action items", ""]
    if actions:
        out += [
            f"- {redact(a.title)} (owner: {redact(a.owner.display_name)}; due "
            f"{a.due_on:%a %d %b %Y}; {a.state.value})"
            for a in actions
        ]
    else:
        out.append("- None yet.")
    out.append("")
    return "\n".join(out)


def _may_publish(review: Review, user: User, audience: Audience) -> None:
    _may_write(user)
    if audience is Audience.ORGANISATION and not (
        user.role is Role.ADMIN or review.incident.point_user_id == user.id
    ):
        raise PermissionDenied(
            "publishing to the whole organisation needs an admin or the incident's point person"
        )
    if review.state not in PUBLISHABLE[audience]:
        needed = " or ".join(sorted(s.label for s in PUBLISHABLE[audience]))
        raise Conflict(
            f"a review is published to the {audience.value} when it is {needed}; "
            f"this one is {review.state.label}",
            field="state",
        )


def publish(
    session: Session,
    *,
    review_id: int,
    user: User,
    audience: Audience,
    now: datetime,
    override_reason: str = "",
) -> Publication:
    """Publish a copy for `audience`. Lint findings block it unless a reason is given."""
    review = get_review(session, review_id)
    _may_publish(review, user, audience)
    findings = lint_sections(sections_of(review), names=people_names(session))
    count = sum(len(f) for f in findings.values())
    override_reason = " ".join(override_reason.split())[:2000]
    if count and not override_reason:
        first_key, first = next(iter(findings.items()))
        raise InvalidInput(
            f"{count} blame-language finding(s) remain (first: {first[0].phrase!r} in "
            f"{_label(first_key)}); rewrite them, or publish with a reason for keeping them",
            field="lint",
        )
    actions = list(
        session.scalars(
            select(ActionItem)
            .options(selectinload(ActionItem.owner))
            .where(ActionItem.incident_id == review.incident_id)
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    )
    redact = redactor_for(session, review.incident) if audience is Audience.ORGANISATION else None
    byline = (
        f"Published to the {audience.value} by {user.display_name} on {now:%a %d %b %Y %H:%M} "
        f"UTC. Review state: {review.state.label}."
    )
    markdown = render_review(review, actions, redact=redact or keep_names, byline=byline)
    publication = Publication(
        review_id=review.id,
        audience=audience,
        published_by_id=user.id,
        published_at=now,
        markdown=markdown,
        sha256=hashlib.sha256(markdown.encode()).hexdigest(),
        findings_overridden=count if override_reason else 0,
        override_reason=override_reason if count else "",
    )
    session.add(publication)
    session.flush()
    how = "names kept" if audience is Audience.TEAM else "names replaced by roles"
    kept = f"; {count} lint finding(s) kept: {override_reason}" if count else ""
    append(
        session,
        chain=review.incident.chain,
        kind=EntryKind.REVIEW_PUBLISHED,
        text=f"{user.display_name} published the review to the {audience.value} ({how}{kept})",
        at=now,
        actor_id=user.id,
        data={
            "review_id": review.id,
            "publication_id": publication.id,
            "audience": audience.value,
            "sha256": publication.sha256,
            "findings_overridden": publication.findings_overridden,
        },
    )
    return publication


def list_publications(session: Session, *, review: Review) -> list[Publication]:
    return list(
        session.scalars(
            select(Publication)
            .options(selectinload(Publication.published_by))
            .where(Publication.review_id == review.id)
            .order_by(Publication.id.desc())
        )
    )


def get_publication(session: Session, *, review: Review, publication_id: int) -> Publication:
    publication = session.get(Publication, publication_id)
    if publication is None or publication.review_id != review.id:
        raise NotFound(f"review #{review.id} has no publication {publication_id}")
    return publication
