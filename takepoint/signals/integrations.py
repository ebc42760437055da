"""Integrations: create, rotate, delete, and find one by the key a sender presents."""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog.models import Service
from takepoint.lib.errors import InvalidInput, NotFound
from takepoint.lib.numbers import is_digits
from takepoint.lib.secrets import hash_token
from takepoint.signals.models import Heartbeat, Integration, IntegrationKind

KEY_ALPHABET = string.ascii_lowercase + string.digits
# PagerDuty routing keys are 32 characters; keeping that length means every tool that checks it
# (or stores it in a 32-character field) accepts a Takepoint key. 32 of 36 symbols is 165 bits.
KEY_LENGTH = 32
DEFAULT_GRACE = timedelta(hours=24)
FIELD_PATH_NAMES = ("summary", "dedup_key", "status", "severity", "source")
DEFAULT_FIELD_PATHS = {name: name for name in FIELD_PATH_NAMES}


@dataclass(frozen=True, slots=True)
class IntegrationRef:
    """What the ingest path needs to know about an integration, detached from any session."""

    id: int
    service_id: int
    kind: IntegrationKind
    field_paths: dict[str, str]


def new_key(kind: IntegrationKind) -> str:
    # Heartbeats use a UUID so that healthchecks-style ping URLs look the way people expect.
    if kind is IntegrationKind.HEARTBEAT:
        return str(uuid.uuid4())
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def check_field_paths(paths: dict[str, str] | None) -> dict[str, str]:
    merged = dict(DEFAULT_FIELD_PATHS)
    for name, path in (paths or {}).items():
        if name not in FIELD_PATH_NAMES:
            raise InvalidInput(
                f"{name!r} is not a field path; use {', '.join(FIELD_PATH_NAMES)}",
                field="field_paths",
            )
        path = path.strip()
        if not path or len(path) > 200 or any(not part for part in path.split(".")):
            raise InvalidInput(
                f"the {name} path {path!r} must be dotted names such as alert.title",
                field=f"field_paths.{name}",
            )
        merged[name] = path
    return merged


def get_service(session: Session, ref: str | int) -> Service:
    """A service by id or slug."""
    query = select(Service)
    if isinstance(ref, int) or is_digits(ref):
        query = query.where(Service.id == int(ref))
    else:
        query = query.where(Service.slug == ref.strip().lower())
    service = session.scalar(query)
    if service is None:
        raise NotFound(f"no service {ref!r}", field="service")
    return service


def create_integration(
    session: Session,
    *,
    service: Service,
    kind: IntegrationKind,
    now: datetime,
    name: str | None = None,
    field_paths: dict[str, str] | None = None,
) -> tuple[Integration, str]:
    """Create an integration and return it with its key, which is shown this once."""
    label = (name or f"{service.name} {kind.value}").strip()
    if not label or len(label) > 200:
        raise InvalidInput("the name must be 1 to 200 characters", field="name")
    if field_paths and kind is not IntegrationKind.GENERIC:
        raise InvalidInput("only generic webhooks have field paths", field="field_paths")
    key = new_key(kind)
    integration = Integration(
        service_id=service.id,
        kind=kind,
        name=label,
        key_hash=hash_token(key),
        key_hint=key[-4:],
        field_paths=check_field_paths(field_paths) if kind is IntegrationKind.GENERIC else {},
        created_at=now,
    )
    session.add(integration)
    session.flush()
    return integration, key


def rotate_key(
    session: Session, *, integration: Integration, now: datetime, grace: timedelta = DEFAULT_GRACE
) -> str:
    """Issue a new key; the old one keeps working for `grace`, then stops."""
    if grace < timedelta(0) or grace > timedelta(days=30):
        raise InvalidInput("the grace period must be between 0 and 30 days", field="grace")
    key = new_key(integration.kind)
    integration.previous_key_hash = integration.key_hash if grace else None
    integration.previous_key_expires_at = now + grace if grace else None
    integration.key_hash = hash_token(key)
    integration.key_hint = key[-4:]
    integration.rotated_at = now
    session.flush()
    return key


def delete_integration(session: Session, *, integration: Integration) -> None:
    """Delete an integration; its alerts and heartbeat go with it."""
    session.delete(integration)
    session.flush()


def get_integration(session: Session, integration_id: int) -> Integration:
    integration = session.scalar(
        select(Integration)
        .options(selectinload(Integration.service), selectinload(Integration.heartbeat))
        .where(Integration.id == integration_id)
    )
    if integration is None:
        raise NotFound(f"no integration with id {integration_id}")
    return integration


def list_integrations(session: Session, *, service_id: int | None = None) -> list[Integration]:
    query = (
        select(Integration)
        .options(selectinload(Integration.service), selectinload(Integration.heartbeat))
        .order_by(Integration.service_id, Integration.name)
    )
    if service_id is not None:
        query = query.where(Integration.service_id == service_id)
    return list(session.scalars(query))


def find_by_key(session: Session, *, key: str, now: datetime) -> IntegrationRef | None:
    """The integration a presented key belongs to, the previous key counting during its grace."""
    digest = hash_token(key)
    row = session.execute(
        select(
            Integration.id, Integration.service_id, Integration.kind, Integration.field_paths
        ).where(
            or_(
                Integration.key_hash == digest,
                (Integration.previous_key_hash == digest)
                & (Integration.previous_key_expires_at > now),
            )
        )
    ).first()
    if row is None:
        return None
    return IntegrationRef(id=row[0], service_id=row[1], kind=row[2], field_paths=row[3] or {})


def heartbeat_for(session: Session, integration: Integration) -> Heartbeat | None:
    return session.scalar(select(Heartbeat).where(Heartbeat.integration_id == integration.id))
