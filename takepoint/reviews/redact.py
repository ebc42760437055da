"""Audience-aware redaction: people's names replaced by their roles in the incident.

Shared with the team, a review keeps names: the team knows who did what, and needs to. Shared
with the organisation, every person Takepoint knows (by display name, first name alone, last
name alone, or email address) becomes a role: "the on-call engineer", "the service owner"… The
replacement runs over the finished text, so the timeline, the action items and the byline are
covered as much as the prose.

Contact addresses go too. A contact method's target (an Apprise URL can hold a phone number or
a topic named after its owner) and the channel a delivery line names ("Phone (ntfys://…)")
become the kind of channel ("push"); a phone number inside a target becomes its owner's role;
any email address left over becomes "an email address".

Names Takepoint does not know (a caller's name typed into a note) cannot be found this way; the
blame-language lint is the other guard.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.incidents.models import Incident
from takepoint.incidents.report import channel_kind
from takepoint.notify.models import ContactKind, ContactMethod, Notification
from takepoint.timeline.models import EntryKind, TimelineEntry

ON_CALL = "the on-call engineer"
SERVICE_OWNER = "the service owner"
BACKUP_LEAD = "the backup lead"
TEAM_LEAD = "the team lead"
REPORTER = "the reporter"
RESPONDER = "a responder"
COLLEAGUE = "a colleague"
# When one person holds several roles, the first that applies names them.
PRIORITY = [ON_CALL, SERVICE_OWNER, BACKUP_LEAD, TEAM_LEAD, REPORTER, RESPONDER, COLLEAGUE]
AN_EMAIL_ADDRESS = "an email address"

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number inside a contact target: seven digits or more, as SMS gateways take them.
_PHONE = re.compile(r"\+?\d{7,}")


def incident_roles(session: Session, incident: Incident) -> dict[int, str]:
    """Each person's role in this incident, by user id."""
    service = incident.service
    claims: dict[int, list[str]] = {}

    def claim(user_id: int | None, role: str) -> None:
        if user_id is not None:
            claims.setdefault(user_id, []).append(role)

    entries = session.execute(
        select(TimelineEntry.kind, TimelineEntry.actor_id).where(
            TimelineEntry.chain == incident.chain
        )
    ).all()
    acknowledgers = [actor for kind, actor in entries if kind is EntryKind.ACKNOWLEDGED]
    claim(acknowledgers[0] if acknowledgers else None, ON_CALL)
    claim(service.tech_lead_id, SERVICE_OWNER)
    claim(service.backup_lead_id, BACKUP_LEAD)
    claim(service.team.lead_id if service.team is not None else None, TEAM_LEAD)
    claim(incident.reporter_id, REPORTER)
    for _, actor in entries:
        claim(actor, RESPONDER)
    claim(incident.point_user_id, RESPONDER)
    return {uid: min(roles, key=PRIORITY.index) for uid, roles in claims.items()}


@dataclass(frozen=True)
class _Alias:
    text: str
    role: str
    case_sensitive: bool


class Redactor:
    """Replaces every known person's name and email with their role, and every contact
    address with its kind of channel."""

    def __init__(
        self,
        people: Iterable[User],
        roles: dict[int, str],
        *,
        contacts: Iterable[ContactMethod] = (),
        channels: Iterable[tuple[ContactKind, str]] = (),
    ) -> None:
        """`contacts` are the contact methods whose addresses must not show; `channels` are
        channels as notifications named them, which outlive a renamed or deleted method."""
        people = list(people)
        aliases: list[_Alias] = []
        # A first or last name two people share cannot tell them apart: it gets a neutral role.
        parts = Counter(p for user in people for p in set(_name_parts(user.display_name)))
        for user in people:
            role = roles.get(user.id, COLLEAGUE)
            aliases.append(_Alias(user.email, role, case_sensitive=False))
            aliases.append(_Alias(user.display_name.strip(), role, case_sensitive=False))
            for part in _name_parts(user.display_name):
                aliases.append(_Alias(part, role if parts[part] == 1 else COLLEAGUE, True))
            aliases.append(_Alias(f"account email ({user.email})", "email", False))
        for method in contacts:
            owner = roles.get(method.user_id, COLLEAGUE)
            kind = channel_kind(method.kind, method.target)
            aliases.append(_Alias(f"{method.label} ({method.display})", kind, False))
            # An email address reads as its person; any other address as its kind of channel.
            stands_for = owner if method.kind is ContactKind.EMAIL else kind
            aliases.append(_Alias(method.target.strip(), stands_for, False))
            aliases.append(_Alias(method.display.strip(), stands_for, False))
            aliases += [_Alias(n, owner, True) for n in _PHONE.findall(method.target)]
        for kind_of, channel in channels:
            aliases.append(_Alias(channel, channel_kind(kind_of, channel), False))
        self._roles = {(a.text if a.case_sensitive else a.text.lower()): a.role for a in aliases}
        self._sensitive = {a.text for a in aliases if a.case_sensitive}
        ordered = sorted({a for a in aliases if a.text}, key=lambda a: -len(a.text))
        alternatives = "|".join(
            re.escape(a.text) if a.case_sensitive else f"(?i:{re.escape(a.text)})" for a in ordered
        )
        # Not inside a longer word, and not the start of an email's domain.
        self._pattern = (
            re.compile(rf"(?<![\w@.-])(?:{alternatives})(?![\w@-])") if alternatives else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return _EMAIL.sub(AN_EMAIL_ADDRESS, self._pattern.sub(self._replace, text))

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        role = self._roles.get(found) if found in self._sensitive else None
        role = role or self._roles.get(found.lower(), COLLEAGUE)
        before = match.string[: match.start()]
        if re.search(r"(?:^|[.!?]\s+|\n\s*(?:[-*]\s+)?|\]\s+)$", before):
            return role[:1].upper() + role[1:]
        return role


def _name_parts(display_name: str) -> list[str]:
    return [p for p in re.split(r"[\s,]+", display_name) if len(p) >= 2 and p[:1].isupper()]


def redactor_for(session: Session, incident: Incident) -> Redactor:
    """Every person Takepoint knows, named by their role in this incident, and every contact
    address named by its kind of channel."""
    people = session.scalars(select(User)).all()
    contacts = session.scalars(select(ContactMethod)).all()
    channels = session.execute(
        select(Notification.kind, Notification.channel)
        .where(Notification.incident_id == incident.id)
        .distinct()
    ).all()
    return Redactor(
        people,
        incident_roles(session, incident),
        contacts=contacts,
        channels=[(kind, channel) for kind, channel in channels],
    )


def keep_names(text: str) -> str:
    return text
