"""Schedules, layers, participants and restrictions.

History is never rewritten: once a layer has started, its rotation (shift length, handoff,
restrictions) is fixed; changes take effect from a date, by retiring the layer and continuing
it as a new one, and people join or leave from a date after the shift in progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, User
from takepoint.accounts.service import check_time_zone, slugify
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.lib.numbers import is_digits
from takepoint.lib.removal import remove
from takepoint.oncall import compute
from takepoint.oncall.compute import ShiftUnit
from takepoint.oncall.models import (
    Layer,
    Participant,
    Restriction,
    Schedule,
    SwapRequest,
)
from takepoint.oncall.wallclock import to_instant, to_local, zone

MAX_WINDOW = timedelta(days=400)
MAX_SHIFT = {ShiftUnit.HOURS: 24 * 31, ShiftUnit.DAYS: 366, ShiftUnit.WEEKS: 52}


# --- checks ------------------------------------------------------------------------------------


def check_on_call_user(user: User, field: str = "user_id") -> User:
    if not user.is_active:
        raise InvalidInput(f"{user.display_name} is deactivated", field=field)
    if not user.role.allows(Role.RESPONDER):
        raise InvalidInput(
            f"{user.display_name} is a viewer; only responders and admins go on call", field=field
        )
    return user


def check_window(start: datetime, end: datetime) -> None:
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(
                f"{name} has no UTC offset; send it as ISO 8601 with one, such as "
                "2026-03-29T09:00:00+01:00 or ...Z",
                field=name,
            )
    if end <= start:
        raise InvalidInput("the end must be after the start", field="end")
    if end - start > MAX_WINDOW:
        raise InvalidInput(f"ask for at most {MAX_WINDOW.days} days at a time", field="end")


# What a question about on call may name: a schedule's computation looks weeks either side,
# which past the calendar's edges (year 1 or 9999) no datetime can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def parse_instant(value: str, *, now: datetime, field: str = "at") -> datetime:
    """An ISO 8601 time with a UTC offset, or "now". A time without an offset names no single
    instant (09:00 where?), so it is refused rather than guessed."""
    text = value.strip()
    if text.lower() == "now":
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{field}: {value!r} is not an ISO 8601 time such as 2026-03-29T09:00:00+01:00",
            field=field,
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"{field}: {value!r} is a naive time with no UTC offset, so it names no single "
            f"instant; add one, such as {text}Z or {text}+01:00",
            field=field,
        )
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = datetime.min.replace(tzinfo=UTC)  # past the calendar's edge: refused below
    if not EARLIEST <= moment < LATEST:
        raise InvalidInput(
            f"{field}: {value!r} is outside the years {EARLIEST.year} to {LATEST.year - 1} "
            "that a schedule can answer for",
            field=field,
        )
    return moment


def _check_shift(length: int, unit: ShiftUnit) -> None:
    if not 1 <= length <= MAX_SHIFT[unit]:
        raise InvalidInput(
            f"a shift lasts from 1 to {MAX_SHIFT[unit]} {unit.value}", field="shift_length"
        )


def _check_minutes(value: time, field: str) -> time:
    if value.second or value.microsecond or value.tzinfo is not None:
        raise InvalidInput("give a local time in whole minutes, such as 09:00", field=field)
    return value


# --- schedules ---------------------------------------------------------------------------------


def create_schedule(
    session: Session,
    *,
    name: str,
    time_zone: str,
    now: datetime,
    description: str = "",
    team_id: int | None = None,
    slug: str | None = None,
) -> Schedule:
    name = name.strip()
    if not name:
        raise InvalidInput("the schedule needs a name", field="name")
    slug = slugify(slug or name)
    clash = select(Schedule.id).where((Schedule.name == name) | (Schedule.slug == slug))
    if session.scalar(clash) is not None:
        raise Conflict(f"a schedule named {name!r} already exists", field="name")
    schedule = Schedule(
        name=name,
        slug=slug,
        description=description.strip(),
        time_zone=check_time_zone(time_zone),
        team_id=team_id,
        created_at=now,
    )
    session.add(schedule)
    session.flush()
    return schedule


def update_schedule(
    session: Session,
    *,
    schedule: Schedule,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    time_zone: str | None = None,
) -> Schedule:
    if name is not None and name.strip() != schedule.name:
        name = name.strip()
        if not name:
            raise InvalidInput("the schedule needs a name", field="name")
        clash = select(Schedule.id).where(Schedule.name == name, Schedule.id != schedule.id)
        if session.scalar(clash) is not None:
            raise Conflict(f"a schedule named {name!r} already exists", field="name")
        # The slug stays: scripts, calendar names and configuration files refer to it.
        schedule.name = name
    if description is not None:
        schedule.description = description.strip()
    if time_zone is not None and time_zone != schedule.time_zone:
        check_time_zone(time_zone)
        if any(layer_started(schedule, layer, now) for layer in schedule.layers):
            # Every handoff is a wall-clock time in this zone, past ones included.
            raise Conflict(
                "this schedule's layers have started; changing its zone would move every past "
                "handoff. Create a new schedule in the new zone instead.",
                field="time_zone",
            )
        schedule.time_zone = time_zone
    session.flush()
    return schedule


def delete_schedule(session: Session, *, schedule: Schedule) -> None:
    remove(session, schedule, what=f"schedule {schedule.name!r}", field="schedule")


def _with_layers(query: Select[Schedule]) -> Select[Schedule]:
    return query.options(
        selectinload(Schedule.layers).selectinload(Layer.participants),
        selectinload(Schedule.layers).selectinload(Layer.restrictions),
    )


def get_schedule(session: Session, schedule_id: int) -> Schedule:
    schedule = session.scalar(_with_layers(select(Schedule).where(Schedule.id == schedule_id)))
    if schedule is None:
        raise NotFound(f"no schedule with id {schedule_id}")
    return schedule


def find_schedule(session: Session, ref: str) -> Schedule:
    """A schedule by id, slug or name (any case)."""
    ref = ref.strip()
    if is_digits(ref):
        return get_schedule(session, int(ref))
    found = session.scalar(
        select(Schedule.id).where(
            (Schedule.slug == ref.lower()) | (func.lower(Schedule.name) == ref.lower())
        )
    )
    if found is None:
        raise NotFound(f"no schedule called {ref!r}", field="schedule")
    return get_schedule(session, found)


def list_schedules(session: Session) -> list[Schedule]:
    return list(session.scalars(_with_layers(select(Schedule).order_by(Schedule.name))))


# --- layers ------------------------------------------------------------------------------------


def layer_spec(layer: Layer) -> compute.LayerSpec:
    return compute.LayerSpec(
        id=layer.id,
        level=layer.level,
        start_date=layer.start_date,
        handoff=layer.handoff_time,
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        participants=tuple(
            compute.ParticipantSpec(p.user_id, p.position, p.effective_from, p.effective_until)
            for p in layer.participants
        ),
        restrictions=tuple(
            compute.WindowSpec(r.days, r.start_time, r.end_time) for r in layer.restrictions
        ),
        end_date=layer.end_date,
    )


def layer_started(schedule: Schedule, layer: Layer, now: datetime) -> bool:
    starts = to_instant(
        datetime.combine(layer.start_date, layer.handoff_time), zone(schedule.time_zone)
    )
    return starts <= now


def earliest_change(schedule: Schedule, layer: Layer, now: datetime) -> date | None:
    """The first local date from which this layer's people may change, or None if any date may.

    Changes apply to shifts starting on or after a date; the shift in progress must keep its
    person, so the earliest date is the day after that shift began.
    """
    if not layer_started(schedule, layer, now):
        return None
    rotation = compute.Rotation(layer_spec(layer), zone(schedule.time_zone))
    current = rotation.boundary(max(0, rotation.index_at(now)))
    return to_local(current, zone(schedule.time_zone)).date() + timedelta(days=1)


def _check_change_date(
    schedule: Schedule, layer: Layer, day: date, now: datetime, field: str
) -> None:
    earliest = earliest_change(schedule, layer, now)
    if earliest is not None and day < earliest:
        raise InvalidInput(
            f"changes to {layer.name} take effect from {earliest.isoformat()} at the earliest: "
            "shifts that have started keep their people",
            field=field,
        )


def _check_not_started(schedule: Schedule, layer: Layer, now: datetime, what: str) -> None:
    if layer_started(schedule, layer, now):
        raise Conflict(
            f"{layer.name} has started, so its {what} cannot change without rewriting who was "
            "on call. Continue it as a new layer from a date instead.",
            field=what.replace(" ", "_"),
        )


def add_layer(
    session: Session,
    *,
    schedule: Schedule,
    name: str,
    start_date: date,
    handoff_time: time,
    shift_length: int,
    shift_unit: ShiftUnit,
    now: datetime,
    end_date: date | None = None,
    level: int | None = None,
    participants: Sequence[User] = (),
    restrictions: Iterable[compute.WindowSpec] = (),
) -> Layer:
    name = name.strip()
    if not name:
        raise InvalidInput("the layer needs a name", field="name")
    if any(layer.name == name for layer in schedule.layers):
        raise Conflict(f"{schedule.name} already has a layer named {name!r}", field="name")
    _check_shift(shift_length, shift_unit)
    _check_minutes(handoff_time, "handoff_time")
    if end_date is not None and end_date <= start_date:
        raise InvalidInput("the end date must be after the start date", field="end_date")
    starts = to_instant(datetime.combine(start_date, handoff_time), zone(schedule.time_zone))
    if starts <= now and any(layer_started(schedule, la, now) for la in schedule.layers):
        # A schedule being set up may begin in the past; a running one must not gain
        # on-call time retroactively.
        raise InvalidInput(
            "this schedule is running, so a new layer must start in the future",
            field="start_date",
        )
    if level is None:
        level = max((layer.level for layer in schedule.layers), default=0) + 1
    layer = Layer(
        schedule=schedule,
        name=name,
        level=level,
        start_date=start_date,
        end_date=end_date,
        handoff_time=handoff_time,
        shift_length=shift_length,
        shift_unit=shift_unit,
        created_at=now,
    )
    session.add(layer)
    for position, user in enumerate(participants, start=1):
        layer.participants.append(
            Participant(user=check_on_call_user(user, "participants"), position=position)
        )
    for window in restrictions:
        layer.restrictions.append(_restriction(window))
    session.flush()
    return layer


def get_layer(session: Session, schedule: Schedule, layer_id: int) -> Layer:
    layer = next((la for la in schedule.layers if la.id == layer_id), None)
    if layer is None:
        raise NotFound(f"{schedule.name} has no layer with id {layer_id}")
    return layer


def update_layer(
    session: Session,
    *,
    schedule: Schedule,
    layer: Layer,
    now: datetime,
    name: str | None = None,
    end_date: date | None = None,
    clear_end_date: bool = False,
    start_date: date | None = None,
    handoff_time: time | None = None,
    shift_length: int | None = None,
    shift_unit: ShiftUnit | None = None,
) -> Layer:
    if name is not None and name.strip() != layer.name:
        if not name.strip():
            raise InvalidInput("the layer needs a name", field="name")
        if any(la.name == name.strip() for la in schedule.layers):
            raise Conflict(f"{schedule.name} already has a layer named {name!r}", field="name")
        layer.name = name.strip()
    rotation_changes = {
        "start date": (start_date, "start_date"),
        "handoff time": (handoff_time, "handoff_time"),
        "shift length": (shift_length, "shift_length"),
        "shift unit": (shift_unit, "shift_unit"),
    }
    for what, (value, attribute) in rotation_changes.items():
        if value is not None and value != getattr(layer, attribute):
            _check_not_started(schedule, layer, now, what)
            setattr(layer, attribute, value)
    _check_shift(layer.shift_length, layer.shift_unit)
    _check_minutes(layer.handoff_time, "handoff_time")
    if clear_end_date or end_date is not None:
        if layer.end_date is not None and layer_started(schedule, layer, now):
            _check_change_date(schedule, layer, layer.end_date, now, "end_date")
        if end_date is not None:
            if end_date <= layer.start_date:
                raise InvalidInput("the end date must be after the start date", field="end_date")
            _check_change_date(schedule, layer, end_date, now, "end_date")
        layer.end_date = end_date
    session.flush()
    return layer


def continue_layer(
    session: Session, *, schedule: Schedule, layer: Layer, from_date: date, now: datetime
) -> Layer:
    """Retire `layer` from `from_date` and start an editable copy that carries on from there.

    The copy keeps the same priority, people and restrictions, and begins with whoever the old
    layer would have put on call, so the rotation continues without a jump.
    """
    _check_change_date(schedule, layer, from_date, now, "from_date")
    if from_date <= layer.start_date:
        raise InvalidInput("continue from a date after the layer's start", field="from_date")
    if layer.end_date is not None and from_date >= layer.end_date:
        raise InvalidInput("the layer has ended by then", field="from_date")
    tz = zone(schedule.time_zone)
    rotation = compute.Rotation(layer_spec(layer), tz)
    first = rotation.first_index_on(from_date)
    next_user = rotation.rotation_user(first)
    active = [
        p
        for p in layer.participants
        if (p.effective_until is None or p.effective_until > from_date)
    ]
    start_at = next((i for i, p in enumerate(active) if p.user_id == next_user), 0)
    ordered = active[start_at:] + active[:start_at]
    base = layer.name.split(" (from ")[0]
    successor = Layer(
        schedule=schedule,
        name=f"{base} (from {from_date.isoformat()})"[:100],
        level=layer.level,
        start_date=from_date,
        end_date=layer.end_date,
        handoff_time=layer.handoff_time,
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        created_at=now,
    )
    session.add(successor)
    for position, p in enumerate(ordered, start=1):
        joins = p.effective_from if p.effective_from and p.effective_from > from_date else None
        successor.participants.append(
            Participant(
                user_id=p.user_id,
                position=position,
                effective_from=joins,
                effective_until=p.effective_until,
            )
        )
    for r in layer.restrictions:
        successor.restrictions.append(
            Restriction(days_mask=r.days_mask, start_time=r.start_time, end_time=r.end_time)
        )
    layer.end_date = from_date
    session.flush()
    # Swaps of shifts from the date on belong to the same shifts, now in the successor.
    handover = to_instant(datetime.combine(from_date, layer.handoff_time), tz)
    session.execute(
        update(SwapRequest)
        .where(SwapRequest.layer_id == layer.id, SwapRequest.give_start >= handover)
        .values(layer_id=successor.id)
        .execution_options(synchronize_session="fetch")
    )
    return successor


def delete_layer(session: Session, *, schedule: Schedule, layer: Layer, now: datetime) -> None:
    if layer_started(schedule, layer, now):
        raise Conflict(
            f"{layer.name} has started; give it an end date instead, so its history stays",
            field="layer",
        )
    schedule.layers.remove(layer)
    session.flush()


# --- participants and restrictions -------------------------------------------------------------


def add_participant(
    session: Session,
    *,
    schedule: Schedule,
    layer: Layer,
    user: User,
    now: datetime,
    effective_from: date | None = None,
) -> Participant:
    """Add someone at the end of the rotation order, from a date (the earliest allowed if none)."""
    check_on_call_user(user)
    earliest = earliest_change(schedule, layer, now)
    if effective_from is None:
        effective_from = earliest
    elif earliest is not None:
        _check_change_date(schedule, layer, effective_from, now, "effective_from")
    position = max((p.position for p in layer.participants), default=0) + 1
    participant = Participant(user=user, position=position, effective_from=effective_from)
    layer.participants.append(participant)
    session.flush()
    return participant


def get_participant(layer: Layer, participant_id: int) -> Participant:
    found = next((p for p in layer.participants if p.id == participant_id), None)
    if found is None:
        raise NotFound(f"{layer.name} has no participant with id {participant_id}")
    return found


def end_participant(
    session: Session,
    *,
    schedule: Schedule,
    layer: Layer,
    participant: Participant,
    until: date | None,
    now: datetime,
) -> Participant:
    """Take someone out of the rotation for shifts starting on or after `until`."""
    if until is None:
        until = earliest_change(schedule, layer, now) or layer.start_date
    _check_change_date(schedule, layer, until, now, "effective_until")
    if participant.effective_until is not None:
        _check_change_date(schedule, layer, participant.effective_until, now, "effective_until")
    if participant.effective_from is not None and until <= participant.effective_from:
        raise InvalidInput("they leave before they join", field="effective_until")
    participant.effective_until = until
    session.flush()
    return participant


def remove_participant(
    session: Session, *, schedule: Schedule, layer: Layer, participant: Participant, now: datetime
) -> None:
    """Delete a participant who has not yet taken part; others are ended with a date."""
    earliest = earliest_change(schedule, layer, now)
    if earliest is not None and (
        participant.effective_from is None or participant.effective_from < earliest
    ):
        raise Conflict(
            f"{participant.user.display_name} has been in this rotation; set the date they "
            "leave instead, so the history stays",
            field="participant",
        )
    layer.participants.remove(participant)
    session.flush()


def _restriction(window: compute.WindowSpec) -> Restriction:
    if not window.days or not window.days <= frozenset(range(7)):
        raise InvalidInput("choose at least one day of the week", field="days")
    _check_minutes(window.start, "start_time")
    _check_minutes(window.end, "end_time")
    return Restriction(
        days_mask=sum(1 << d for d in window.days), start_time=window.start, end_time=window.end
    )


def add_restriction(
    session: Session,
    *,
    schedule: Schedule,
    layer: Layer,
    window: compute.WindowSpec,
    now: datetime,
) -> Restriction:
    _check_not_started(schedule, layer, now, "restrictions")
    restriction = _restriction(window)
    layer.restrictions.append(restriction)
    session.flush()
    return restriction


def remove_restriction(
    session: Session, *, schedule: Schedule, layer: Layer, restriction_id: int, now: datetime
) -> None:
    found = next((r for r in layer.restrictions if r.id == restriction_id), None)
    if found is None:
        raise NotFound(f"{layer.name} has no restriction with id {restriction_id}")
    _check_not_started(schedule, layer, now, "restrictions")
    layer.restrictions.remove(found)
    session.flush()
