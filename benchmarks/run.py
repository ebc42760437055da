"""Takepoint side by side with Alertmanager and with the machine's own limit, in one run.

    scripts/bench [--quick]        # or: .venv/bin/python -m benchmarks.run [--quick]

Prints one table and writes benchmarks/results/<date>.json. Every server is on loopback and
every load run is bounded in time; `--quick` takes a few minutes, the full run under an hour.
It measures; it is not a test. docs/benchmarks.md explains each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import ceiling, footprint, paging, scale, storm
from benchmarks.alertmanager import alertmanager
from benchmarks.harness import (
    BATCH,
    Load,
    free_port,
    need,
    percentile,
    postgres_database,
    prepare,
    process,
    scratch,
    takepoint,
    wait_http,
    wrk,
)
from benchmarks.shapes import write_scripts

RESULTS = Path(__file__).with_name("results")


@dataclass(frozen=True)
class Plan:
    load_seconds: float
    commit_seconds: float
    page_events: int
    incidents: int
    spread: float
    footprint_seconds: float
    storm_alerts: int
    storm_sources: int
    storm_limit: float
    scale_incidents: int
    scale_entries: int
    scale_repeats: int


QUICK = Plan(5, 2, 150, 1000, 20, 8, 10_000, 200, 40, 50_000, 500_000, 30)
FULL = Plan(20, 5, 500, 10_000, 600, 30, 100_000, 2000, 600, 1_000_000, 10_000_000, 200)


# Every event of the page-latency figure opens an incident and pages; 50/s is the target's
# rate, 20/s one the engine keeps up with in one process.
STEADY_RATE = 20.0


@dataclass(frozen=True)
class Row:
    figure: str
    takepoint: str
    other: str = ""
    ratio: str = ""
    target: str = ""
    note: str = ""


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "-"


def _latency(load: Load) -> str:
    return f"p50 {load.p50:.0f} ms, p99 {load.p99:.0f} ms"


def ingest(plan: Plan, results: dict[str, Any], rows: list[Row]) -> None:
    """Figures 1 to 3: single events and batches against Alertmanager and the ceiling."""
    seconds = plan.load_seconds
    loads: dict[str, Load] = {}
    work = scratch("bench-sqlite")
    estate = prepare(f"sqlite:///{work / 'takepoint.db'}")
    scripts = write_scripts(work, estate)
    with takepoint(estate.url, work) as (url, _):
        loads["sqlite events"] = wrk(url, scripts["events"], seconds)
        loads["sqlite batch"] = wrk(url, scripts["batch"], seconds)
    with postgres_database() as database_url:
        pg_work = scratch("bench-postgres")
        pg = prepare(database_url)
        pg_scripts = write_scripts(pg_work, pg)
        with takepoint(pg.url, pg_work) as (url, _):
            loads["postgres events"] = wrk(url, pg_scripts["events"], seconds)
            loads["postgres batch"] = wrk(url, pg_scripts["batch"], seconds)
    with alertmanager(work) as url:
        loads["alertmanager single"] = wrk(url, scripts["am-single"], seconds)
        loads["alertmanager batch"] = wrk(url, scripts["am-batch"], seconds)
    port = free_port()
    with process([sys.executable, "-m", "benchmarks.ceiling", str(port)], log=work / "ceiling.log"):
        url = f"http://127.0.0.1:{port}"
        wait_http(url)
        loads["ceiling events"] = wrk(url, scripts["events"], seconds)
        loads["ceiling batch"] = wrk(url, scripts["batch"], seconds)
    commits = ceiling.commit_rates(work, plan.commit_seconds)
    results["loads"] = {name: asdict(load) for name, load in loads.items()}
    results["commit_rates"] = commits

    am_single, am_batch = loads["alertmanager single"], loads["alertmanager batch"]
    for backend in ("sqlite", "postgres"):
        events, batch = loads[f"{backend} events"], loads[f"{backend} batch"]
        rows.append(
            Row(
                f"1. single events/s, {backend} (durable)",
                f"{events.rate:,.0f} ({_latency(events)})",
                f"Alertmanager {am_single.rate:,.0f} ({_latency(am_single)}), in memory",
                _ratio(events.rate, am_single.rate),
                ">= 0.25x",
                f"non-2xx {events.bad}, socket errors {events.errors}",
            )
        )
        rows.append(
            Row(
                f"2. alerts/s in batches of {BATCH}, {backend}",
                f"{batch.rate * BATCH:,.0f} ({_latency(batch)})",
                f"Alertmanager {am_batch.rate * BATCH:,.0f}, in memory",
                _ratio(batch.rate, am_batch.rate),
                ">= 0.5x",
                f"non-2xx {batch.bad}, socket errors {batch.errors}",
            )
        )
    events, batch = loads["sqlite events"], loads["sqlite batch"]
    rows.append(
        Row(
            "3. HTTP ceiling (no-op ASGI, same uvicorn)",
            f"{events.rate:,.0f} events/s; {batch.rate * BATCH:,.0f} alerts/s",
            f"{loads['ceiling events'].rate:,.0f} req/s; "
            f"{loads['ceiling batch'].rate * BATCH:,.0f} alerts/s",
            f"{_ratio(events.rate, loads['ceiling events'].rate)}; "
            f"{_ratio(batch.rate, loads['ceiling batch'].rate)}",
            "",
            "Takepoint on SQLite as a fraction of doing nothing",
        )
    )
    rows.append(
        Row(
            "3. commit ceiling (raw sqlite3, same rows)",
            f"{events.rate:,.0f} events/s; {batch.rate * BATCH:,.0f} alerts/s",
            f"{commits['one row per commit']:,.0f} rows/s one per commit; "
            f"{commits['100 rows per commit']:,.0f} rows/s 100 per commit",
            f"{_ratio(events.rate, commits['one row per commit'])}; "
            f"{_ratio(batch.rate * BATCH, commits['100 rows per commit'])}",
            "",
            "Takepoint commits in groups; the raw rates need no HTTP, parsing or lookups",
        )
    )


def paging_figures(plan: Plan, results: dict[str, Any], rows: list[Row]) -> None:
    """Figures 5 and 6, with the paging benchmark's own functions."""
    runs = {
        "page latency ms": (50.0, 0, paging.page_latency(plan.page_events, 50.0)),
        # The same at a rate one process sustains easily, and beside two CPU-bound processes
        # (a machine busy with other work), so the figures show the margin.
        f"page latency at {STEADY_RATE:.0f}/s ms": (
            STEADY_RATE,
            0,
            paging.page_latency(plan.page_events * 2 // 5, STEADY_RATE),
        ),
        "page latency beside 2 busy processes ms": (
            50.0,
            2,
            paging.page_latency(plan.page_events, 50.0, busy=2),
        ),
    }
    fired, received = paging.escalation_lateness(plan.incidents, plan.spread)
    stats = {name: run.latencies for name, (_, _, run) in runs.items()}
    stats.update({"escalation paged ms": fired, "escalation emailed ms": received})
    results["paging"] = {
        name: {
            "n": len(v),
            "p50": percentile(v, 0.5),
            "p99": percentile(v, 0.99),
            "max": max(v, default=0),
        }
        for name, v in stats.items()
    }
    figures = results["paging"]
    for name, (rate, busy, run) in runs.items():
        page = figures[name]
        page.update({"cpu_ms_per_event": run.cpu_ms, "sent_rate": run.sent_rate})
        beside = f", {busy} busy processes beside" if busy else ""
        rows.append(
            Row(
                f"5. page latency, POST to SMTP at {rate:.0f}/s{beside} (n={page['n']})",
                f"p50 {page['p50']:.0f} ms, p99 {page['p99']:.0f} ms, max {page['max']:.0f} ms",
                target="p50 <= 100 ms, p99 <= 500 ms" if rate == 50.0 and not busy else "",
                note=f"each event a new incident and a page; server CPU {run.cpu_ms:.1f} ms "
                "per event",
            )
        )
    for name, label in (("escalation paged ms", "paged"), ("escalation emailed ms", "emailed")):
        late = figures[name]
        rows.append(
            Row(
                f"6. escalation lateness, {label} "
                f"({plan.incidents:,} due over {plan.spread:.0f} s, n={late['n']})",
                f"p50 {late['p50']:.0f} ms, p99 {late['p99']:.0f} ms, max {late['max']:.0f} ms",
                target="p99 <= 1000 ms",
            )
        )


def footprint_figures(plan: Plan, results: dict[str, Any], rows: list[Row]) -> None:
    work = scratch("bench-footprint")
    estate = prepare(f"sqlite:///{work / 'takepoint.db'}")
    measured = footprint.measure(work, estate, plan.footprint_seconds)
    results["footprint"] = asdict(measured)
    rows.append(
        Row(
            "8. RSS of `takepoint up`, idle / at ~1,000 events/s",
            f"{measured.idle_mb:.0f} MB / {measured.loaded_mb:.0f} MB",
            f"reached {measured.loaded_rate:,.0f} events/s, non-2xx {measured.bad}",
        )
    )


def storm_figures(plan: Plan, results: dict[str, Any], rows: list[Row]) -> None:
    """Figure 4: the storm into `takepoint up`."""
    measured = storm.run(plan.storm_alerts, plan.storm_sources, plan.storm_limit, settle=20)
    results["storm"] = asdict(measured)
    first = measured.first_page_seconds
    rows.append(
        Row(
            f"4. storm: {measured.alerts:,} alerts, {measured.sources:,} sources, 50 services",
            f"first page {'none' if first is None else f'{first:.1f} s'}; "
            f"{measured.incidents} incidents; {measured.pages} pages; "
            f"peak RSS {measured.peak_rss_mb:.0f} MB",
            f"sent in {measured.seconds_to_send:.1f} s ({measured.requests} requests); "
            f"5xx {measured.fivexx}, other non-2xx {measured.other}",
            "",
            "first page <= 1 s, 0 errors, 0 lost, RSS <= 500 MB",
            f"2xx groups {measured.twoxx}; alerts stored {measured.alerts_stored:,}; "
            f"every 2xx alert stored: {'yes' if measured.all_stored else 'NO'}",
        )
    )


def scale_figures(plan: Plan, results: dict[str, Any], rows: list[Row]) -> None:
    """Figure 7: the product's reads on PostgreSQL at scale (`scale.py`)."""
    measured = scale.run(plan.scale_incidents, plan.scale_entries, plan.scale_repeats)
    results["scale"] = asdict(measured)
    seeded = measured.seeded
    if seeded is not None:
        rows.append(
            Row(
                f"7. seed {seeded.incidents:,} incidents, {seeded.entries:,} timeline entries",
                f"{seeded.seconds:.0f} s",
                note="COPY from 2 processes; "
                + ", ".join(f"{name} {took:.0f} s" for name, took in seeded.phases.items()),
            )
        )
    for timing in measured.timings:
        rows.append(
            Row(
                f"7. {timing.name} (n={timing.n})",
                f"p50 {timing.p50:.0f} ms, p95 {timing.p95:.0f} ms, max {timing.max:.0f} ms",
                target=f"p95 <= {scale.TARGET_MS:.0f} ms",
                note=("met" if timing.met else "missed")
                + (f"; {timing.bad} answers not 200" if timing.bad else ""),
            )
        )


def print_table(rows: list[Row]) -> None:
    headers = Row("figure", "Takepoint", "peer or ceiling", "ratio", "target", "note")
    table = [headers, *rows]
    fields = list(Row.__dataclass_fields__)
    widths = [max(len(getattr(r, f)) for r in table) for f in fields]
    for index, row in enumerate(table):
        cells = [getattr(row, f).ljust(w) for f, w in zip(fields, widths, strict=True)]
        print("| " + " | ".join(cells) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="shorter runs: a few minutes")
    args = parser.parse_args()
    need("wrk")
    need("prometheus-alertmanager")
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "plan": asdict(plan),
    }
    rows: list[Row] = []
    for section in (ingest, paging_figures, footprint_figures, storm_figures, scale_figures):
        print(f"-- {section.__name__} ({time.monotonic() - started:.0f} s so far)", flush=True)
        section(plan, results, rows)
    results["rows"] = [asdict(row) for row in rows]
    results["seconds"] = round(time.monotonic() - started)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(rows)
    print(f"took {results['seconds']} s; written to {out}")


if __name__ == "__main__":
    main()
