"""Contact methods and notification rules: how and when each person wants to be reached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.notify.models import (
    ContactKind,
    ContactMethod,
    Notification,
    NotificationRule,
    NotificationState,
    Urgency,
)
from takepoint.notify.transports import check_target

MAX_METHODS = 20
MAX_DELAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Step:
    """One planned message: through this method (None: the account email), N minutes in."""

    contact_method: ContactMethod | None
    delay_minutes: int


@dataclass(frozen=True)
class RuleSpec:
    urgency: Urgency
    contact_method_id: int
    delay_minutes: int


# --- contact methods ---------------------------------------------------------------------------


def list_contact_methods(session: Session, *, user: User) -> list[ContactMethod]:
    return list(
        session.scalars(
            select(ContactMethod)
            .where(ContactMethod.user_id == user.id)
            .order_by(ContactMethod.position, ContactMethod.id)
        )
    )


def get_contact_method(session: Session, *, method_id: int, user: User) -> ContactMethod:
    """The method, if it belongs to `user`; anyone else's is reported as not found."""
    method = session.get(ContactMethod, method_id)
    if method is None or method.user_id != user.id:
        raise NotFound(f"no contact method with id {method_id}")
    return method


def _check_label(session: Session, *, user: User, label: str, method_id: int | None) -> str:
    label = label.strip()
    if not label:
        raise InvalidInput("give the contact method a label, such as 'Work email'", field="label")
    if len(label) > 100:
        raise InvalidInput("the label is longer than 100 characters", field="label")
    clash = session.scalar(
        select(ContactMethod.id).where(
            ContactMethod.user_id == user.id, ContactMethod.label == label
        )
    )
    if clash is not None and clash != method_id:
        raise Conflict(f"you already have a contact method labelled {label!r}", field="label")
    return label


def add_contact_method(
    session: Session, *, user: User, kind: ContactKind, target: str, label: str, now: datetime
) -> ContactMethod:
    """Add a way to reach `user`, last in their order. Apprise URLs are checked by Apprise."""
    kind = ContactKind(kind)
    stored, display = check_target(kind, target)
    label = _check_label(session, user=user, label=label, method_id=None)
    count, last = session.execute(
        select(func.count(), func.max(ContactMethod.position)).where(
            ContactMethod.user_id == user.id
        )
    ).one()
    if count >= MAX_METHODS:
        raise Conflict(f"a person can have at most {MAX_METHODS} contact methods", field="target")
    method = ContactMethod(
        user_id=user.id,
        kind=kind,
        label=label,
        target=stored,
        display=display,
        position=(last or 0) + 1 if count else 0,
        created_at=now,
    )
    session.add(method)
    session.flush()
    return method


def update_contact_method(
    session: Session, *, method: ContactMethod, label: str | None = None, target: str | None = None
) -> ContactMethod:
    if label is not None:
        method.label = _check_label(session, user=method.user, label=label, method_id=method.id)
    if target is not None:
        method.target, method.display = check_target(method.kind, target)
    session.flush()
    return method


def move_contact_method(
    session: Session, *, method: ContactMethod, position: int
) -> list[ContactMethod]:
    """Put the method at `position` (0 is first) and renumber the others; returns the order."""
    methods = [m for m in list_contact_methods(session, user=method.user) if m.id != method.id]
    position = max(0, min(position, len(methods)))
    methods.insert(position, method)
    for index, item in enumerate(methods):
        item.position = index
    session.flush()
    return methods


def delete_contact_method(session: Session, *, method: ContactMethod, now: datetime) -> None:
    """Remove a method and its rules. Its pending tests are cancelled; any other pending
    message for it goes to the person's account email instead, so nothing is dropped."""
    session.execute(
        update(Notification)
        .where(
            Notification.contact_method_id == method.id,
            Notification.is_test.is_(True),
            Notification.state == NotificationState.PENDING,
        )
        .values(state=NotificationState.CANCELLED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Notification)
        .where(Notification.contact_method_id == method.id)
        .values(contact_method_id=None)
        .execution_options(synchronize_session=False)
    )
    for rule in session.scalars(
        select(NotificationRule).where(NotificationRule.contact_method_id == method.id)
    ):
        session.delete(rule)
    session.delete(method)
    session.flush()


# --- rules -------------------------------------------------------------------------------------


def list_rules(session: Session, *, user: User) -> list[NotificationRule]:
    return list(
        session.scalars(
            select(NotificationRule)
            .join(NotificationRule.contact_method)
            .options(selectinload(NotificationRule.contact_method))
            .where(NotificationRule.user_id == user.id)
            .order_by(
                NotificationRule.urgency,
                NotificationRule.delay_minutes,
                ContactMethod.position,
            )
        )
    )


def _check_delay(delay_minutes: int) -> int:
    if not 0 <= delay_minutes <= MAX_DELAY_MINUTES:
        raise InvalidInput(
            f"the delay must be between 0 and {MAX_DELAY_MINUTES} minutes", field="delay_minutes"
        )
    return delay_minutes


def add_rule(
    session: Session,
    *,
    user: User,
    urgency: Urgency,
    contact_method: ContactMethod,
    delay_minutes: int,
    now: datetime,
) -> NotificationRule:
    """For `urgency`, notify `contact_method` after `delay_minutes` if still unacknowledged."""
    if contact_method.user_id != user.id:
        raise InvalidInput("that contact method belongs to someone else", field="contact_method_id")
    urgency = Urgency(urgency)
    delay_minutes = _check_delay(delay_minutes)
    same = session.scalar(
        select(NotificationRule.id).where(
            NotificationRule.user_id == user.id,
            NotificationRule.urgency == urgency,
            NotificationRule.contact_method_id == contact_method.id,
            NotificationRule.delay_minutes == delay_minutes,
        )
    )
    if same is not None:
        raise Conflict("that rule exists already", field="delay_minutes")
    rule = NotificationRule(
        user_id=user.id,
        urgency=urgency,
        contact_method_id=contact_method.id,
        delay_minutes=delay_minutes,
        created_at=now,
    )
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, *, rule_id: int, user: User) -> NotificationRule:
    rule = session.get(NotificationRule, rule_id)
    if rule is None or rule.user_id != user.id:
        raise NotFound(f"no notification rule with id {rule_id}")
    return rule


def delete_rule(session: Session, *, rule: NotificationRule) -> None:
    session.delete(rule)
    session.flush()


def replace_rules(
    session: Session, *, user: User, rules: list[RuleSpec], now: datetime
) -> list[NotificationRule]:
    """Make `rules` the person's whole rule set (an empty list brings the defaults back)."""
    methods = {m.id: m for m in list_contact_methods(session, user=user)}
    seen: set[tuple[Urgency, int, int]] = set()
    for index, spec in enumerate(rules):
        if spec.contact_method_id not in methods:
            raise InvalidInput(
                f"rule {index + 1}: no contact method {spec.contact_method_id} of yours",
                field=f"rules.{index}.contact_method_id",
            )
        try:
            _check_delay(spec.delay_minutes)
        except InvalidInput as exc:
            raise InvalidInput(
                f"rule {index + 1}: {exc.message}", field=f"rules.{index}.delay_minutes"
            ) from None
        seen.add((Urgency(spec.urgency), spec.contact_method_id, spec.delay_minutes))
    for rule in list_rules(session, user=user):
        session.delete(rule)
    session.flush()
    for urgency, method_id, delay in sorted(seen):
        session.add(
            NotificationRule(
                user_id=user.id,
                urgency=urgency,
                contact_method_id=method_id,
                delay_minutes=delay,
                created_at=now,
            )
        )
    session.flush()
    return list_rules(session, user=user)


def steps_for(session: Session, *, user: User, urgency: Urgency) -> list[Step]:
    """What one notification of `urgency` becomes for `user`: their rules, or the defaults.

    Defaults: high urgency reaches every contact method at once, low urgency the first one.
    Someone without any contact method is reached at their account email.
    """
    urgency = Urgency(urgency)
    rules = [r for r in list_rules(session, user=user) if r.urgency is urgency]
    if rules:
        return [Step(r.contact_method, r.delay_minutes) for r in rules]
    methods = list_contact_methods(session, user=user)
    if not methods:
        return [Step(None, 0)]
    if urgency is Urgency.LOW:
        methods = methods[:1]
    return [Step(m, 0) for m in methods]
