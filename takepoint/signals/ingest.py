"""Storing many requests' signals at once: one key lookup and one set of alert statements for
a whole group, whatever mix of integrations it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from takepoint.lib.errors import NotFound, TakepointError
from takepoint.lib.secrets import hash_token
from takepoint.signals import ingest_generic
from takepoint.signals.alerts import Outcome, Routed, Signal, apply_routed, digest_of
from takepoint.signals.integrations import IntegrationRef
from takepoint.signals.models import Integration, IntegrationKind


class UnknownKey(NotFound):
    """No integration of the wanted kind has this key."""

    def __init__(self, actual: IntegrationKind | None) -> None:
        super().__init__()
        self.actual = actual


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request's parsed signals, addressed by the key it presented."""

    key: str
    kind: IntegrationKind
    signals: list[Signal] = field(default_factory=list)
    # Generic webhooks: the body, parsed with the integration's own field paths once known.
    data: Any = None
    key_digest: str = ""
    raw_digests: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls, key: str, kind: IntegrationKind, signals: list[Signal], data: Any = None
    ) -> Delivery:
        # Hashing happens here, on the request's side, so the single writer does less.
        return cls(
            key=key,
            kind=kind,
            signals=signals,
            data=data,
            key_digest=hash_token(key),
            raw_digests=[digest_of(s.raw) for s in signals],
        )


# Built once: every group of requests looks its keys up.
_BY_KEY = select(
    Integration.id,
    Integration.service_id,
    Integration.kind,
    Integration.field_paths,
    Integration.key_hash,
    Integration.previous_key_hash,
    Integration.previous_key_expires_at,
).where(
    or_(
        Integration.key_hash.in_(bindparam("digests", expanding=True)),
        Integration.previous_key_hash.in_(bindparam("digests", expanding=True)),
    )
)


def _integrations(session: Session, digests: set[str], now: datetime) -> dict[str, IntegrationRef]:
    rows = session.execute(_BY_KEY, {"digests": list(digests)})
    found: dict[str, IntegrationRef] = {}
    for id_, service_id, kind, paths, key_hash, previous, expires in rows:
        ref = IntegrationRef(id=id_, service_id=service_id, kind=kind, field_paths=paths or {})
        found[key_hash] = ref
        if previous and expires is not None and expires > now:
            found.setdefault(previous, ref)
    return found


def store_deliveries(
    session: Session, deliveries: list[Delivery], now: datetime
) -> list[Outcome | TakepointError]:
    """Store every delivery whose key is right; the others get their error, and write nothing."""
    refs = _integrations(session, {d.key_digest for d in deliveries}, now)
    results: list[Outcome | TakepointError] = []
    routed: list[Routed] = []
    for delivery in deliveries:
        ref = refs.get(delivery.key_digest)
        if ref is None or ref.kind is not delivery.kind:
            results.append(UnknownKey(ref.kind if ref else None))
            continue
        signals, digests = delivery.signals, delivery.raw_digests
        if delivery.kind is IntegrationKind.GENERIC:
            try:
                signals = ingest_generic.parse_webhook(delivery.data, field_paths=ref.field_paths)
            except TakepointError as exc:
                results.append(exc)
                continue
            digests = [digest_of(s.raw) for s in signals]
        outcome = Outcome()
        routed.extend(
            Routed(ref, signal, outcome, digest)
            for signal, digest in zip(signals, digests, strict=True)
        )
        results.append(outcome)
    apply_routed(session, routed, now=now)
    return results


def store_one(session: Session, delivery: Delivery, now: datetime) -> Outcome:
    """The same for a single delivery, raising its error (the writer's one-by-one path)."""
    [result] = store_deliveries(session, [delivery], now)
    if isinstance(result, TakepointError):
        raise result
    return result
