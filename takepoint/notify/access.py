"""Who may see and change whose contact methods, rules and notifications.

Everyone manages their own (viewers too: they receive close-the-loop messages); admins manage
anyone's. Responders and admins read the whole outbox; viewers read their own messages only.
Other people's rows are reported as not found rather than forbidden, so ids reveal nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from takepoint.accounts.auth import Principal
from takepoint.accounts.models import Role, User
from takepoint.accounts.service import get_user
from takepoint.lib.errors import NotFound, PermissionDenied
from takepoint.notify.models import ContactMethod, Notification, NotificationRule


def owner_for(session: Session, principal: Principal, user_id: int | None) -> User:
    if user_id is None or user_id == principal.user.id:
        return principal.user
    if principal.user.role is not Role.ADMIN:
        raise PermissionDenied("only admins manage other people's notifications", field="user_id")
    return get_user(session, user_id)


def method_for(session: Session, principal: Principal, method_id: int) -> ContactMethod:
    method = session.get(ContactMethod, method_id)
    if method is None or not _may_manage(principal, method.user_id):
        raise NotFound(f"no contact method with id {method_id}")
    return method


def rule_for(session: Session, principal: Principal, rule_id: int) -> NotificationRule:
    rule = session.get(NotificationRule, rule_id)
    if rule is None or not _may_manage(principal, rule.user_id):
        raise NotFound(f"no notification rule with id {rule_id}")
    return rule


def sees_outbox(principal: Principal) -> bool:
    return principal.user.role.allows(Role.RESPONDER)


def outbox_filter(principal: Principal, user_id: int | None) -> int | None:
    """The user filter a listing may use: anyone's for responders, only their own for viewers."""
    if sees_outbox(principal):
        return user_id
    if user_id is not None and user_id != principal.user.id:
        raise PermissionDenied("viewers see only their own notifications", field="user_id")
    return principal.user.id


def check_notification(principal: Principal, notification: Notification) -> Notification:
    if not sees_outbox(principal) and notification.user_id != principal.user.id:
        raise NotFound(f"no notification with id {notification.id}")
    return notification


def _may_manage(principal: Principal, owner_id: int) -> bool:
    return owner_id == principal.user.id or principal.user.role is Role.ADMIN
