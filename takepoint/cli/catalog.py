"""Catalog commands: apply and export catalog files, and the readiness audit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from takepoint.catalog import readiness
from takepoint.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    context,
    database,
    err_console,
    fail,
    now,
    unit_of_work,
)
from takepoint.lib import apply as catalog_file
from takepoint.lib.context import bind
from takepoint.lib.errors import TakepointError
from takepoint.wiring import build_registry

_COLOURS = {"+": "green", "~": "yellow", "-": "red"}


def _print_plan(plan: catalog_file.Plan) -> None:
    for line in plan.render().splitlines():
        colour = _COLOURS.get(line[:1])
        text = escape(line)
        console.print(f"[{colour}]{text}[/]" if colour else text, highlight=False)


def apply(
    file: Path = typer.Argument(..., help="the catalog file, or - for standard input"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the plan; change nothing"),
    prune: bool = typer.Option(
        False, "--prune", help="delete what the file's sections leave out (never users)"
    ),
) -> None:
    """Make Takepoint match a catalog file: all of it, or nothing if it has an error."""
    if str(file) == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        try:
            text, name = file.read_text(encoding="utf-8"), file.name
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}")
    bound = context()
    with database() as db:
        try:
            with db.session() as session:
                bind(session, bound)
                plan = catalog_file.apply_text(
                    session, text=text, filename=name, now=now(), prune=prune, dry_run=dry_run
                )
        except catalog_file.ApplyRejected as exc:
            for line in exc.message.splitlines():
                err_console.print(escape(line), highlight=False)
            raise typer.Exit(1) from None
        except TakepointError as exc:
            fail(escape(exc.message))
    _print_plan(plan)
    if dry_run and not plan.empty:
        console.print("Dry run: nothing was changed.")


def export(
    output: Path | None = typer.Option(None, "-o", "--output", help="write here, not stdout"),
    schema: bool = typer.Option(
        False, "--schema", help="write the JSON Schema of catalog files instead of the data"
    ),
) -> None:
    """Write the catalog as a file that `takepoint apply` reads back with no changes."""
    if schema:
        sections = build_registry().apply_sections
        text = json.dumps(catalog_file.json_schema(sections), indent=2, ensure_ascii=False) + "\n"
    else:
        with unit_of_work() as session:
            text = catalog_file.export_text(session)
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    err_console.print(f"Wrote {output}.")


def audit(fmt: OutputFormat = FormatOption) -> None:
    """The readiness audit: what each service lacks, worst first."""
    with unit_of_work() as session:
        report = readiness.audit(session, now=now())
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps([r.as_dict() for r in report], indent=2) + "\n")
        return
    table = Table(title="Readiness, worst first")
    table.add_column("service")
    table.add_column("tier", justify="right")
    table.add_column("score", justify="right")
    table.add_column("missing")
    colours = {"bad": "red", "warn": "yellow", "ok": "green"}
    for item in report:
        missing = "\n".join(f.message for f in item.missing) or "nothing"
        unknown = [
            f.check.label for f in item.findings if f.outcome is readiness.Outcome.NOT_CONFIGURED
        ]
        if unknown:
            missing += f"\n[dim]not configured: {escape(', '.join(unknown))}[/]"
        table.add_row(
            escape(item.slug),
            str(item.tier),
            f"[{colours[item.grade]}]{item.score}%[/]",
            missing if unknown else escape(missing),
        )
    console.print(table)
