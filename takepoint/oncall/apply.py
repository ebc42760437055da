"""The `schedules` section of configuration files: schedules, their layers, people, restrictions.

Overrides and swaps are day-to-day operations, not configuration, so files never carry them.
The rules that keep history intact apply here as everywhere: once a layer has started, its
rotation and restrictions are fixed, people keep their order, and people join or leave with
`from` and `until` dates after the shift in progress. A participant's `from` or `until` left
out of the file leaves the stored date as it is.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.accounts.service import check_time_zone
from takepoint.lib.apply import Action, Change, Context, Entry, FileModel, Section, describe
from takepoint.lib.errors import InvalidInput
from takepoint.oncall import service
from takepoint.oncall.compute import ShiftUnit, WindowSpec, describe_window
from takepoint.oncall.models import Layer, Participant, Restriction, Schedule
from takepoint.oncall.schemas import Weekday, weekdays
from takepoint.oncall.wallclock import to_instant, zone


def _clock_time(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 18:00 as the base-60 number 1080: refuse rather than guess.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"write times in quotes, such as '18:00' (YAML read {value} as a number)")
    return value


class ParticipantItem(FileModel):
    user: str = Field(description="Email of the person.")
    joins: date | None = Field(
        default=None, alias="from", description="First local date of shifts they take."
    )
    until: date | None = Field(default=None, description="They take no shift from this date.")


class WindowItem(FileModel):
    days: list[Weekday] = Field(min_length=1)
    start: time = Field(description="Local time, quoted: '18:00'.")
    end: time = Field(description="Local time, quoted; at or before start means the next day.")

    _times = field_validator("start", "end", mode="before")(_clock_time)

    def spec(self) -> WindowSpec:
        return WindowSpec(frozenset(d.number for d in self.days), self.start, self.end)


class LayerItem(FileModel):
    name: str = Field(min_length=1, max_length=100, description="Matches the layer.")
    start_date: date
    end_date: date | None = None
    handoff_time: time = Field(description="Local time in the schedule's zone, quoted: '09:00'.")
    shift_length: int = Field(ge=1)
    shift_unit: ShiftUnit
    participants: list[str | ParticipantItem] = Field(
        default_factory=list, description="In rotation order: emails, or {user, from, until}."
    )
    restrictions: list[WindowItem] = Field(default_factory=list)

    _times = field_validator("handoff_time", mode="before")(_clock_time)

    def people(self) -> list[ParticipantItem]:
        return [
            p if isinstance(p, ParticipantItem) else ParticipantItem(user=p)
            for p in self.participants
        ]


class ScheduleItem(FileModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100, description="Matches.")
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(description="IANA zone; handoffs happen in its local time.")
    description: str = ""
    team: str | None = Field(default=None, description="Slug of the team.")
    layers: list[LayerItem] = Field(default_factory=list, description="Lowest first.")

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            return check_time_zone(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None


def _schedules(session: Session) -> dict[str, Schedule]:
    return {s.slug: s for s in service.list_schedules(session)}


def _windows(layer: Layer) -> list[str]:
    return sorted(
        describe_window(WindowSpec(r.days, r.start_time, r.end_time)) for r in layer.restrictions
    )


def _file_windows(item: LayerItem) -> list[str]:
    return sorted(describe_window(w.spec()) for w in item.restrictions)


def _rotation(layer: Layer) -> dict[str, object]:
    return {
        "start_date": layer.start_date,
        "handoff_time": layer.handoff_time.strftime("%H:%M"),
        "shift_length": layer.shift_length,
        "shift_unit": layer.shift_unit.value,
    }


def _file_rotation(item: LayerItem) -> dict[str, object]:
    return {
        "start_date": item.start_date,
        "handoff_time": item.handoff_time.strftime("%H:%M"),
        "shift_length": item.shift_length,
        "shift_unit": item.shift_unit.value,
    }


def _same_person(stored: Participant, wanted: ParticipantItem) -> bool:
    return stored.user.email == wanted.user.strip().lower()


def _date_changes(stored: Participant, wanted: ParticipantItem) -> dict[str, tuple[Any, Any]]:
    changes = {}
    if "joins" in wanted.model_fields_set and wanted.joins != stored.effective_from:
        changes["from"] = (stored.effective_from, wanted.joins)
    if "until" in wanted.model_fields_set and wanted.until != stored.effective_until:
        changes["until"] = (stored.effective_until, wanted.until)
    return changes


class SchedulesSection(Section[ScheduleItem]):
    key = "schedules"
    kind = "schedule"
    model = ScheduleItem
    description = "On-call schedules: layers (rotations), their people and restrictions."

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(Schedule.slug)))

    def check(self, ctx: Context, entries: list[Entry[ScheduleItem]]) -> None:
        current = _schedules(ctx.session)
        teams = ctx.names.get("teams") or set(ctx.session.scalars(select(Team.slug)))
        for entry in entries:
            item = entry.item
            if item.team and item.team not in teams:
                ctx.report(entry, ("team",), f"unknown team '{item.team}'")
            seen: set[str] = set()
            for i, layer in enumerate(item.layers):
                if layer.name in seen:
                    ctx.report(entry, ("layers", i, "name"), f"duplicate layer '{layer.name}'")
                seen.add(layer.name)
                if layer.end_date is not None and layer.end_date <= layer.start_date:
                    ctx.report(entry, ("layers", i, "end_date"), "ends before it starts")
                limit = service.MAX_SHIFT[layer.shift_unit]
                if layer.shift_length > limit:
                    message = f"a shift lasts at most {limit} {layer.shift_unit.value}"
                    ctx.report(entry, ("layers", i, "shift_length"), message)
                for j, person in enumerate(layer.people()):
                    if not ctx.knows("users", person.user.strip().lower()):
                        path = ("layers", i, "participants", j)
                        ctx.report(entry, path, f"unknown user '{person.user}'")
            schedule = current.get(item.slug)
            if schedule is not None:
                self._check_history(ctx, entry, schedule)

    def _check_history(self, ctx: Context, entry: Entry[ScheduleItem], schedule: Schedule) -> None:
        item, now = entry.item, ctx.now
        started = {la.id for la in schedule.layers if service.layer_started(schedule, la, now)}
        if item.time_zone != schedule.time_zone and started:
            ctx.report(
                entry,
                ("time_zone",),
                "its layers have started; a new zone would move every past handoff",
            )
        by_name = {layer.name: layer for layer in schedule.layers}
        kept = {la.name for la in item.layers}
        for gone in (la for la in schedule.layers if la.id in started and la.name not in kept):
            ctx.report(
                entry,
                ("layers",),
                f"layer '{gone.name}' has started; keep it (set end_date to retire it)",
            )
        for i, wanted in enumerate(item.layers):
            layer = by_name.get(wanted.name)
            if layer is None:
                starts = to_instant(
                    datetime.combine(wanted.start_date, wanted.handoff_time),
                    zone(item.time_zone),
                )
                if started and starts <= now:
                    message = "this schedule is running, so a new layer must start later"
                    ctx.report(entry, ("layers", i, "start_date"), message)
                continue
            if layer.id not in started:
                continue
            earliest = service.earliest_change(schedule, layer, now)
            for key, old in _rotation(layer).items():
                if _file_rotation(wanted)[key] != old:
                    message = f"'{layer.name}' has started, so its {key} is fixed; continue it "
                    ctx.report(entry, ("layers", i, key), message + "as a new layer instead")
            if _windows(layer) != _file_windows(wanted):
                message = f"'{layer.name}' has started, so its restrictions are fixed"
                ctx.report(entry, ("layers", i, "restrictions"), message)
            if wanted.end_date != layer.end_date and earliest is not None:
                for day in (wanted.end_date, layer.end_date):
                    if day is not None and day < earliest:
                        message = f"changes take effect from {earliest} at the earliest"
                        ctx.report(entry, ("layers", i, "end_date"), message)
                        break
            self._check_people(ctx, entry, i, layer, wanted, earliest)

    def _check_people(
        self,
        ctx: Context,
        entry: Entry[ScheduleItem],
        index: int,
        layer: Layer,
        wanted: LayerItem,
        earliest: date | None,
    ) -> None:
        people = wanted.people()
        for j, stored in enumerate(layer.participants):
            path = ("layers", index, "participants", j)
            if j >= len(people):
                if stored.effective_from is None or (earliest and stored.effective_from < earliest):
                    who = stored.user.email
                    ctx.report(
                        entry,
                        ("layers", index, "participants"),
                        (f"{who} has been in '{layer.name}'; give them an until date instead"),
                    )
                continue
            if not _same_person(stored, people[j]):
                message = "the order of people in a started layer is fixed; add people at the end"
                ctx.report(entry, path, message)
                continue
            for key, (old, new) in _date_changes(stored, people[j]).items():
                # A date before the earliest, or a `from` added to or taken from someone who
                # has taken part, would change shifts that have started.
                rewrites = (key == "from" and (old is None or new is None)) or any(
                    d is not None and d < earliest for d in (old, new) if earliest is not None
                )
                if earliest is not None and rewrites:
                    message = f"{key}: changes take effect from {earliest} at the earliest"
                    ctx.report(entry, path, message)
        for j in range(len(layer.participants), len(people)):
            joins = people[j].joins
            if joins is not None and earliest is not None and joins < earliest:
                message = f"from: people join from {earliest} at the earliest"
                ctx.report(entry, ("layers", index, "participants", j), message)

    def plan(self, ctx: Context, entries: list[Entry[ScheduleItem]]) -> list[Change]:
        current = _schedules(ctx.session)
        changes = []
        for entry in entries:
            item = entry.item
            schedule = current.get(item.slug)
            if schedule is None:
                layers = ", ".join(la.name for la in item.layers) or "no layers"
                changes.append(Change(Action.CREATE, self.kind, item.slug, (f"layers: {layers}",)))
                continue
            if details := self._diff(entry, schedule):
                changes.append(Change(Action.UPDATE, self.kind, item.slug, tuple(details)))
        return changes

    def _diff(self, entry: Entry[ScheduleItem], schedule: Schedule) -> list[str]:
        item = entry.item
        team = schedule.team.slug if schedule.team else None
        details = [
            describe(name, old, new)
            for name, old, new in (
                ("name", schedule.name, item.name),
                ("time_zone", schedule.time_zone, item.time_zone),
                ("description", schedule.description, item.description.strip()),
                ("team", team, item.team),
            )
            if entry.given(name) and old != new
        ]
        by_name = {layer.name: layer for layer in schedule.layers}
        wanted_names = {la.name for la in item.layers}
        details += [f"remove layer {n}" for n in by_name if n not in wanted_names]
        for wanted in item.layers:
            layer = by_name.get(wanted.name)
            if layer is None:
                details.append(f"add layer {wanted.name}")
                continue
            prefix = f"{wanted.name}: "
            old, new = _rotation(layer), _file_rotation(wanted)
            details += [prefix + describe(k, old[k], new[k]) for k in old if old[k] != new[k]]
            if layer.end_date != wanted.end_date:
                details.append(prefix + describe("end_date", layer.end_date, wanted.end_date))
            if _windows(layer) != _file_windows(wanted):
                details.append(
                    prefix + describe("restrictions", _windows(layer), _file_windows(wanted))
                )
            details += [prefix + d for d in self._people_diff(layer, wanted)]
        return details

    def _people_diff(self, layer: Layer, wanted: LayerItem) -> list[str]:
        before = [p.user.email for p in layer.participants]
        people = wanted.people()
        after = [p.user.strip().lower() for p in people]
        details = []
        if before != after:
            details.append(describe("participants", before, after))
        for stored, person in zip(layer.participants, people, strict=False):
            if _same_person(stored, person):
                for key, (old, new) in _date_changes(stored, person).items():
                    details.append(describe(f"{person.user} {key}", old, new))
        return details

    def write(
        self, ctx: Context, entries: list[Entry[ScheduleItem]], changes: list[Change]
    ) -> None:
        wanted = {c.name for c in changes}
        current = _schedules(ctx.session)
        users = {u.email: u for u in ctx.session.scalars(select(User))}
        teams = {t.slug: t for t in ctx.session.scalars(select(Team))}
        for entry in entries:
            item = entry.item
            if item.slug not in wanted:
                continue
            team = teams[item.team] if item.team else None
            schedule = current.get(item.slug)
            if schedule is None:
                schedule = service.create_schedule(
                    ctx.session,
                    name=item.name,
                    slug=item.slug,
                    time_zone=item.time_zone,
                    description=item.description,
                    team_id=team.id if team else None,
                    now=ctx.now,
                )
            else:
                service.update_schedule(
                    ctx.session,
                    schedule=schedule,
                    name=item.name,
                    description=item.description if entry.given("description") else None,
                    time_zone=item.time_zone,
                    now=ctx.now,
                )
                if entry.given("team"):
                    schedule.team_id = team.id if team else None
            self._write_layers(ctx, schedule, item, users)

    def _write_layers(
        self, ctx: Context, schedule: Schedule, item: ScheduleItem, users: dict[str, User]
    ) -> None:
        session, now = ctx.session, ctx.now
        names = {la.name for la in item.layers}
        for gone in [la for la in schedule.layers if la.name not in names]:
            service.delete_layer(session, schedule=schedule, layer=gone, now=now)
        by_name = {layer.name: layer for layer in schedule.layers}
        for wanted in item.layers:
            people = wanted.people()
            layer = by_name.get(wanted.name)
            if layer is None:
                # New layers go on top, in file order.
                layer = service.add_layer(
                    session,
                    schedule=schedule,
                    name=wanted.name,
                    start_date=wanted.start_date,
                    end_date=wanted.end_date,
                    handoff_time=wanted.handoff_time,
                    shift_length=wanted.shift_length,
                    shift_unit=wanted.shift_unit,
                    participants=[users[p.user.strip().lower()] for p in people],
                    restrictions=[w.spec() for w in wanted.restrictions],
                    now=now,
                )
                for stored, person in zip(layer.participants, people, strict=True):
                    stored.effective_from, stored.effective_until = person.joins, person.until
                continue
            if not service.layer_started(schedule, layer, now):
                self._rewrite_unstarted(ctx, schedule, layer, wanted, users)
                continue
            if wanted.end_date != layer.end_date:
                service.update_layer(
                    session,
                    schedule=schedule,
                    layer=layer,
                    end_date=wanted.end_date,
                    clear_end_date=wanted.end_date is None,
                    now=now,
                )
            self._write_people(ctx, schedule, layer, people, users)
        session.flush()

    def _rewrite_unstarted(
        self,
        ctx: Context,
        schedule: Schedule,
        layer: Layer,
        wanted: LayerItem,
        users: dict[str, User],
    ) -> None:
        # Nothing has happened on this layer yet, so it may change freely; it is edited in place
        # so that swaps already agreed for its first shifts stay attached to it.
        service.update_layer(
            ctx.session,
            schedule=schedule,
            layer=layer,
            start_date=wanted.start_date,
            handoff_time=wanted.handoff_time,
            shift_length=wanted.shift_length,
            shift_unit=wanted.shift_unit,
            end_date=wanted.end_date,
            clear_end_date=wanted.end_date is None,
            now=ctx.now,
        )
        if _windows(layer) != _file_windows(wanted):
            layer.restrictions.clear()
            for window in wanted.restrictions:
                service.add_restriction(
                    ctx.session, schedule=schedule, layer=layer, window=window.spec(), now=ctx.now
                )
        people = wanted.people()
        if [p.user.email for p in layer.participants] != [p.user.strip().lower() for p in people]:
            layer.participants.clear()
            ctx.session.flush()
        self._write_people(ctx, schedule, layer, people, users)

    def _write_people(
        self,
        ctx: Context,
        schedule: Schedule,
        layer: Layer,
        people: list[ParticipantItem],
        users: dict[str, User],
    ) -> None:
        session, now = ctx.session, ctx.now
        for stored in list(layer.participants[len(people) :]):
            service.remove_participant(
                session, schedule=schedule, layer=layer, participant=stored, now=now
            )
        for stored, person in zip(list(layer.participants), people, strict=False):
            dates = _date_changes(stored, person)
            if "from" in dates:
                stored.effective_from = person.joins
            if "until" in dates and person.until is None:
                stored.effective_until = None
            elif "until" in dates:
                service.end_participant(
                    session,
                    schedule=schedule,
                    layer=layer,
                    participant=stored,
                    until=person.until,
                    now=now,
                )
        for person in people[len(layer.participants) :]:
            added = service.add_participant(
                session,
                schedule=schedule,
                layer=layer,
                user=users[person.user.strip().lower()],
                effective_from=person.joins,
                now=now,
            )
            added.effective_until = person.until
        session.flush()

    def delete(self, ctx: Context, names: list[str]) -> None:
        current = _schedules(ctx.session)
        for name in names:
            service.delete_schedule(ctx.session, schedule=current[name])

    def export(self, session: Session) -> list[dict[str, Any]]:
        rows = []
        for slug, schedule in sorted(_schedules(session).items()):
            row: dict[str, Any] = {
                "slug": slug,
                "name": schedule.name,
                "time_zone": schedule.time_zone,
            }
            if schedule.description:
                row["description"] = schedule.description
            if schedule.team is not None:
                row["team"] = schedule.team.slug
            row["layers"] = [_export_layer(layer) for layer in schedule.layers]
            rows.append(row)
        return rows


def _export_layer(layer: Layer) -> dict[str, Any]:
    row: dict[str, Any] = {"name": layer.name, "start_date": layer.start_date}
    if layer.end_date is not None:
        row["end_date"] = layer.end_date
    row.update(
        {
            "handoff_time": layer.handoff_time.strftime("%H:%M"),
            "shift_length": layer.shift_length,
            "shift_unit": layer.shift_unit.value,
        }
    )
    people: list[Any] = []
    for p in layer.participants:
        if p.effective_from is None and p.effective_until is None:
            people.append(p.user.email)
            continue
        person: dict[str, Any] = {"user": p.user.email}
        if p.effective_from is not None:
            person["from"] = p.effective_from
        if p.effective_until is not None:
            person["until"] = p.effective_until
        people.append(person)
    row["participants"] = people
    if layer.restrictions:
        row["restrictions"] = [_export_window(r) for r in layer.restrictions]
    return row


def _export_window(restriction: Restriction) -> dict[str, Any]:
    return {
        "days": [d.value for d in weekdays(restriction.days)],
        "start": restriction.start_time.strftime("%H:%M"),
        "end": restriction.end_time.strftime("%H:%M"),
    }


SCHEDULES = SchedulesSection()

__all__ = ["SCHEDULES"]
