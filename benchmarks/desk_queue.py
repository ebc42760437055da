"""The agents' queues on PostgreSQL at a million tickets.

    .venv/bin/python -m benchmarks.desk_queue [--tickets 1000000] [--runs 50] [--seconds 900]
        [--keep NAME | --reuse NAME]

Seeds a database of its own: 40 agents in 8 teams, 50,000 requesters and --tickets tickets
opened evenly over three years (ids rising with time). Old tickets are nearly all closed, with
a backlog of ~2.5 % still open or waiting; the last fortnight's are a mix of new, open,
waiting, resolved and closed. Every ticket has first-response and resolution clocks (a third a
next-response clock too): met once answered or resolved, paused while waiting, running (past
due and breached, for the backlog) otherwise. A third of the tickets are tagged. Rows go in
with COPY, then the tables are vacuumed and analysed, as autovacuum would soon after.

Each queue (every view, and searches by number, by a title word, by a requester's name and a
tag filter) is timed twice, taking turns: through `desk.queues.queue()` in this process, and
as the real page, GET /desk, from a real `takepoint web` on the same database with an agent
signed in through the login form. The page is measured against a separate server process over
loopback, not an in-process ASGI client, so that its figures include what an agent waits for:
HTTP parsing, the session lookup, the template and the rest of the page's queries, with the
server's own connection pool and garbage collector. The client sends one request at a time.
Measuring stops after --seconds even if fewer than --runs rounds were done. `--keep NAME`
leaves the seeded database behind; `--reuse NAME` migrates such a database and measures it
again. It measures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
from sqlalchemy import create_engine, make_url, text

from benchmarks.harness import POSTGRES_ADMIN, percentile, postgres_database, scratch, takepoint
from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role
from takepoint.desk import queues
from takepoint.desk.models import Priority, Target, TicketState
from takepoint.desk.queues import QueueView
from takepoint.lib import migrate
from takepoint.lib.db import Database

TARGET_MS = 100.0
AGENTS = 40
TEAMS = 8
REQUESTERS = 50_000
YEARS = 3
CHUNK = 50_000  # tickets per COPY transaction
BACKLOG = 0.025  # old tickets never closed
AGENT = "agent1@example.org"
PASSWORD = "bench-password-bench"
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kemi",
         "Liam", "Maya", "Noor", "Oscar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar",
         "Vera", "Wei", "Yara", "Zoe", "Aled", "Bea", "Cai", "Dara", "Eli"]  # fmt: skip
LAST = ["Okafor", "Smith", "Jones", "Patel", "Nguyen", "Kowalski", "Murphy", "Garcia", "Khan",
        "Lewis", "Evans", "Rossi", "Novak", "Haddad", "Silva", "Brown", "Taylor", "Wilson",
        "Ahmed", "Clarke", "Walsh", "Hughes", "Ward", "Price", "Begum", "Ali", "Reid", "Moss",
        "Lloyd", "Kaur", "Young", "Hall", "Webb", "Pike", "Shaw", "Ford", "Hart", "Lane",
        "Bell", "Dunn"]  # fmt: skip
THINGS = ["Printer", "Laptop", "Monitor", "Badge reader", "VPN", "Email", "Password", "Wi-Fi",
          "Desk phone", "Scanner", "EHR login", "PACS viewer", "Label printer", "Dock", "Tablet",
          "Keyboard", "Shared drive", "Teams call", "Citrix session", "Pager"]  # fmt: skip
PROBLEMS = ["does not turn on", "is very slow", "keeps disconnecting", "shows an error",
            "needs replacing", "is locked out", "jams", "prints blank pages", "will not sync",
            "asks for the password again", "is missing", "needs installing"]  # fmt: skip
PLACES = ["ward {n}", "theatre {n}", "room {n}", "clinic {n}", "pharmacy", "reception", "ICU",
          "radiology", "the lab", "finance", "HR", "outpatients"]  # fmt: skip
TAGS = ["printing", "hardware", "access", "network", "ehr", "new-starter", "leaver", "vip",
        "phones", "software", "wifi", "backup", "security", "loan", "training"]  # fmt: skip
# Minutes to the first response and to resolution, per priority (calendar time).
FIRST_MINUTES = {Priority.P1: 15, Priority.P2: 60, Priority.P3: 240, Priority.P4: 480}
RESOLVE_MINUTES = {Priority.P1: 240, Priority.P2: 1440, Priority.P3: 4320, Priority.P4: 14400}
PRIORITIES = (Priority.P1, Priority.P2, Priority.P3, Priority.P4)
PRIORITY_WEIGHTS = (2, 13, 60, 25)
RECENT = (  # (age in days up to, states, weights)
    (1, ("new", "open", "waiting_on_requester", "resolved"), (30, 45, 10, 15)),
    (7, ("new", "open", "waiting_on_requester", "waiting_on_third_party", "resolved", "closed"),
     (3, 30, 15, 5, 40, 7)),
    (14, ("open", "waiting_on_requester", "waiting_on_third_party", "resolved", "closed"),
     (15, 7, 3, 10, 65)),
)  # fmt: skip
OLD_IN_PLAY = (("open", "waiting_on_requester", "waiting_on_third_party"), (60, 25, 15))

TICKET_COLUMNS = (
    "id, title, description, requester_id, type, priority, team_id, assignee_id, state, "
    "channel, created_at, updated_at, resolved_at, sla_reason, root_cause, root_cause_shared"
)
CLOCK_COLUMNS = (
    "id, ticket_id, target, target_seconds, used_seconds, running_since, due_at, warn_at, "
    "met_at, breached_at"
)


# --- seeding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staff:
    teams: list[list[int]]  # each team's members, by user id


def make_staff(database: Database, now: datetime) -> Staff:
    """Agents and teams through the product's own services; only the measured agent can sign in
    (hashing 40 passwords would only slow the seeding)."""
    with database.session() as session:
        agents = [
            accounts.create_user(
                session,
                email=f"agent{n}@example.org",
                display_name=f"Agent {n}",
                role=Role.RESPONDER,
                password=PASSWORD if n == 1 else None,
                now=now,
            )
            for n in range(1, AGENTS + 1)
        ]
        teams = [
            accounts.create_team(session, name=f"Team {n + 1}", lead=agents[n], now=now)
            for n in range(TEAMS)
        ]
        for n, agent in enumerate(agents):
            accounts.add_team_member(session, team=teams[n % TEAMS], user=agent)
            if n % 4 == 0:  # some agents sit in two teams
                accounts.add_team_member(session, team=teams[(n + 1) % TEAMS], user=agent)
        return Staff([[m.user_id for m in team.members] for team in teams])


def seed(url: str, count: int) -> float:
    started = time.perf_counter()
    database = Database(url)
    migrate.upgrade(database)
    now = datetime.now(UTC)
    staff = make_staff(database, now)
    database.dispose()
    rng = random.Random(20261204)
    with psycopg.connect(_libpq(url)) as conn:
        _copy_requesters(conn, rng, now)
        conn.commit()
        clock_ids = iter(range(1, 4 * count + 1))
        for first in range(1, count + 1, CHUNK):
            last = min(count, first + CHUNK - 1)
            _copy_tickets(conn, rng, staff, now, range(first, last + 1), count, clock_ids)
            conn.commit()
            print(f"  {last:,} tickets", flush=True)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        for table in ("desk_requesters", "desk_tickets", "desk_ticket_clocks"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        for table in ("desk_requesters", "desk_tickets", "desk_ticket_clocks", "desk_ticket_tags"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return time.perf_counter() - started


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _copy_requesters(conn: psycopg.Connection[Any], rng: random.Random, now: datetime) -> None:
    columns = "id, name, email, phone, organisation, language, time_zone, vip, notes, created_at"
    with conn.cursor().copy(f"COPY desk_requesters ({columns}) FROM STDIN") as copy:
        for n in range(1, REQUESTERS + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}.{n}@example.org".lower()
            vip = rng.random() < 0.01
            copy.write_row((n, f"{first} {last}", email, "", "", "en", "UTC", vip, "", now))


def _copy_tickets(
    conn: psycopg.Connection[Any],
    rng: random.Random,
    staff: Staff,
    now: datetime,
    ids: range,
    count: int,
    clock_ids: Iterator[int],
) -> None:
    span = timedelta(days=365 * YEARS)
    tickets, clocks, tags = [], [], []
    for ticket_id in ids:
        opened = now - span + span * (ticket_id / count) - timedelta(seconds=rng.random() * 60)
        ticket, state, priority = _ticket(rng, staff, ticket_id, opened, now)
        tickets.append(ticket)
        made = _clocks(rng, ticket_id, state, priority, opened, now)
        clocks += [(next(clock_ids), *row) for row in made]
        tags += [(ticket_id, tag) for tag in _tags(rng)]
    with conn.cursor() as cursor:
        for table, columns, rows in (
            ("desk_tickets", TICKET_COLUMNS, tickets),
            ("desk_ticket_clocks", CLOCK_COLUMNS, clocks),
            ("desk_ticket_tags", "ticket_id, tag", tags),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def _state(rng: random.Random, age: timedelta) -> TicketState:
    for days, states, weights in RECENT:
        if age <= timedelta(days=days):
            return TicketState(rng.choices(states, weights)[0])
    if rng.random() < BACKLOG:
        return TicketState(rng.choices(*OLD_IN_PLAY)[0])
    return TicketState.CLOSED


def _ticket(
    rng: random.Random, staff: Staff, ticket_id: int, opened: datetime, now: datetime
) -> tuple[tuple[Any, ...], TicketState, Priority]:
    state = _state(rng, now - opened)
    priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
    team = min(int(rng.expovariate(0.35)), TEAMS - 1)  # team 1 busiest
    unassigned = 0.7 if state is TicketState.NEW else 0.08 if not state.finished else 0.0
    assignee = None if rng.random() < unassigned else rng.choice(staff.teams[team])
    resolved = opened + timedelta(hours=rng.uniform(1, 72)) if state.finished else None
    place = rng.choice(PLACES).format(n=rng.randint(1, 2000))
    title = f"{rng.choice(THINGS)} {rng.choice(PROBLEMS)} in {place}"
    requester = 1 + int(REQUESTERS * rng.random() ** 2)  # some people ask far more often
    row = (
        ticket_id, title, "", requester, "request", priority.value, team + 1, assignee,
        state.value, "web", opened, resolved or opened, resolved, "bench", "", False,
    )  # fmt: skip
    return row, state, priority


def _clocks(
    rng: random.Random,
    ticket_id: int,
    state: TicketState,
    priority: Priority,
    opened: datetime,
    now: datetime,
) -> list[tuple[Any, ...]]:
    """(ticket_id, target, target_seconds, used, running_since, due, warn, met, breached)."""
    first = timedelta(minutes=FIRST_MINUTES[priority])
    resolve = timedelta(minutes=RESOLVE_MINUTES[priority])
    rows = []
    if state is TicketState.NEW:
        rows.append(_running(ticket_id, Target.FIRST_RESPONSE, first, opened, now))
    else:
        met = opened + first * rng.uniform(0.1, 1.3)
        rows.append(_met(ticket_id, Target.FIRST_RESPONSE, first, opened, met))
    if state.finished:
        rows.append(_met(ticket_id, Target.RESOLUTION, resolve, opened, opened + resolve * 0.5))
    elif state.paused:
        used = (resolve * rng.uniform(0.1, 0.9)).total_seconds()
        rows.append((ticket_id, Target.RESOLUTION.value, int(resolve.total_seconds()), used,
                     None, None, None, None, None))  # fmt: skip
    else:
        rows.append(_running(ticket_id, Target.RESOLUTION, resolve, opened, now))
    if state is not TicketState.NEW and rng.random() < 0.33:
        since = opened + first * 2
        if state is TicketState.OPEN and rng.random() < 0.3:
            rows.append(_running(ticket_id, Target.NEXT_RESPONSE, first, since, now))
        else:
            rows.append(_met(ticket_id, Target.NEXT_RESPONSE, first, since, since + first / 2))
    return rows


def _running(
    ticket_id: int, target: Target, length: timedelta, since: datetime, now: datetime
) -> tuple[Any, ...]:
    due = since + length
    warn = since + length * 0.75
    return (
        ticket_id, target.value, int(length.total_seconds()), 0.0, since, due,
        warn if warn > now else None, None, due if due <= now else None,
    )  # fmt: skip


def _met(
    ticket_id: int, target: Target, length: timedelta, since: datetime, met: datetime
) -> tuple[Any, ...]:
    used = (met - since).total_seconds()
    late = since + length if met > since + length else None
    return (ticket_id, target.value, int(length.total_seconds()), used, None, None, None, met,
            late)  # fmt: skip


def _tags(rng: random.Random) -> list[str]:
    roll = rng.random()
    wanted = 2 if roll < 0.08 else 1 if roll < 0.33 else 0
    # Earlier tags in the list are the common ones.
    return sorted({TAGS[min(int(rng.expovariate(0.3)), len(TAGS) - 1)] for _ in range(wanted)})


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One queue: its view and query string, the same for `queue()` and for GET /desk."""

    name: str
    view: QueueView
    search: Callable[[random.Random], str] = lambda rng: ""
    tag: str = ""


def cases(count: int) -> list[Case]:
    return [
        *(Case(view.value, view) for view in QueueView),
        Case("all, search by number", QueueView.ALL, lambda r: f"#{r.randint(1, count)}"),
        Case("all, search a common title word", QueueView.ALL, lambda r: "scanner"),
        Case(
            "all, search a rare title phrase",
            QueueView.ALL,
            lambda r: f"room {r.randint(1000, 2000)}",
        ),
        Case("all, search a requester's name", QueueView.ALL, lambda r: r.choice(LAST)),
        Case("all, tag filter", QueueView.ALL, tag="network"),
        Case("team, tag filter", QueueView.TEAM, tag="printing"),
        Case("breaching, search a title word", QueueView.BREACHING, lambda r: "badge"),
    ]


@dataclass(frozen=True)
class Timing:
    name: str
    n: int
    p50: float
    p95: float
    max: float
    rows: int  # tickets on the last page
    bad: int  # pages not answered 200


def sign_in(client: httpx.Client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if token is None:
        raise RuntimeError(f"no sign-in form at /login ({page.status_code})")
    answer = client.post(
        "/login", data={"email": AGENT, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"could not sign in as {AGENT}: {answer.status_code}")


def measure(url: str, base: str, count: int, runs: int, seconds: float) -> list[Timing]:
    rng = random.Random(7)
    kinds = cases(count)
    samples: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    bad: dict[str, int] = {}
    database = Database(url)
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        sign_in(client)
        for round_ in range(runs + 3):  # the first three rounds warm up
            if time.monotonic() > deadline:
                print(f"stopped after {round_ - 3} rounds: --seconds {seconds:.0f} ran out")
                break
            for case in kinds:
                search = case.search(rng)
                inside, found = _time_queue(database, case, search)
                params = {"view": case.view.value, "q": search, "tag": case.tag}
                started = time.perf_counter()
                page = client.get("/desk", params={k: v for k, v in params.items() if v})
                outside = (time.perf_counter() - started) * 1000
                if round_ < 3:
                    continue
                for where, ms in (("queue()", inside), ("GET /desk", outside)):
                    name = f"{where}: {case.name}"
                    samples.setdefault(name, []).append(ms)
                    rows[name] = found if where == "queue()" else page.text.count("ticket-row")
                    bad[name] = bad.get(name, 0) + (where != "queue()" and page.status_code != 200)
    database.dispose()
    return [
        Timing(
            name,
            len(values),
            round(percentile(values, 0.5), 1),
            round(percentile(values, 0.95), 1),
            round(max(values), 1),
            rows[name],
            bad[name],
        )
        for name, values in sorted(samples.items(), key=lambda item: item[0].startswith("GET"))
    ]


def _time_queue(database: Database, case: Case, search: str) -> tuple[float, int]:
    with database.session(read_only=True) as session:
        agent = accounts.find_user_by_email(session, AGENT)
        started = time.perf_counter()
        found = queues.queue(
            session, view=case.view, user=agent, now=datetime.now(UTC), search=search, tag=case.tag
        )
        return (time.perf_counter() - started) * 1000, len(found)


# --- the run --------------------------------------------------------------------------------


@contextmanager
def _database(keep: str | None, reuse: str | None) -> Iterator[str]:
    name = keep or reuse
    if name is None:
        with postgres_database() as url:
            yield url
        return
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if keep and exists:
            raise SystemExit(f"database {name} exists already: --reuse it or drop it")
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = int(conn.scalar(text("SELECT max(id) FROM desk_tickets")) or 0)
    engine.dispose()
    return found


def print_report(timings: list[Timing]) -> None:
    width = max(len(t.name) for t in timings)
    print(
        f"{'queue':<{width}}  {'n':>3}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}  rows  target"
    )
    for t in timings:
        verdict = "met" if t.p95 <= TARGET_MS and not t.bad else "MISSED"
        extra = f" ({t.bad} not 200)" if t.bad else ""
        print(
            f"{t.name:<{width}}  {t.n:>3}  {t.p50:>7.1f}  {t.p95:>7.1f}  {t.max:>7.1f}  "
            f"{t.rows:>4}  p95 <= {TARGET_MS:.0f} ms: {verdict}{extra}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=900, help="longest time measuring")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--keep", metavar="NAME", help="seed into database NAME and keep it")
    group.add_argument("--reuse", metavar="NAME", help="measure database NAME kept earlier")
    args = parser.parse_args()
    with _database(args.keep, args.reuse) as url:
        if args.reuse:
            database = Database(url)
            migrate.upgrade(database)
            database.dispose()
        else:
            print(f"seeding {args.tickets:,} tickets", flush=True)
            print(f"seeded in {seed(url, args.tickets):.0f} s", flush=True)
        count = _count(url)
        print(f"load average before measuring: {os.getloadavg()[0]:.1f}", flush=True)
        with takepoint(url, scratch("bench-desk-queue")) as (base, _):
            timings = measure(url, base, count, args.runs, args.seconds)
        print(f"{count:,} tickets; load average after: {os.getloadavg()[0]:.1f}")
    print_report(timings)


if __name__ == "__main__":
    main()
