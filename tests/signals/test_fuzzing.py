"""Fuzzed and malformed input: never a 500, and a refused request never leaves a row behind."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import Alert, HeartbeatPing, Integration, IntegrationKind
from takepoint.signals.schemas import HeartbeatSettings
from tests.signals.conftest import make_integration

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    # Lone surrogates are valid JSON escapes but no database can store them.
    | st.text(alphabet=st.characters(categories=["Cs"]), max_size=2)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


def _maybe(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), values.map(lambda v: {key: v}))


def _merged(*parts: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(*parts).map(lambda ds: {k: v for d in ds for k, v in d.items()})


severities = st.sampled_from(["critical", "error", "warning", "info", "CRITICAL", "", "page"])
times = st.sampled_from(
    ["2026-03-02T08:55:00Z", "0001-01-01T00:00:00Z", "2026-03-02T08:55:00.123456789+01:00", "x"]
) | st.text(max_size=30)
pd_payloads = _merged(
    _maybe("summary", st.text(max_size=30) | json_values),
    _maybe("source", st.text(max_size=30) | json_values),
    _maybe("severity", severities | json_values),
    _maybe("timestamp", times | json_values),
    _maybe("component", st.text(max_size=10) | json_values),
    _maybe("custom_details", json_values),
)


def pd_events(key: str) -> st.SearchStrategy[Any]:
    return json_values | _merged(
        _maybe("routing_key", st.just(key) | st.text(max_size=40) | json_values),
        _maybe(
            "event_action", st.sampled_from(["trigger", "acknowledge", "resolve"]) | json_values
        ),
        _maybe("dedup_key", st.text(max_size=300) | json_values),
        _maybe("payload", pd_payloads | json_values),
        _maybe(
            "links", st.lists(st.fixed_dictionaries({"href": st.text(max_size=20)})) | json_values
        ),
        _maybe("images", json_values),
    )


labels = st.dictionaries(st.text(max_size=10), st.text(max_size=10) | json_values, max_size=4)
am_alerts = _merged(
    _maybe("status", st.sampled_from(["firing", "resolved"]) | json_values),
    _maybe("labels", labels | json_values),
    _maybe("annotations", labels | json_values),
    _maybe("fingerprint", st.text(max_size=300) | json_values),
    _maybe("startsAt", times | json_values),
    _maybe("endsAt", times | json_values),
)
am_groups = json_values | _merged(
    _maybe("version", st.sampled_from(["4", "3", 4]) | json_values),
    _maybe("status", st.sampled_from(["firing", "resolved"]) | json_values),
    _maybe("alerts", st.lists(am_alerts, max_size=6) | json_values),
    _maybe("commonLabels", labels | json_values),
    _maybe("ruleId", json_values),
    _maybe("state", st.sampled_from(["alerting", "ok", "pending"]) | json_values),
    _maybe("title", json_values),
)
generic_events = json_values | st.lists(
    _merged(
        _maybe("summary", st.text(max_size=30) | json_values),
        _maybe("dedup_key", json_values),
        _maybe("status", st.sampled_from(["resolved", "firing", "ack"]) | json_values),
        _maybe("severity", severities | json_values),
    ),
    max_size=5,
)


def _counts(session: Session) -> tuple[int, int]:
    alerts = session.scalar(select(func.count()).select_from(Alert)) or 0
    pings = session.scalar(select(func.count()).select_from(HeartbeatPing)) or 0
    return alerts, pings


def _send(client: TestClient, session: Session, url: str, body: bytes, content_type: str) -> None:
    before = _counts(session)
    response = client.post(url, content=body, headers={"Content-Type": content_type})
    assert response.status_code < 500, (url, body[:200], response.text)
    if response.status_code >= 400:
        assert _counts(session) == before, f"a refused request wrote rows: {response.text}"


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _integrations(session: Session, clock: FakeClock, service: Service) -> dict[str, str]:
    keys = {}
    for kind in IntegrationKind:
        settings_ = (
            HeartbeatSettings(period_seconds=3600) if kind is IntegrationKind.HEARTBEAT else None
        )
        _, keys[kind.value] = make_integration(session, clock, service, kind, heartbeat=settings_)
    return keys


def test_it_survives_fuzzed_pagerduty_events(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    key = _integrations(session, clock, service)["pagerduty"]

    @FUZZ
    @given(event=pd_events(key))
    def check(event: Any) -> None:
        _send(client, session, "/v2/enqueue", _json(event), "application/json")

    check()


def test_it_survives_fuzzed_webhooks(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    keys = _integrations(session, clock, service)

    @FUZZ
    @given(group=am_groups, kind=st.sampled_from(["alertmanager", "grafana"]))
    def check_groups(group: Any, kind: str) -> None:
        _send(
            client, session, f"/integrations/{keys[kind]}/{kind}", _json(group), "application/json"
        )

    @FUZZ
    @given(events=generic_events)
    def check_generic(events: Any) -> None:
        _send(
            client,
            session,
            f"/integrations/{keys['generic']}/generic",
            _json(events),
            "application/json",
        )

    check_groups()
    check_generic()


def test_it_survives_garbage_bytes_content_types_and_keys(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    keys = _integrations(session, clock, service)
    urls = [
        "/v2/enqueue",
        f"/integrations/{keys['alertmanager']}/alertmanager",
        f"/integrations/{keys['grafana']}/grafana",
        f"/integrations/{keys['generic']}/generic",
        f"/integrations/{keys['pagerduty']}/alertmanager",
        "/integrations/not-a-key/generic",
        f"/integrations/{keys['generic']}/heartbeat",
        f"/ping/{keys['heartbeat']}/log",
    ]
    content_types = st.sampled_from(
        ["application/json", "text/plain", "multipart/form-data; boundary=x", "image/png", ""]
    )

    @FUZZ
    @given(url=st.sampled_from(urls), body=st.binary(max_size=300), content_type=content_types)
    def check(url: str, body: bytes, content_type: str) -> None:
        _send(client, session, url, body, content_type)

    check()


def test_it_refuses_oversized_bodies_before_reading_them_whole(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    keys = _integrations(session, clock, service)
    huge = b"[" + b"1," * (3 * 1024 * 1024) + b"1]"
    for url in ("/v2/enqueue", f"/integrations/{keys['alertmanager']}/alertmanager"):
        before = _counts(session)
        assert client.post(url, content=huge).status_code == 413
        assert _counts(session) == before


def test_it_never_reveals_a_key_by_its_error(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    keys = _integrations(session, clock, service)
    key = keys["generic"]
    near_miss = key[:-1] + ("0" if key[-1] != "0" else "1")
    response = client.post(f"/integrations/{near_miss}/generic", json={})
    assert response.status_code == 404, response.text
    assert keys["generic"] not in response.text
    assert session.scalar(select(func.count()).select_from(Integration)) == len(IntegrationKind)


def test_it_refuses_unpaired_surrogates_that_no_database_could_store(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    keys = _integrations(session, clock, service)
    summary = '"disk \\ud800 full"'
    pd = (
        f'{{"routing_key": "{keys["pagerduty"]}", "event_action": "trigger", '
        f'"payload": {{"summary": {summary}, "source": "x", "severity": "info"}}}}'
    )
    generic = f'{{"summary": {summary}}}'
    for url, body in (
        ("/v2/enqueue", pd),
        (f"/integrations/{keys['generic']}/generic", generic),
    ):
        before = _counts(session)
        response = client.post(url, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert _counts(session) == before
    paired = generic.replace("\\ud800", "\\ud83d\\ude00")
    assert (
        client.post(f"/integrations/{keys['generic']}/generic", content=paired).status_code == 200
    )
