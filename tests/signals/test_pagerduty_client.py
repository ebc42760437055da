"""The official PagerDuty client, pointed at a live Takepoint with only its base URL changed."""

from __future__ import annotations

import ssl

import pagerduty
import pytest
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import AlertState, Integration, IntegrationKind, Severity
from tests.signals.conftest import alerts_of, make_integration


def test_it_triggers_acknowledges_and_resolves_through_the_official_client(
    live_tls: tuple[str, ssl.SSLContext], session: Session, clock: FakeClock, service: Service
) -> None:
    url, trust = live_tls
    integration, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    events = pagerduty.EventsApiV2Client(key, base_url=url, verify=trust)
    with events:
        _trigger_acknowledge_resolve(events, session, integration)


def _trigger_acknowledge_resolve(
    events: pagerduty.EventsApiV2Client, session: Session, integration: Integration
) -> None:
    dedup_key = events.trigger(
        "disk /var 96% full",
        "txn-01",
        severity="warning",
        custom_details={"mount": "/var", "used": "96%"},
        links=[{"href": "https://grafana.example/d/disk", "text": "Disk dashboard"}],
    )
    [alert] = alerts_of(session, integration)
    assert alert.dedup_key == dedup_key
    assert (alert.state, alert.severity, alert.source) == (
        AlertState.OPEN,
        Severity.WARNING,
        "txn-01",
    )
    assert alert.details["custom_details"] == {"mount": "/var", "used": "96%"}

    assert events.acknowledge(dedup_key) == dedup_key
    assert alerts_of(session, integration)[0].state is AlertState.ACKNOWLEDGED
    assert events.resolve(dedup_key) == dedup_key
    assert alerts_of(session, integration)[0].state is AlertState.RESOLVED


def test_it_gives_the_official_client_an_error_it_reports(
    live_tls: tuple[str, ssl.SSLContext], session: Session
) -> None:
    url, trust = live_tls
    with (
        pagerduty.EventsApiV2Client("0" * 32, base_url=url, verify=trust) as events,
        pytest.raises(pagerduty.HttpError) as raised,
    ):
        events.trigger("disk full", "txn-01")
    assert raised.value.response is not None
    assert raised.value.response.status_code == 400
