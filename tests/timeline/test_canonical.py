"""The fast hash used by verification is the documented canonical form, byte for byte."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from takepoint.timeline.chain import GENESIS, _fast_hash, canonical

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
# Hypothesis takes naive bounds and adds the zones itself.
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]),
)


@given(
    chain=st.text(min_size=1, max_size=20),
    seq=st.integers(min_value=1, max_value=10**9),
    at=moments,
    actor_id=st.none() | st.integers(min_value=1, max_value=10**9),
    kind=st.text(max_size=20),
    text=st.text(),
    data=st.dictionaries(st.text(), json_values, max_size=4),
)
def test_it_hashes_exactly_the_canonical_form(
    chain: str,
    seq: int,
    at: datetime,
    actor_id: int | None,
    kind: str,
    text: str,
    data: dict[str, object],
) -> None:
    reference = hashlib.sha256(
        canonical(
            chain=chain,
            seq=seq,
            at=at,
            actor_id=actor_id,
            kind=kind,
            text=text,
            data=data,
            prev_hash=GENESIS,
        )
    ).hexdigest()
    sqlite_text = at.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert _fast_hash(chain, seq, at, actor_id, kind, text, data, GENESIS) == reference
    assert _fast_hash(chain, seq, sqlite_text, actor_id, kind, text, json.dumps(data), GENESIS) == (
        reference
    )


def test_it_writes_the_documented_example() -> None:
    document = canonical(
        chain="incident:42",
        seq=7,
        at=datetime(2026, 3, 2, 7, 40, tzinfo=UTC),
        actor_id=3,
        kind="note",
        text="Asked Priya: reboot? Théâtre says no",
        data={"note": "x", "a": [1, 2]},
        prev_hash=GENESIS,
    )
    assert document.decode() == (
        '{"actor_id":3,"at":"2026-03-02T07:40:00.000000Z","chain":"incident:42",'
        '"data":{"a":[1,2],"note":"x"},"kind":"note","prev_hash":"' + GENESIS + '",'
        '"seq":7,"text":"Asked Priya: reboot? Théâtre says no"}'
    )
