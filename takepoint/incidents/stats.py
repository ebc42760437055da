"""Time to acknowledge and time to resolve (MTTA, MTTR), per month and over a whole range.

Incidents count in the month they opened (UTC): an incident opened on 31 January and resolved
on 2 February adds its time to resolve to January. The means and medians of a month are over
that month's incidents that were acknowledged (or resolved) by the time of the query.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, null, select, text, tuple_
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Service
from takepoint.incidents.models import Incident
from takepoint.lib.clock import require_aware
from takepoint.lib.errors import InvalidInput, NotFound
from takepoint.lib.numbers import is_digits

DEFAULT_DAYS = 365
MAX_DAYS = 5 * 366


@dataclass(frozen=True)
class Figures:
    opened: int
    acknowledged: int
    mean_ack_seconds: float | None
    median_ack_seconds: float | None
    resolved: int
    mean_resolve_seconds: float | None
    median_resolve_seconds: float | None


@dataclass(frozen=True)
class MonthFigures(Figures):
    month: str  # "2026-03"


@dataclass(frozen=True)
class Stats:
    since: datetime
    until: datetime
    total: Figures
    months: list[MonthFigures]


def day_range(since: date | None, until: date | None, today: date) -> tuple[datetime, datetime]:
    """Whole UTC days from `since` through `until` (default: the 365 days up to today)."""
    last = until or today
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput(f"since ({first}) is after until ({last})", field="since")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"the range is longer than {MAX_DAYS} days", field="since")
    start = datetime.combine(first, time(0), tzinfo=UTC)
    return start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)


def find_team(session: Session, key: str) -> Team:
    text = key.strip()
    wanted = Team.id == int(text) if is_digits(text) else Team.slug == text
    team = session.scalar(select(Team).where(wanted))
    if team is None:
        raise NotFound(f"no team {key!r}", field="team")
    return team


class _Median:
    """SQLite has no median aggregate; PostgreSQL uses percentile_cont instead."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def _aggregates(postgres: bool) -> list[ColumnElement[Any]]:
    def seconds(end: Any) -> ColumnElement[Any]:
        if postgres:  # date_part is double precision; extract() would be slow numeric
            return func.date_part("epoch", end - Incident.opened_at)
        return (func.julianday(end) - func.julianday(Incident.opened_at)) * 86400.0

    def median(value: ColumnElement[Any]) -> ColumnElement[Any]:
        if postgres:
            return func.percentile_cont(0.5).within_group(value)
        return func.takepoint_median(value)

    ack, resolve = seconds(Incident.acknowledged_at), seconds(Incident.resolved_at)
    return [
        func.count(Incident.id).label("opened"),
        func.count(Incident.acknowledged_at).label("acknowledged"),
        func.avg(ack).label("mean_ack"),
        median(ack).label("median_ack"),
        func.count(Incident.resolved_at).label("resolved"),
        func.avg(resolve).label("mean_resolve"),
        median(resolve).label("median_resolve"),
    ]


def _seconds(value: float | None) -> float | None:
    # SQLite measures in fractions of a day; a millisecond is finer than any figure shown.
    return None if value is None else round(float(value), 3)


def _figures(row: Any) -> dict[str, Any]:
    return {
        "opened": row.opened,
        "acknowledged": row.acknowledged,
        "mean_ack_seconds": _seconds(row.mean_ack),
        "median_ack_seconds": _seconds(row.median_ack),
        "resolved": row.resolved,
        "mean_resolve_seconds": _seconds(row.mean_resolve),
        "median_resolve_seconds": _seconds(row.median_resolve),
    }


def _month_name(value: datetime | str) -> str:
    return value if isinstance(value, str) else value.astimezone(UTC).strftime("%Y-%m")


def _months(since: datetime, until: datetime) -> list[str]:
    """Every month that [since, until) touches, empty ones included."""
    months: list[str] = []
    start = since.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while start < until:
        months.append(f"{start.year:04d}-{start.month:02d}")
        start = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return months


def incident_stats(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    service: Service | None = None,
    team: Team | None = None,
) -> Stats:
    """Opened, acknowledged and resolved counts with mean and median times, per month of
    opening (UTC) and in total, for incidents opened in [since, until)."""
    since, until = require_aware(since).astimezone(UTC), require_aware(until).astimezone(UTC)
    postgres = session.get_bind().dialect.name == "postgresql"
    query: Select[Any] = select(*_aggregates(postgres)).where(
        Incident.opened_at >= since, Incident.opened_at < until
    )
    if service is not None:
        query = query.where(Incident.service_id == service.id)
    if team is not None:
        query = query.where(
            Incident.service_id.in_(select(Service.id).where(Service.team_id == team.id))
        )
    if postgres:
        # A year of a large estate sorts a few hundred thousand times per median: in memory,
        # not in temporary files. One pass gives the months and (month NULL) the whole range.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        month: ColumnElement[Any] = func.date_trunc(
            literal_column("'month'"), Incident.opened_at, literal_column("'UTC'")
        )
        found = list(
            session.execute(
                query.add_columns(month.label("month")).group_by(
                    func.grouping_sets(month, tuple_())
                )
            )
        )
    else:
        driver = session.connection().connection.driver_connection
        driver.create_aggregate("takepoint_median", 1, _Median)  # type: ignore[union-attr]
        month = func.substr(Incident.opened_at, 1, 7)  # stored as "2026-03-02 09:00:00.000000"
        found = [
            *session.execute(query.add_columns(month.label("month")).group_by(month)),
            session.execute(query.add_columns(null().label("month"))).one(),
        ]
    total = next(row for row in found if row.month is None)
    by_month = {_month_name(row.month): row for row in found if row.month is not None}
    empty = Figures(0, 0, None, None, 0, None, None)
    return Stats(
        since=since,
        until=until,
        total=Figures(**_figures(total)),
        months=[
            MonthFigures(
                month=name,
                **(_figures(by_month[name]) if name in by_month else empty.__dict__),
            )
            for name in _months(since, until)
        ],
    )


def stats_for_days(
    session: Session,
    *,
    since: date | None,
    until: date | None,
    today: date,
    service: str | None = None,
    team: str | None = None,
) -> Stats:
    """`incident_stats` as the API and the CLI ask for it: whole UTC days (the last 365 by
    default), and the service and team by slug or id."""
    start, end = day_range(since, until, today)
    return incident_stats(
        session,
        since=start,
        until=end,
        service=catalog.get_service(session, service) if service else None,
        team=find_team(session, team) if team else None,
    )
