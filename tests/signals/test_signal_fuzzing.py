"""Fuzzed silences and fuzzed signals of every format, together: a 2xx or a 4xx, never a 5xx.

Each example makes a silence from fuzzed matcher text (through the API or the form), then sends
a fuzzed signal whose text that silence's pattern is then run against where the alert is stored.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import Alert, HeartbeatPing, IntegrationKind, Silence
from takepoint.signals.schemas import HeartbeatSettings
from tests.factories import login, make_user
from tests.signals.conftest import make_integration

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any characters, leaning on those patterns are made of and on NUL, which databases are picky
# about; and the input that made Python's backtracking `re` take seconds.
words = st.text(
    alphabet=st.sampled_from("aAz09 _-.:/!,=~\n()[]{}*+?|\\^$<>#\x00") | st.characters(),
    max_size=30,
)
slow_text = st.integers(min_value=10, max_value=40).map(lambda n: "a" * n + "!")
values = words | slow_text | st.sampled_from(["DiskFull", "txn-01", "critical", ""])
nonblank = values.map(lambda v: v if v.strip() else "x" + v)
VALID_PATTERNS = ["(a+)+$", "(.*a){20}", "(a|aa)+", "txn-0[12]", "(?i)disk.*", ".*", r"\pL+"]
REFUSED_PATTERNS = [
    r"(txn)-\1",
    "(?=a)a",
    "(?<!x)y",
    "(?P<n>a)(?P=n)",
    "(?x) a",
    "a{1001}",
    "[",
    "a" * 1001,
]
patterns = (
    st.sampled_from(VALID_PATTERNS)
    | st.sampled_from(REFUSED_PATTERNS)
    | words
    | st.text(alphabet="a()+*?|.{}0123456789,", max_size=40)
)
names = st.sampled_from(["summary", "source", "severity", "dedup_key", "alertname", "instance"])
ops = st.sampled_from(["=~", "=", "!=", "=~"])
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**64), max_value=2**64) | values
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(words, inner, max_size=3),
    max_leaves=12,
)
matcher_lists = st.integers(min_value=0, max_value=3).flatmap(
    lambda n: (
        st.lists(
            # Half a surrogate pair only here: a form cannot even be encoded with one.
            st.fixed_dictionaries(
                {"name": names, "op": ops, "value": patterns | st.just("\ud800")}
            ),
            min_size=1,
            max_size=2,
        )
        if n
        else st.lists(st.dictionaries(words, json_values, max_size=3), max_size=3) | json_values
    )
)
label_maps = st.dictionaries(words, values, max_size=3)


def _pd(key: str) -> st.SearchStrategy[Any]:
    payload = st.fixed_dictionaries(
        {
            "summary": nonblank,
            "source": nonblank,
            "severity": st.sampled_from(["critical", "error", "warning", "info"]),
        },
        optional={"component": values, "group": values, "custom_details": json_values},
    )
    event = st.fixed_dictionaries(
        {"routing_key": st.just(key), "event_action": st.just("trigger"), "payload": payload},
        optional={"dedup_key": words},
    )
    odd = st.fixed_dictionaries(
        {
            "routing_key": st.just(key) | words | json_values,
            "event_action": st.sampled_from(["trigger", "acknowledge", "resolve", "x"]),
            "payload": payload | json_values,
        },
        optional={"dedup_key": words | json_values},
    )
    return event | event | odd


alert_items = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved"]),
        "labels": st.fixed_dictionaries({"alertname": values, "instance": values}).flatmap(
            lambda fixed: label_maps.map(lambda more: {**more, **fixed})
        ),
    },
    optional={
        "annotations": st.fixed_dictionaries({}, optional={"summary": values}),
        "fingerprint": words,
        "endsAt": st.sampled_from(["0001-01-01T00:00:00Z", "2026-03-02T08:00:00Z"]),
    },
)
groups = st.fixed_dictionaries(
    {
        "version": st.just("4"),
        "status": st.sampled_from(["firing", "resolved"]),
        "alerts": st.lists(alert_items, min_size=1, max_size=4),
    },
    optional={"commonLabels": label_maps},
)
odd_groups = st.fixed_dictionaries(
    {"version": st.just("4") | json_values},
    optional={
        "alerts": st.lists(st.dictionaries(words, json_values, max_size=3), max_size=3)
        | json_values,
        "commonLabels": label_maps | json_values,
    },
)
grafana_legacy = st.fixed_dictionaries(
    {
        "ruleId": st.integers(min_value=0, max_value=2**31) | words,
        "state": st.sampled_from(["alerting", "ok", "no_data", "pending", "paused"]),
        "title": nonblank,
    },
    optional={"tags": label_maps, "message": values},
)
# Matches the generic integration's field paths below: nested objects and list indexes.
generic_events = st.fixed_dictionaries(
    {"event": st.fixed_dictionaries({"name": nonblank})},
    optional={
        "id": words,
        "tags": st.lists(values, min_size=1, max_size=2),
        "state": st.sampled_from(["ok", "problem", "ack"]),
    },
)
GENERIC_PATHS = {"summary": "event.name", "dedup_key": "id", "status": "state", "source": "tags.0"}


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Alert, HeartbeatPing, Silence)
    )


def _checked(session: Session, response: Any, before: tuple[int, int, int]) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert _counts(session) == before, f"a refused request wrote rows: {response.text}"


class World:
    def __init__(self, client: TestClient, session: Session, clock: FakeClock, service: Service):
        self.client, self.session, self.clock = client, session, clock
        self.csrf = login(client, make_user(session, clock, role=Role.RESPONDER))
        self.keys: dict[IntegrationKind, str] = {}
        for kind in IntegrationKind:
            _, self.keys[kind] = make_integration(
                session,
                clock,
                service,
                kind,
                field_paths=GENERIC_PATHS if kind is IntegrationKind.GENERIC else None,
                heartbeat=(
                    HeartbeatSettings(period_seconds=3600)
                    if kind is IntegrationKind.HEARTBEAT
                    else None
                ),
            )

    def silence_by_api(self, matchers: Any, comment: str, service: str | None = None) -> None:
        body = {
            "matchers": matchers,
            "comment": comment,
            "expires_at": (self.clock.now() + timedelta(hours=1)).isoformat(),
            "service": service,
        }
        before = _counts(self.session)
        response = self.client.post(
            "/api/v1/silences",
            content=json.dumps(body),
            headers={"X-CSRF-Token": self.csrf, "Content-Type": "application/json"},
        )
        _checked(self.session, response, before)

    def silence_by_form(self, text: str, comment: str) -> None:
        form = {"csrf_token": self.csrf, "matchers": text, "comment": comment, "hours": "1"}
        before = _counts(self.session)
        _checked(self.session, self.client.post("/signals/silences", data=form), before)

    def send(self, path: str, body: Any, headers: dict[str, str] | None = None) -> None:
        before = _counts(self.session)
        response = self.client.post(
            path,
            content=json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        _checked(self.session, response, before)


def test_it_answers_fuzzed_silences_and_pagerduty_events_without_a_5xx(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    world = World(client, session, clock, service)

    @FUZZ
    @given(
        matchers=matcher_lists,
        comment=nonblank | words,
        slug=st.sampled_from([None, service.slug]) | words,
        event=_pd(world.keys[IntegrationKind.PAGERDUTY]),
    )
    def check(matchers: Any, comment: str, slug: str | None, event: Any) -> None:
        world.silence_by_api(matchers, comment, slug)
        world.send("/v2/enqueue", event)

    check()


def test_it_answers_fuzzed_form_silences_and_webhooks_without_a_5xx(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    world = World(client, session, clock, service)
    keys = world.keys
    senders: dict[str, tuple[str, st.SearchStrategy[Any], dict[str, str]]] = {
        "alertmanager": (
            f"/integrations/{keys[IntegrationKind.ALERTMANAGER]}/alertmanager",
            groups | odd_groups,
            {},
        ),
        "grafana": (
            f"/integrations/{keys[IntegrationKind.GRAFANA]}/grafana",
            groups | grafana_legacy | odd_groups,
            {},
        ),
        "generic": (
            f"/integrations/{keys[IntegrationKind.GENERIC]}/generic",
            generic_events | st.lists(generic_events, max_size=3) | json_values,
            {},
        ),
        "bearer": (
            "/integrations/alertmanager",
            groups,
            {"Authorization": f"Bearer {keys[IntegrationKind.ALERTMANAGER]}"},
        ),
    }

    @FUZZ
    @given(
        text=st.integers(min_value=0, max_value=3).flatmap(
            lambda n: (
                st.lists(st.tuples(names, ops, patterns).map("".join), min_size=1, max_size=2)
                if n
                else st.lists(st.tuples(words, words, words).map("".join), max_size=3)
            ).map(", ".join)
        ),
        comment=nonblank | words,
        target=st.sampled_from(sorted(senders)),
        data=st.data(),
    )
    def check(text: str, comment: str, target: str, data: st.DataObject) -> None:
        world.silence_by_form(text, comment)
        path, bodies, headers = senders[target]
        world.send(path, data.draw(bodies), headers)

    check()


def test_it_answers_fuzzed_pings_without_a_5xx(
    client: TestClient, session: Session, clock: FakeClock, service: Service
) -> None:
    world = World(client, session, clock, service)
    key = world.keys[IntegrationKind.HEARTBEAT]
    world.silence_by_api([{"name": "summary", "op": "=~", "value": "(.*a){20}"}], "slow")

    @FUZZ
    @given(
        action=st.sampled_from(["", "/start", "/fail", "/log", "/0", "/1", "/255", "/256"])
        | words.map(lambda w: "/" + quote(w, safe="") if w else ""),
        body=st.binary(max_size=200) | values.map(str.encode),
    )
    def check(action: str, body: bytes) -> None:
        before = _counts(session)
        _checked(session, client.post(f"/ping/{key}{action}", content=body), before)

    check()
