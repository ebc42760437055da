"""The group writer: many requests in one commit, each with its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.signals.alerts import Action, Outcome, Signal
from takepoint.signals.ingest import Delivery, UnknownKey, store_deliveries, store_one
from takepoint.signals.models import IntegrationKind, Severity
from takepoint.signals.writer import GroupWriter, WriterBusy
from tests.factories import db_context
from tests.signals.conftest import alert_count, make_integration

T = TypeVar("T")


def _delivery(key: str, n: int) -> Delivery:
    signal = Signal(
        action=Action.TRIGGER, dedup_key=f"k{n}", summary=f"s{n}", severity=Severity.INFO
    )
    return Delivery.of(key, IntegrationKind.PAGERDUTY, [signal])


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    # A loop of its own in a thread of its own: browser tests keep one running in this thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _submit_all(
    writer: GroupWriter, deliveries: list[Delivery], batch: Any = store_deliveries
) -> list[Any]:
    async def one(delivery: Delivery) -> Any:
        return await writer.submit(
            lambda session, now: store_one(session, delivery, now),
            batch=batch,
            payload=delivery,
        )

    return await asyncio.gather(*(one(d) for d in deliveries), return_exceptions=True)


def test_it_answers_each_request_of_a_group_on_its_own(
    db: Database, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    writer = GroupWriter(db=db, context=db_context(db), on_commit=lambda lanes: None)
    deliveries = [_delivery(key if n % 5 else "x" * 32, n) for n in range(50)]
    results = _run(_submit_all(writer, deliveries))
    refused = [n for n, r in enumerate(results) if isinstance(r, UnknownKey)]
    assert refused == list(range(0, 50, 5))
    stored = [r for n, r in enumerate(results) if n not in refused]
    assert all(isinstance(r, Outcome) and r.opened == 1 for r in stored)
    assert alert_count(session) == 40
    assert writer.units == 50 and writer.groups <= 50


def test_it_falls_back_to_one_by_one_when_a_group_fails_as_a_whole(
    db: Database, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    writer = GroupWriter(db=db, context=db_context(db), on_commit=lambda lanes: None)

    def broken(session: Session, payloads: list[Any], now: Any) -> list[Any]:
        raise RuntimeError("a bug in the batch path")

    results = _run(_submit_all(writer, [_delivery(key, n) for n in range(10)], broken))
    assert all(isinstance(r, Outcome) for r in results)
    assert alert_count(session) == 10


def test_it_wakes_the_engine_only_after_committing_a_new_alert(
    db: Database, session: Session, clock: FakeClock, service: Service
) -> None:
    _, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    woken: list[int] = []
    writer = GroupWriter(
        db=db, context=db_context(db), on_commit=lambda lanes: woken.append(alert_count(session))
    )
    _run(_submit_all(writer, [_delivery(key, 1)]))
    assert woken == [1]
    _run(_submit_all(writer, [_delivery(key, 1)]))  # a repeat opens nothing
    assert woken == [1]


@pytest.mark.parametrize(("max_items", "size"), [(0, 1), (5, 10_000)])
def test_it_refuses_what_would_overflow_its_queue(
    db: Database, clock: FakeClock, max_items: int, size: int
) -> None:
    writer = GroupWriter(
        db=db,
        context=db_context(db),
        on_commit=lambda lanes: None,
        max_items=max_items,
        max_bytes=5000,
    )
    with pytest.raises(WriterBusy) as busy:
        _run(writer.submit(lambda session, now: None, size=size))
    assert busy.value.retry_after == 1
