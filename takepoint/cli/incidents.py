from __future__ import annotations

from datetime import timedelta

import typer

from takepoint.accounts.service import find_user_by_email
from takepoint.catalog import service as catalog
from takepoint.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    day,
    now,
    print_rows,
    unit_of_work,
)
from takepoint.incidents import service as incidents
from takepoint.incidents import stats as incident_stats
from takepoint.incidents.models import Incident, IncidentSource
from takepoint.notify.models import Urgency

incident_app = typer.Typer(help="Open and work on incidents.", no_args_is_help=True)
AsOption = typer.Option(
    ..., "--as", help="email of the person doing this (recorded in the timeline)"
)


def _row(incident: Incident) -> dict[str, object]:
    return {
        "id": incident.id,
        "state": incident.state.value,
        "urgency": incident.urgency.value,
        "service": incident.service.slug,
        "title": incident.title,
        "point": incident.point_user.email if incident.point_user else None,
        "opened_at": incident.opened_at.isoformat(timespec="seconds"),
    }


@incident_app.command("list")
def list_incidents(
    open_only: bool = typer.Option(False, "--open", help="only triggered and acknowledged"),
    service: str | None = typer.Option(None, "--service", help="service slug"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List recent incidents, newest first."""
    with unit_of_work() as session:
        wanted = incidents.IncidentFilter(
            open_only=open_only,
            service_id=catalog.get_service(session, service).id if service else None,
            limit=200,
        )
        rows = [_row(i) for i in incidents.list_incidents(session, wanted)]
    print_rows(rows, ["id", "state", "urgency", "service", "title", "point", "opened_at"], fmt)


@incident_app.command("open")
def open_incident(
    service: str = typer.Argument(..., help="service slug"),
    title: str = typer.Argument(..., help="what is wrong"),
    reporter: str = AsOption,
    urgency: Urgency = typer.Option(Urgency.HIGH, "--urgency"),
    source: IncidentSource = typer.Option(IncidentSource.PHONE, "--source"),
    caller: str = typer.Option("", "--caller", help="who called"),
    department: str | None = typer.Option(None, "--department", help="caller's department slug"),
) -> None:
    """Open an incident by hand (a phone call, say) and start paging."""
    with unit_of_work() as session:
        incident = incidents.open_incident(
            session,
            service=catalog.get_service(session, service),
            title=title,
            urgency=urgency,
            source=source,
            caller_name=caller,
            caller_department=catalog.get_department(session, department) if department else None,
            reporter=find_user_by_email(session, reporter),
            now=now(),
        )
        console.print(f"Opened incident #{incident.id}; the engine is paging.")


@incident_app.command("ack")
def acknowledge(incident_id: int, actor: str = AsOption) -> None:
    """Acknowledge: stop the escalation and become the point person."""
    with unit_of_work() as session:
        incident = incidents.get_incident(session, incident_id)
        incidents.acknowledge(
            session, incident=incident, user=find_user_by_email(session, actor), now=now()
        )
        console.print(f"#{incident.id} acknowledged; {actor} is point.")


@incident_app.command("note")
def note(incident_id: int, text: str, actor: str = AsOption) -> None:
    """Add a note to the timeline."""
    with unit_of_work() as session:
        incident = incidents.get_incident(session, incident_id)
        incidents.add_note(
            session,
            incident=incident,
            user=find_user_by_email(session, actor),
            text=text,
            now=now(),
        )
        console.print(f"Note added to #{incident.id}.")


@incident_app.command("handoff")
def handoff(
    incident_id: int,
    to: str = typer.Option(..., "--to", help="email of the person asked to take point"),
    actor: str = AsOption,
    note: str = typer.Option("", "--note"),
) -> None:
    """Ask someone to take point; nothing changes until they accept."""
    with unit_of_work() as session:
        incident = incidents.get_incident(session, incident_id)
        request = incidents.request_handoff(
            session,
            incident=incident,
            giver=find_user_by_email(session, actor),
            receiver=find_user_by_email(session, to),
            note=note,
            now=now(),
        )
        console.print(f"Handoff {request.id} requested; {to} must accept it.")


@incident_app.command("accept")
def accept(handoff_id: int, actor: str = AsOption) -> None:
    """Accept a handoff and become the point person."""
    with unit_of_work() as session:
        handoff = incidents.get_handoff(session, handoff_id)
        incidents.decide_handoff(
            session,
            handoff=handoff,
            user=find_user_by_email(session, actor),
            accept=True,
            now=now(),
        )
        console.print(f"{actor} is now point for #{handoff.incident_id}.")


@incident_app.command("resolve")
def resolve(
    incident_id: int,
    note: str = typer.Option(..., "--note", help="what fixed it (required)"),
    actor: str = AsOption,
) -> None:
    """Resolve with a note; owners, reporter and subscribers are told."""
    with unit_of_work() as session:
        incident = incidents.get_incident(session, incident_id)
        incidents.resolve(
            session,
            incident=incident,
            user=find_user_by_email(session, actor),
            note=note,
            now=now(),
        )
        console.print(f"#{incident.id} resolved.")


def _took(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60:02d} min"


def _figures_row(
    label: str, figures: incident_stats.Figures, fmt: OutputFormat
) -> dict[str, object]:
    if fmt is OutputFormat.JSON:  # the API's names and seconds
        return {"month": label, **{k: v for k, v in figures.__dict__.items() if k != "month"}}
    return {
        "month": label,
        "opened": figures.opened,
        "acked": figures.acknowledged,
        "mean_tta": _took(figures.mean_ack_seconds),
        "median_tta": _took(figures.median_ack_seconds),
        "resolved": figures.resolved,
        "mean_ttr": _took(figures.mean_resolve_seconds),
        "median_ttr": _took(figures.median_resolve_seconds),
    }


@incident_app.command("stats")
def stats(
    since: str | None = typer.Option(None, "--since", help="first day, UTC (YYYY-MM-DD)"),
    until: str | None = typer.Option(None, "--until", help="last day, UTC (default: today)"),
    service: str | None = typer.Option(None, "--service", help="service slug"),
    team: str | None = typer.Option(None, "--team", help="team slug: its services' incidents"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Time to acknowledge and to resolve (MTTA, MTTR), per month; the last 365 days by default."""
    first, last = day(since, "--since"), day(until, "--until")
    with unit_of_work() as session:
        found = incident_stats.stats_for_days(
            session, since=first, until=last, today=now().date(), service=service, team=team
        )
    rows = [_figures_row(m.month, m, fmt) for m in found.months]
    rows.append(_figures_row("total", found.total, fmt))
    last_day = found.until - timedelta(days=1)
    title = f"Incidents opened {found.since:%Y-%m-%d} to {last_day:%Y-%m-%d}, UTC"
    print_rows(rows, list(rows[0]), fmt, title=title)
