"""After the incident, from the command line: verify the record, print the report, list the
open action items."""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy import func, select

from takepoint.accounts.service import find_user_by_email
from takepoint.catalog import service as catalog
from takepoint.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    day,
    fail,
    now,
    print_rows,
    settings,
    unit_of_work,
)
from takepoint.incidents import service as incidents
from takepoint.incidents.report import build_report, render_email, render_html, render_markdown
from takepoint.reviews import actions as action_items
from takepoint.reviews.models import Audience
from takepoint.reviews.redact import redactor_for
from takepoint.timeline.chain import Break, verify_all, verify_chain
from takepoint.timeline.digest import check_digests, daily_digests, signed_line
from takepoint.timeline.models import TimelineHead

report_app = typer.Typer(help="Write reports from the record.", no_args_is_help=True)


class ReportFormat(StrEnum):
    MD = "md"
    HTML = "html"
    EMAIL = "email"


def _print_breaks(breaks: list[Break], fmt: OutputFormat) -> None:
    rows = [
        {"chain": b.chain, "seq": b.seq, "entry_id": b.entry_id, "problem": b.problem}
        for b in breaks
    ]
    print_rows(rows, ["chain", "seq", "entry_id", "problem"], fmt, title="Broken links")


def verify(
    incident: int | None = typer.Option(None, "--incident", help="verify one incident's chain"),
    digest: bool = typer.Option(
        False, "--digest", help="print signed daily digests of the chain heads (JSON lines)"
    ),
    since: str | None = typer.Option(None, "--since", help="first day of --digest (YYYY-MM-DD)"),
    through: str | None = typer.Option(
        None, "--through", help="last day of --digest (default: yesterday, UTC)"
    ),
    check: Path | None = typer.Option(
        None, "--check-digests", help="compare digest lines saved earlier with the record"
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Recompute the hash chains and report the first broken link of each (exit code 1)."""
    key = settings().resolved_secret_key()
    with unit_of_work() as session:
        if digest:
            last = day(through, "--through") or now().date() - timedelta(days=1)
            for found in daily_digests(session, since=day(since, "--since"), through=last):
                sys.stdout.write(signed_line(found, key) + "\n")
            return
        if check is not None:
            try:
                lines = check.read_text().splitlines()
            except OSError as exc:
                fail(f"--check-digests: cannot read {check}: {exc.strerror}")
            mismatches = check_digests(session, lines, key=key)
            for mismatch in mismatches:
                console.print(f"[bold red]{mismatch}[/]", highlight=False, soft_wrap=True)
            if mismatches:
                raise typer.Exit(1)
            console.print(f"The record matches all {len(lines)} digest lines.")
            return
        started = time.perf_counter()
        if incident is not None:
            chain = f"incident:{incident}"
            if session.get(TimelineHead, chain) is None:
                fail(f"incident #{incident} has no timeline")
            problem = verify_chain(session, chain)
            checked, breaks = 1, [problem] if problem else []
        else:
            checked, breaks = verify_all(session)
        elapsed = time.perf_counter() - started
        entries = session.scalar(select(func.coalesce(func.sum(TimelineHead.seq), 0)))
    if fmt is OutputFormat.JSON:
        sys.stdout.write(
            json.dumps(
                {
                    "intact": not breaks,
                    "chains": checked,
                    "seconds": round(elapsed, 3),
                    "breaks": [b.__dict__ for b in breaks],
                },
                indent=2,
            )
            + "\n"
        )
    elif breaks:
        _print_breaks(breaks, fmt)
    else:
        what = f"incident #{incident}'s chain" if incident is not None else f"{checked} chains"
        console.print(f"Record intact: {what} ({entries} entries in all) in {elapsed:.2f} s.")
    if breaks:
        raise typer.Exit(1)


@report_app.command("incident")
def report_incident(
    incident_id: int = typer.Argument(..., help="the incident's number"),
    fmt: ReportFormat = typer.Option(ReportFormat.MD, "--format", help="md, html or email"),
    audience: Audience = typer.Option(
        Audience.TEAM, "--audience", help="organisation replaces people's names with roles"
    ),
    zone: str | None = typer.Option(
        None, "--tz", help="time zone of the times (default TAKEPOINT_DEFAULT_TIME_ZONE)"
    ),
    to: list[str] = typer.Option([], "--to", help="with --format email: a recipient's address"),
) -> None:
    """The factual incident report, from the timeline: Markdown, HTML or an email message."""
    config = settings()
    with unit_of_work() as session:
        incident = incidents.get_incident(session, incident_id)
        report = build_report(
            session, incident=incident, now=now(), zone=zone or config.default_time_zone
        )
        redact = redactor_for(session, incident) if audience is Audience.ORGANISATION else None
        if fmt is ReportFormat.MD:
            output = render_markdown(report, redact=redact)
        elif fmt is ReportFormat.HTML:
            output = render_html(report, redact=redact)
        else:
            output = render_email(report, sender=config.smtp_from, to=to, redact=redact).as_string()
    sys.stdout.write(output if output.endswith("\n") else output + "\n")


def actions(
    all_items: bool = typer.Option(False, "--all", help="done and cancelled ones too"),
    service: str | None = typer.Option(None, "--service", help="service slug"),
    owner: str | None = typer.Option(None, "--owner", help="owner's email"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List open action items, soonest due first."""
    moment = now()
    with unit_of_work() as session:
        wanted = action_items.ActionFilter(
            open_only=not all_items,
            service_id=catalog.get_service(session, service).id if service else None,
            owner_id=find_user_by_email(session, owner).id if owner else None,
        )
        rows = [
            {
                "id": item.id,
                "title": item.title,
                "owner": item.owner.email,
                "due_on": item.due_on.isoformat(),
                "state": "overdue" if action_items.is_overdue(item, moment) else item.state.value,
                "service": item.service.slug if item.service else None,
                "incident": item.incident_id,
            }
            for item in action_items.list_actions(session, wanted)
        ]
    print_rows(
        rows,
        ["id", "title", "owner", "due_on", "state", "service", "incident"],
        fmt,
        title="Action items",
    )
