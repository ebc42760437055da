"""Schedule maths, with no database: layers, restrictions, swaps and overrides to a timeline.

Every boundary is computed in the schedule's local wall time and turned into an instant by the
rule in `wallclock` (a skipped time happens when the clocks jump; a repeated time happens the
first time). A rotation that hands off at 09:00 hands off at 09:00 local on both sides of a
daylight-saving change, so a one-day shift that contains the change lasts 23 or 25 hours.

The result tiles the window exactly: ordered, non-overlapping segments, with explicit "nobody"
segments wherever no layer and no override has someone.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from takepoint.oncall.wallclock import at, to_instant, to_local, zone

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ShiftUnit(enum.StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"

    def step(self, length: int) -> timedelta:
        # Wall-clock steps: added to naive local times, never to instants.
        if self is ShiftUnit.HOURS:
            return timedelta(hours=length)
        return timedelta(days=length * (7 if self is ShiftUnit.WEEKS else 1))


@dataclass(frozen=True, slots=True)
class ParticipantSpec:
    user_id: int
    position: int
    # Local dates: the participant takes shifts that start on or after `effective_from` and
    # before `effective_until`. Shifts before a change keep their people.
    effective_from: date | None = None
    effective_until: date | None = None


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A restriction: on each of `days` (0 is Monday), from `start` to `end` local time.

    An `end` at or before `start` ends on the next day (18:00-08:00); equal times mean 24 hours.
    """

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class LayerSpec:
    id: int
    level: int
    start_date: date
    handoff: time
    shift_length: int
    shift_unit: ShiftUnit
    participants: tuple[ParticipantSpec, ...]
    restrictions: tuple[WindowSpec, ...] = ()
    end_date: date | None = None


@dataclass(frozen=True, slots=True)
class OverrideSpec:
    id: int
    user_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class SwapSpec:
    """An accepted swap: the layer shift starting at `shift_start` moves between two people."""

    id: int
    layer_id: int
    shift_start: datetime
    from_user_id: int
    to_user_id: int


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    zone: str
    layers: tuple[LayerSpec, ...]
    overrides: tuple[OverrideSpec, ...] = ()
    swaps: tuple[SwapSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class Shift:
    """One rotation shift of a layer, before restrictions, with accepted swaps applied."""

    layer_id: int
    start: datetime
    end: datetime
    user_id: int | None
    rotation_user_id: int | None
    swap_id: int | None


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    end: datetime
    user_id: int | None
    layer_id: int | None = None
    shift_start: datetime | None = None
    override_id: int | None = None
    swap_id: int | None = None

    @property
    def nobody(self) -> bool:
        return self.user_id is None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def origin(self) -> tuple[int | None, int | None, datetime | None, int | None, int | None]:
        return (self.user_id, self.layer_id, self.shift_start, self.override_id, self.swap_id)


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    final: list[Segment]
    layers: dict[int, list[Segment]] = field(default_factory=dict)

    def at(self, instant: datetime) -> Segment:
        if not self.start <= instant < self.end:
            raise ValueError(f"{instant.isoformat()} is outside the computed window")
        index = bisect_right([s.start for s in self.final], instant) - 1
        return self.final[index]


class Rotation:
    """One layer's rotation: shift k starts at the wall-clock time anchor + k * step."""

    def __init__(self, layer: LayerSpec, tz: ZoneInfo, swaps: Sequence[SwapSpec] = ()) -> None:
        self.layer = layer
        self.tz = tz
        self.anchor = datetime.combine(layer.start_date, layer.handoff)
        self.step = layer.shift_unit.step(layer.shift_length)
        self.starts_at = to_instant(self.anchor, tz)
        self.ends_at = (
            to_instant(datetime.combine(layer.end_date, layer.handoff), tz)
            if layer.end_date is not None
            else None
        )
        self._swaps: dict[datetime, list[SwapSpec]] = {}
        for swap in sorted(swaps, key=lambda s: s.id):
            if swap.layer_id == layer.id:
                self._swaps.setdefault(swap.shift_start, []).append(swap)
        self._build_eras()

    def boundary(self, k: int) -> datetime:
        return to_instant(self.anchor + k * self.step, self.tz)

    def first_index_on(self, day: date) -> int:
        """The first shift that starts on or after local `day`."""
        delta = datetime.combine(day, time(0)) - self.anchor
        return max(0, -(-delta // self.step))

    def index_at(self, instant: datetime) -> int:
        """The shift containing `instant` (negative before the layer starts)."""
        k = (to_local(instant, self.tz) - self.anchor) // self.step
        # The estimate is off by at most the local offset change, which is rare; correct it.
        while self.boundary(k) > instant:
            k -= 1
        while self.boundary(k + 1) <= instant:
            k += 1
        return k

    def _build_eras(self) -> None:
        # Eras are runs of shifts with the same active participants. Within an era people take
        # turns in position order; at a change the turn passes to whoever comes next after the
        # last person on call, so adding or removing someone never reshuffles the others.
        ordered = sorted(self.layer.participants, key=lambda p: p.position)
        ranges = [
            (
                p,
                self.first_index_on(p.effective_from) if p.effective_from else 0,
                self.first_index_on(p.effective_until) if p.effective_until else None,
            )
            for p in ordered
        ]
        changes = {0}
        for _, first, last in ranges:
            changes.add(first)
            if last is not None:
                changes.add(last)
        self._era_starts: list[int] = sorted(changes)
        self._eras: list[tuple[list[ParticipantSpec], int]] = []
        for k in self._era_starts:
            active = [p for p, first, last in ranges if first <= k and (last is None or k < last)]
            offset = 0
            previous = self._participant(k - 1) if self._eras else None
            if active and previous is not None:
                later = [i for i, p in enumerate(active) if p.position > previous.position]
                offset = later[0] if later else 0
            self._eras.append((active, offset))

    def _participant(self, k: int) -> ParticipantSpec | None:
        era = bisect_right(self._era_starts, k) - 1
        active, offset = self._eras[era]
        if not active:
            return None
        return active[(offset + k - self._era_starts[era]) % len(active)]

    def rotation_user(self, k: int) -> int | None:
        participant = self._participant(k) if k >= 0 else None
        return participant.user_id if participant is not None else None

    def shifts(self, start: datetime, end: datetime) -> Iterator[Shift]:
        """Every shift overlapping [start, end), unclipped, with accepted swaps applied."""
        begin = max(start, self.starts_at)
        if self.ends_at is not None:
            end = min(end, self.ends_at)
        if begin >= end:
            return
        k = max(0, self.index_at(begin))
        shift_start = self.boundary(k)
        while shift_start < end:
            shift_end = self.boundary(k + 1)
            if self.ends_at is not None:
                shift_end = min(shift_end, self.ends_at)
            # A shift whose wall-clock start was skipped entirely (hourly shifts on a
            # spring-forward night) has no length and is left out.
            if shift_end > shift_start:
                yield self._assign(k, shift_start, shift_end)
            k += 1
            shift_start = shift_end

    def _assign(self, k: int, start: datetime, end: datetime) -> Shift:
        rotation_user = self.rotation_user(k)
        user, swap_id = rotation_user, None
        for swap in self._swaps.get(start, ()):
            if swap.from_user_id == user:
                user, swap_id = swap.to_user_id, swap.id
        return Shift(self.layer.id, start, end, user, rotation_user, swap_id)


def restriction_windows(
    windows: Sequence[WindowSpec], tz: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The union of a layer's restriction windows over [start, end), as sorted instants."""
    first = to_local(start, tz).date() - timedelta(days=1)
    last = to_local(end, tz).date() + timedelta(days=1)
    found: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for window in windows:
            if day.weekday() not in window.days:
                continue
            closing_day = day if window.end > window.start else day + timedelta(days=1)
            opens, closes = at(day, window.start, tz), at(closing_day, window.end, tz)
            if closes > start and opens < end and closes > opens:
                found.append((max(opens, start), min(closes, end)))
        day += timedelta(days=1)
    found.sort()
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in found:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def _layer_pieces(
    rotation: Rotation, tz: ZoneInfo, start: datetime, end: datetime
) -> list[Segment]:
    pieces = []
    for shift in rotation.shifts(start, end):
        if shift.user_id is None:
            continue
        pieces.append(
            Segment(
                max(shift.start, start),
                min(shift.end, end),
                shift.user_id,
                layer_id=shift.layer_id,
                shift_start=shift.start,
                swap_id=shift.swap_id,
            )
        )
    if not rotation.layer.restrictions or not pieces:
        return pieces
    windows = restriction_windows(rotation.layer.restrictions, tz, pieces[0].start, end)
    return _intersect(pieces, windows)


def _intersect(pieces: list[Segment], windows: list[tuple[datetime, datetime]]) -> list[Segment]:
    out = []
    w = 0
    for piece in pieces:
        while w < len(windows) and windows[w][1] <= piece.start:
            w += 1
        j = w
        while j < len(windows) and windows[j][0] < piece.end:
            lo, hi = max(piece.start, windows[j][0]), min(piece.end, windows[j][1])
            if hi > lo:
                out.append(_with_bounds(piece, lo, hi))
            j += 1
    return out


def _with_bounds(segment: Segment, start: datetime, end: datetime) -> Segment:
    return Segment(
        start,
        end,
        segment.user_id,
        segment.layer_id,
        segment.shift_start,
        segment.override_id,
        segment.swap_id,
    )


def flatten(
    lists: Sequence[Sequence[Segment]], start: datetime, end: datetime, *, fill: bool = True
) -> list[Segment]:
    """Stack sorted, non-overlapping segment lists; the first list that covers an instant wins.

    With `fill`, the result tiles [start, end) and uncovered time becomes "nobody".
    """
    if len(lists) == 1:
        return _fill(lists[0], start, end) if fill else list(lists[0])
    points = {start, end}
    for segments in lists:
        for s in segments:
            points.add(s.start)
            points.add(s.end)
    cursor = [0] * len(lists)
    # [start, end, the segment that covers it (or None)], extended while the origin repeats.
    spans: list[list[Any]] = []
    for lo, hi in pairwise(sorted(p for p in points if start <= p <= end)):
        chosen: Segment | None = None
        for i, segments in enumerate(lists):
            p = cursor[i]
            while p < len(segments) and segments[p].end <= lo:
                p += 1
            cursor[i] = p
            if p < len(segments) and segments[p].start <= lo:
                chosen = segments[p]
                break
        if chosen is None and not fill:
            continue
        if spans and spans[-1][1] == lo and _same_origin(spans[-1][2], chosen):
            spans[-1][1] = hi
        else:
            spans.append([lo, hi, chosen])
    return [_span(lo, hi, chosen) for lo, hi, chosen in spans]


def _same_origin(a: Segment | None, b: Segment | None) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or a.origin() == b.origin()


def _span(start: datetime, end: datetime, origin: Segment | None) -> Segment:
    return Segment(start, end, None) if origin is None else _with_bounds(origin, start, end)


def _fill(segments: Sequence[Segment], start: datetime, end: datetime) -> list[Segment]:
    out: list[Segment] = []
    cursor = start
    for segment in segments:
        if segment.start > cursor:
            out.append(Segment(cursor, segment.start, None))
        out.append(segment)
        cursor = segment.end
    if cursor < end:
        out.append(Segment(cursor, end, None))
    return out


def compute(spec: ScheduleSpec, start: datetime, end: datetime) -> Timeline:
    """The final timeline of a schedule for [start, end), and each layer's own timeline."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the window must be timezone-aware")
    if end <= start:
        return Timeline(start, end, [], {layer.id: [] for layer in spec.layers})
    tz = zone(spec.zone)
    per_layer: dict[int, list[Segment]] = {}
    for layer in spec.layers:
        per_layer[layer.id] = _layer_pieces(Rotation(layer, tz, spec.swaps), tz, start, end)
    # Where overrides overlap, the one created last wins.
    overrides = flatten(
        [
            [Segment(max(o.start, start), min(o.end, end), o.user_id, override_id=o.id)]
            for o in sorted(spec.overrides, key=lambda o: o.id, reverse=True)
            if o.end > start and o.start < end and o.end > o.start
        ],
        start,
        end,
        fill=False,
    )
    top_first = sorted(spec.layers, key=lambda layer: layer.level, reverse=True)
    final = flatten([overrides, *(per_layer[layer.id] for layer in top_first)], start, end)
    layers = {layer_id: flatten([p], start, end) for layer_id, p in per_layer.items()}
    return Timeline(start, end, final, layers)


def layer_shifts(spec: ScheduleSpec, layer_id: int, start: datetime, end: datetime) -> list[Shift]:
    """The rotation shifts of one layer overlapping [start, end), for choosing what to swap."""
    layer = next((layer for layer in spec.layers if layer.id == layer_id), None)
    if layer is None:
        return []
    return list(Rotation(layer, zone(spec.zone), spec.swaps).shifts(start, end))


@dataclass(frozen=True, slots=True)
class Run:
    """Continuous time on call for one person, across shift boundaries and overrides."""

    user_id: int
    start: datetime
    end: datetime


def runs(final: Sequence[Segment]) -> list[Run]:
    out: list[Run] = []
    for segment in final:
        if segment.user_id is None:
            continue
        if out and out[-1].user_id == segment.user_id and out[-1].end == segment.start:
            out[-1] = Run(segment.user_id, out[-1].start, segment.end)
        else:
            out.append(Run(segment.user_id, segment.start, segment.end))
    return out


def describe_window(window: WindowSpec) -> str:
    days = ", ".join(WEEKDAYS[d] for d in sorted(window.days))
    if window.days == frozenset(range(5)):
        days = "weekdays"
    elif window.days == frozenset({5, 6}):
        days = "weekends"
    elif window.days == frozenset(range(7)):
        days = "every day"
    return f"{days} {window.start:%H:%M}-{window.end:%H:%M}"
