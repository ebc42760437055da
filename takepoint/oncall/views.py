"""What the on-call pages show, prepared in Python so templates stay plain.

Times are shown in the viewer's zone; where the schedule's zone differs, its local time is
shown beside them, since handoffs are defined in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from takepoint.accounts.models import User
from takepoint.oncall.compute import Segment, Shift, Timeline
from takepoint.oncall.models import Layer, Schedule
from takepoint.oncall.wallclock import local_days, to_local, zone

PALETTE = 8


def when(moment: datetime, tz: ZoneInfo, fmt: str = "%a %d %b %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt)


def initials(name: str) -> str:
    return "".join(part[0] for part in name.split()[:2]).upper() or "?"


def colours(people: dict[int, User]) -> dict[int, str]:
    return {uid: f"p{i % PALETTE}" for i, uid in enumerate(sorted(people))}


def via(segment: Segment, layers: dict[int, Layer]) -> str:
    if segment.override_id is not None:
        return "override"
    layer = layers.get(segment.layer_id or 0)
    name = layer.name if layer else "layer"
    return f"{name}, swapped" if segment.swap_id is not None else name


@dataclass(frozen=True)
class Block:
    left: float
    width: float
    label: str
    colour: str
    title: str


@dataclass(frozen=True)
class Track:
    name: str
    blocks: list[Block]


@dataclass(frozen=True)
class Entry:
    when: str
    person: str
    colour: str
    via: str
    schedule_time: str
    nobody: bool


@dataclass
class Day:
    label: str
    entries: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Ticks:
    left: float
    weekday: str
    day: int


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def _block(
    segment: Segment,
    window: Window,
    people: dict[int, User],
    palette: dict[int, str],
    tz: ZoneInfo,
) -> Block | None:
    span = (window.end - window.start).total_seconds()
    lo, hi = max(segment.start, window.start), min(segment.end, window.end)
    if hi <= lo:
        return None
    user = people.get(segment.user_id) if segment.user_id is not None else None
    name = user.display_name if user else "nobody"
    return Block(
        left=round((lo - window.start).total_seconds() / span * 100, 3),
        width=round((hi - lo).total_seconds() / span * 100, 3),
        label=initials(name) if user else "",
        colour=palette.get(segment.user_id, "nobody") if segment.user_id else "nobody",
        title=f"{name}: {when(segment.start, tz)} to {when(segment.end, tz)}",
    )


def tracks(
    schedule: Schedule,
    result: Timeline,
    window: Window,
    people: dict[int, User],
    viewer_zone: str,
) -> list[Track]:
    """One bar for the final result and one per layer, over `window` (inside `result`)."""
    tz, palette = zone(viewer_zone), colours(people)

    def blocks(segments: list[Segment]) -> list[Block]:
        found = (_block(s, window, people, palette, tz) for s in segments)
        return [b for b in found if b is not None]

    out = [Track("Final", blocks(result.final))]
    for layer in reversed(schedule.layers):
        segments = [
            s
            for s in result.layers.get(layer.id, [])
            if s.end > window.start and s.start < window.end
        ]
        if all(s.nobody for s in segments):
            continue  # a retired or not yet started layer adds nothing to these two weeks
        out.append(Track(layer.name, blocks(segments)))
    return out


def ticks(window: Window, viewer_zone: str) -> list[Ticks]:
    tz = zone(viewer_zone)
    span = (window.end - window.start).total_seconds()
    return [
        Ticks(round((opens - window.start).total_seconds() / span * 100, 3), f"{day:%a}", day.day)
        for day, opens, _ in local_days(window.start, window.end, tz)
        if opens >= window.start
    ]


def days(
    schedule: Schedule,
    result: Timeline,
    window: Window,
    people: dict[int, User],
    viewer_zone: str,
) -> list[Day]:
    """Each day of `window` in the viewer's zone, with who is on call during it. `result` is
    computed wider than the window, so shifts crossing its edges show their real times."""
    tz, home = zone(viewer_zone), zone(schedule.time_zone)
    palette = colours(people)
    layers = {layer.id: layer for layer in schedule.layers}
    out = []
    for day, opens, closes in local_days(window.start, window.end, tz):
        entry_day = Day(day.strftime("%A %d %B"))
        for segment in result.final:
            if segment.end <= opens or segment.start >= closes:
                continue
            user = people.get(segment.user_id) if segment.user_id is not None else None
            entry_day.entries.append(
                Entry(
                    when=_span(segment, opens, closes, tz),
                    person=user.display_name if user else "Nobody on call",
                    colour=palette.get(segment.user_id, "nobody") if segment.user_id else "nobody",
                    via=via(segment, layers) if user else "gap",
                    schedule_time=(
                        ""
                        if viewer_zone == schedule.time_zone
                        else f"{when(segment.start, home, '%a %H:%M')}-"
                        f"{when(segment.end, home, '%a %H:%M')} {schedule.time_zone}"
                    ),
                    nobody=user is None,
                )
            )
        out.append(entry_day)
    return out


def _span(segment: Segment, opens: datetime, closes: datetime, tz: ZoneInfo) -> str:
    """How a segment reads within one day: "09:00-17:00", "until 09:00", "from 18:00 (until
    Tue 08:00)" or "all day (until Mon 30 09:00)"."""
    starts = to_local(segment.start, tz).strftime("%H:%M")
    ends = to_local(segment.end, tz)
    ends_today = ends.strftime("%H:%M")
    ends_later = ends.strftime("%a %d %H:%M")
    if segment.start > opens and segment.end < closes:
        return f"{starts}\u2013{ends_today}"
    if segment.start > opens:
        return f"from {starts} (until {ends_later})"
    if segment.end < closes:
        return f"until {ends_today}"
    return f"all day (until {ends_later})"


@dataclass(frozen=True)
class ShiftChoice:
    value: str
    label: str
    user_id: int | None


def shift_choices(
    shifts: list[Shift], layers: dict[int, Layer], people: dict[int, User], viewer_zone: str
) -> list[ShiftChoice]:
    tz = zone(viewer_zone)
    out = []
    for shift in shifts:
        user = people.get(shift.user_id) if shift.user_id is not None else None
        layer = layers.get(shift.layer_id)
        out.append(
            ShiftChoice(
                value=f"{shift.layer_id}|{shift.start.isoformat()}",
                label=f"{user.display_name if user else 'nobody'}: "
                f"{layer.name if layer else 'layer'}, {when(shift.start, tz)} to "
                f"{when(shift.end, tz)}",
                user_id=shift.user_id,
            )
        )
    return out


def window_start(now: datetime, viewer_zone: str) -> datetime:
    """Midnight today in the viewer's zone: the page's two weeks start at the top of today."""
    tz = zone(viewer_zone)
    first = local_days(now, now + timedelta(seconds=1), tz)[0]
    return first[1]
