"""Figure 7: Takepoint on PostgreSQL at a million incidents and ten million timeline entries.

    .venv/bin/python -m benchmarks.scale [--incidents 1000000] [--entries 10000000]
        [--repeats 200] [--workers 2] [--indexes after|before] [--explain]
        [--keep NAME | --reuse NAME]

Seeds a database of its own (`scale_seed.py`: COPY from worker processes, valid hash chains),
starts a real `takepoint web` on it and times, from this process over HTTP with a read-only
API token, the incidents list (JSON and HTML, filtered and paged), one incident (JSON and
HTML), and the MTTA/MTTR statistics over a year. Verifying one incident's record has no route
of its own, so `verify_chain` (what `takepoint verify --incident N` and the incident page run)
is timed in this process. The cases take turns, so a noisy minute hurts them all alike.
`--explain` prints EXPLAIN ANALYZE of every statement over 20 ms behind each case whose p95
misses 100 ms. `--keep NAME` leaves the seeded database behind; `--reuse NAME` migrates such
a database to the latest schema and measures it without seeding. It measures; it is not a test.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.orm import Session

from benchmarks.harness import POSTGRES_ADMIN, percentile, postgres_database, scratch, takepoint
from benchmarks.scale_seed import Seeded, World, seed
from takepoint.accounts import service as accounts
from takepoint.accounts.models import TokenScope
from takepoint.accounts.service import list_users
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Service
from takepoint.incidents import probable_cause, stats
from takepoint.incidents import service as incidents
from takepoint.incidents.models import IncidentState
from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.timeline.chain import entries, verify_chain

TARGET_MS = 100.0
PAGE = 50


@dataclass(frozen=True)
class Timing:
    name: str
    n: int
    p50: float
    p95: float
    max: float
    bad: int  # answers other than 200

    @property
    def met(self) -> bool:
        return self.p95 <= TARGET_MS and not self.bad


@dataclass(frozen=True)
class Measured:
    incidents: int
    entries: int
    seeded: Seeded | None
    timings: list[Timing]


@dataclass(frozen=True)
class Case:
    """One kind of request: `path` picks its parameters; `inside` runs the same product code in
    this process, for EXPLAIN."""

    name: str
    path: Callable[[random.Random], str] | None
    inside: Callable[[Session, random.Random], object]


def cases(world: World, count: int) -> list[Case]:
    slugs = [slug for _, slug in world.services]

    def slug(rng: random.Random) -> str:
        return rng.choice(slugs)

    def incident(rng: random.Random) -> int:
        return rng.randint(1, count)

    def deep(rng: random.Random) -> int:
        return rng.randrange(count // 4, count // 2) // PAGE * PAGE

    def listed(session: Session, **kwargs: Any) -> object:
        service = kwargs.pop("service", None)
        if service:
            kwargs["service_id"] = catalog.get_service(session, service).id
        return incidents.list_incidents(session, incidents.IncidentFilter(**kwargs))

    def page(session: Session, rng: random.Random) -> object:
        found = incidents.get_incident(session, incident(rng))
        list_users(session)
        entries(session, found.chain)
        verify_chain(session, found.chain)
        return probable_cause.suspects(session, found.service)

    def year(session: Session, rng: random.Random, service: str | None = None) -> object:
        first, end = stats.day_range(None, None, datetime.now(UTC).date())
        chosen = catalog.get_service(session, service) if service else None
        return stats.incident_stats(session, since=first, until=end, service=chosen)

    def verify(session: Session, rng: random.Random) -> object:
        problem = verify_chain(session, f"incident:{incident(rng)}")
        if problem is not None:
            raise RuntimeError(f"the seeded record is broken: {problem}")
        return problem

    api = "/api/v1/incidents"
    return [
        Case(
            "list, API, newest page",
            lambda r: f"{api}?limit={PAGE}",
            lambda s, r: listed(s, limit=PAGE),
        ),
        Case(
            "list, API, open",
            lambda r: f"{api}?open=true&limit={PAGE}",
            lambda s, r: listed(s, open_only=True, limit=PAGE),
        ),
        Case(
            "list, API, one service",
            lambda r: f"{api}?service={slug(r)}&limit={PAGE}",
            lambda s, r: listed(s, service=slug(r), limit=PAGE),
        ),
        Case(
            "list, API, one service, resolved, pages 2-20",
            lambda r: (
                f"{api}?service={slug(r)}&state=resolved&limit={PAGE}"
                f"&offset={r.randrange(1, 20) * PAGE}"
            ),
            lambda s, r: listed(s, service=slug(r), limit=PAGE, offset=r.randrange(1, 20) * PAGE),
        ),
        Case(
            "list, API, deep page (offset N/4 to N/2)",
            lambda r: f"{api}?limit={PAGE}&offset={deep(r)}",
            lambda s, r: listed(s, limit=PAGE, offset=deep(r)),
        ),
        Case(
            "list, API, deep page (after an incident N/4 to N/2 back)",
            lambda r: f"{api}?limit={PAGE}&before={count - deep(r)}",
            lambda s, r: listed(s, limit=PAGE, before=count - deep(r)),
        ),
        Case(
            "list, HTML, open",
            lambda r: "/incidents?view=open",
            lambda s, r: listed(s, open_only=True, limit=200),
        ),
        Case(
            "list, HTML, all",
            lambda r: "/incidents?view=all",
            lambda s, r: listed(s, limit=200),
        ),
        Case(
            "list, HTML, one service, resolved",
            lambda r: f"/incidents?view=resolved&service={slug(r)}",
            lambda s, r: listed(s, service=slug(r), state=IncidentState.RESOLVED, limit=200),
        ),
        Case("incident, API", lambda r: f"{api}/{incident(r)}", page),
        Case("incident page, HTML", lambda r: f"/incidents/{incident(r)}", page),
        Case("MTTA/MTTR, last 365 days, API", lambda r: f"{api}/stats", year),
        Case(
            "MTTA/MTTR, last 365 days, one service, API",
            lambda r: f"{api}/stats?service={slug(r)}",
            lambda s, r: year(s, r, slug(r)),
        ),
        Case("verify one incident (verify_chain, in process)", None, verify),
    ]


def measure(url: str, base: str, world: World, count: int, repeats: int) -> list[Timing]:
    rng = random.Random(7)
    kinds = cases(world, count)
    samples: dict[str, list[float]] = {case.name: [] for case in kinds}
    bad: dict[str, int] = dict.fromkeys(samples, 0)
    database = Database(url)
    headers = {"Authorization": f"Bearer {world.viewer_token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for round_ in range(repeats + 3):  # the first three rounds warm up
            for case in kinds:
                started = time.perf_counter()
                if case.path is not None:
                    status = client.get(case.path(rng)).status_code
                else:
                    with database.session(read_only=True) as session:
                        started = time.perf_counter()
                        case.inside(session, rng)
                    status = 200
                elapsed = (time.perf_counter() - started) * 1000
                if round_ >= 3:
                    samples[case.name].append(elapsed)
                    bad[case.name] += status != 200
    database.dispose()
    return [
        Timing(
            name,
            len(values),
            round(percentile(values, 0.5), 1),
            round(percentile(values, 0.95), 1),
            round(max(values), 1),
            bad[name],
        )
        for name, values in samples.items()
    ]


@contextmanager
def _statements(database: Database) -> Iterator[list[tuple[str, Any, float]]]:
    """Every statement run on `database` inside the block, with its parameters and ms."""
    seen: list[tuple[str, Any, float]] = []
    started: list[float] = []

    def before(*args: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Connection, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        seen.append((statement, parameters, (time.perf_counter() - started.pop()) * 1000))

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)


def explain(url: str, world: World, count: int, names: list[str]) -> None:
    database = Database(url)
    rng = random.Random(11)
    for case in cases(world, count):
        if case.name not in names:
            continue
        with _statements(database) as seen, database.session(read_only=True) as session:
            case.inside(session, rng)
        for statement, parameters, ms in seen:
            if ms < 20:
                continue
            print(f"\n-- {case.name}: {ms:.0f} ms\n{statement}\n{parameters}")
            with database.engine.connect() as conn:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("\n".join(row[0] for row in plan))
    database.dispose()


def run(
    incidents: int,
    entries: int,
    repeats: int,
    *,
    workers: int = 2,
    indexes: str = "after",
    explain_slow: bool = False,
    keep: str | None = None,
    reuse: str | None = None,
) -> Measured:
    with _database(keep or reuse) as url:
        seeded: Seeded | None = None
        if reuse:
            world = _reused_world(url)
            migrate.upgrade(Database(url))
            incidents = _count(url, "incidents")
            entries = _count(url, "timeline_entries")
        else:
            world, seeded = seed(
                url, incidents=incidents, entries=entries, workers=workers, indexes=indexes
            )
            print(f"seeded in {seeded.seconds:.1f} s: {seeded.phases}", flush=True)
        work = scratch("bench-scale")
        with takepoint(url, work) as (base, _):
            timings = measure(url, base, world, incidents, repeats)
        if explain_slow:
            explain(url, world, incidents, [t.name for t in timings if t.p95 > TARGET_MS])
    return Measured(incidents, entries, seeded, timings)


@contextmanager
def _database(name: str | None) -> Iterator[str]:
    if name is None:
        with postgres_database() as url:
            yield url
        return
    url = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield url


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = int(conn.scalar(text(f"SELECT max(id) FROM {table}")) or 0)
    engine.dispose()
    return found


def _reused_world(url: str) -> World:
    """A kept database's services and a fresh read token (the secrets were never stored)."""
    database = Database(url)
    with database.session() as session:
        viewer = accounts.find_user_by_email(session, "viewer@example.org")
        _, secret = accounts.create_api_token(
            session, user=viewer, name="bench", scope=TokenScope.READ, now=datetime.now(UTC)
        )
        services = [(s.id, s.slug) for s in session.query(Service).order_by(Service.id)]
    database.dispose()
    return World(services=services, users=[], viewer_token=secret, admin_token="")


def print_report(measured: Measured) -> None:
    if measured.seeded:
        s = measured.seeded
        print(f"seeded {s.incidents:,} incidents, {s.entries:,} entries in {s.seconds:.0f} s")
    width = max(len(t.name) for t in measured.timings)
    print(f"{'query':<{width}}  {'n':>4}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}  target")
    for t in measured.timings:
        verdict = "met" if t.met else "MISSED"
        extra = f" ({t.bad} not 200)" if t.bad else ""
        print(
            f"{t.name:<{width}}  {t.n:>4}  {t.p50:>8.1f}  {t.p95:>8.1f}  {t.max:>8.1f}  "
            f"p95 <= {TARGET_MS:.0f} ms: {verdict}{extra}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--indexes", choices=("after", "before"), default="after")
    parser.add_argument("--explain", action="store_true")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--keep", metavar="NAME", help="seed into database NAME and keep it")
    group.add_argument("--reuse", metavar="NAME", help="measure database NAME kept earlier")
    args = parser.parse_args()
    measured = run(
        args.incidents,
        args.entries,
        args.repeats,
        workers=args.workers,
        indexes=args.indexes,
        explain_slow=args.explain,
        keep=args.keep,
        reuse=args.reuse,
    )
    print_report(measured)


if __name__ == "__main__":
    main()
