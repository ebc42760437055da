"""`takepoint oncall`: who is on call, now or at any instant."""

from __future__ import annotations

import typer

from takepoint.cli.common import FormatOption, OutputFormat, now, print_rows, unit_of_work
from takepoint.oncall import service
from takepoint.oncall.wallclock import zone


def oncall(
    schedule: str = typer.Argument(None, help="schedule id, slug or name; all when left out"),
    at: str = typer.Option(
        "now", "--at", help="ISO 8601 with a UTC offset, e.g. 2026-03-29T09:00+01:00, or now"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Show who is on call (now, or at --at), per schedule."""
    with unit_of_work() as session:
        moment = service.parse_instant(at, now=now(), field="--at")
        if schedule:
            found = [
                service.who_is_on_call(session, service.find_schedule(session, schedule), moment)
            ]
        else:
            found = service.on_call_everywhere(session, at=moment)
        rows = []
        for item in found:
            tz = zone(item.schedule.time_zone)
            segment = item.segment
            via = "override" if segment.override_id else "layer" if segment.layer_id else "nobody"
            rows.append(
                {
                    "schedule": item.schedule.name,
                    "on_call": item.user.display_name if item.user else "NOBODY",
                    "email": item.user.email if item.user else None,
                    "since": item.since.astimezone(tz).isoformat(timespec="minutes"),
                    "until": item.until.astimezone(tz).isoformat(timespec="minutes"),
                    "via": via,
                    "time_zone": item.schedule.time_zone,
                }
            )
    print_rows(
        rows,
        ["schedule", "on_call", "email", "since", "until", "via", "time_zone"],
        fmt,
        title=f"On call at {moment.isoformat(timespec='minutes')}",
    )
