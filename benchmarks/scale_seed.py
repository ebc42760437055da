"""Fill a migrated PostgreSQL database with years of incidents and valid hash-chained timelines.

Incidents are spread evenly over the last three years across 50 services (a few services
have far more than others), ids rising with the time they opened, as a real database grows.
Most are resolved, with acknowledged_at and resolved_at set; the newest few per mille and a
scattering of old ones are still open. Each incident has a timeline of varying length whose
entries are hashed exactly as `takepoint.timeline.chain` hashes them, linked by prev_hash, with
a matching `timeline_heads` row, so `takepoint verify` passes.

Rows go in with COPY from several worker processes, each writing its own range of ids. With
`indexes="after"` the secondary indexes and constraints of the two big tables are dropped first
and re-created from their saved definitions afterwards; the schema is then compared with the
one the migrations built, so the result is exactly the migrated schema.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context

import psycopg
from sqlalchemy import make_url

from takepoint.accounts import service as accounts
from takepoint.accounts.models import Role, TokenScope
from takepoint.catalog import service as catalog
from takepoint.lib import migrate
from takepoint.lib.db import Database
from takepoint.timeline.chain import GENESIS, _fast_hash

SERVICES = 50
TEAMS = 8
RESPONDERS = 40
YEARS = 3
CHUNK = 20_000  # incidents per COPY transaction
BIG_TABLES = ("incidents", "timeline_entries")
NULL = "\\N"  # COPY's text format
AREAS = [
    "app-server", "ehr", "pacs", "lab", "pharmacy", "theatres", "wifi", "vpn", "email", "dns",
    "printing", "badge-access", "telephony", "paging-gateway", "backup", "storage", "hl7",
    "radiology", "portal", "billing", "payroll", "ad", "sso", "citrix", "firewall", "core-switch",
    "ups", "hvac-monitoring", "nurse-call", "bed-board", "blood-bank", "cardiology", "dialysis",
    "ed-tracker", "fax", "icu-monitors", "intranet", "kiosks", "mdm", "mri-scheduler",
    "ordercomms", "pathology", "patient-wifi", "pharmacy-robot", "sterile-services", "transport",
    "translation", "video-visits", "ward-tablets", "wristbands",
]  # fmt: skip
PROBLEMS = [
    "not responding", "high latency", "disk 95% full", "certificate expires in 3 days",
    "login failures", "queue backing up", "replication lag", "5xx rate above 2%",
    "heartbeat missed", "interface down", "memory above 90%", "job failed",
]  # fmt: skip
POLICY = json.dumps(
    {
        "name": "Default",
        "repeat": 1,
        "no_progress_minutes": 30,
        "levels": [
            {"delay_minutes": 5, "targets": [{"kind": "schedule", "schedule_id": 1}]},
            {"delay_minutes": 10, "targets": [{"kind": "backup_lead"}]},
        ],
    }
)


@dataclass(frozen=True)
class World:
    """What the rows point at, made with the product's own services (small numbers)."""

    services: list[tuple[int, str]]  # (id, slug)
    users: list[int]
    viewer_token: str
    admin_token: str


@dataclass
class Seeded:
    incidents: int
    entries: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_world(database: Database, now: datetime) -> World:
    with database.session() as session:
        admin = accounts.create_user(
            session, email="admin@example.org", display_name="Ada Admin", role=Role.ADMIN, now=now
        )
        viewer = accounts.create_user(
            session,
            email="viewer@example.org",
            display_name="Vic Viewer",
            role=Role.VIEWER,
            now=now,
        )
        people = [
            accounts.create_user(
                session, email=f"responder{n}@example.org", display_name=f"Responder {n}", now=now
            )
            for n in range(1, RESPONDERS + 1)
        ]
        teams = [
            accounts.create_team(session, name=f"Team {n}", lead=people[n], now=now)
            for n in range(TEAMS)
        ]
        services = [
            catalog.create_service(
                session,
                slug=slug,
                name=slug.replace("-", " ").title(),
                team=teams[n % TEAMS],
                tech_lead=people[n % RESPONDERS],
                backup_lead=people[(n + 7) % RESPONDERS],
                tier=1 + n % 4,
                now=now,
            )
            for n, slug in enumerate(AREAS[:SERVICES])
        ]
        tokens = [
            accounts.create_api_token(session, user=u, name="bench", scope=s, now=now)[1]
            for u, s in ((viewer, TokenScope.READ), (admin, TokenScope.READ))
        ]
        return World(
            services=[(s.id, s.slug) for s in services],
            users=[p.id for p in people],
            viewer_token=tokens[0],
            admin_token=tokens[1],
        )


# --- the schema of the big tables, set aside while loading ---------------------------------

_DEFINITIONS = """
SELECT 'index', c.relname, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relname = ANY(%(tables)s) AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
UNION ALL
SELECT 'constraint', c.relname, k.conname, pg_get_constraintdef(k.oid)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 WHERE c.relname = ANY(%(tables)s) AND k.contype IN ('u', 'f')
 ORDER BY 1, 2, 3
"""


def _definitions(conn: psycopg.Connection[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return list(conn.execute(_DEFINITIONS, {"tables": list(BIG_TABLES)}))


def _set_aside(conn: psycopg.Connection[tuple[str, ...]]) -> list[tuple[str, ...]]:
    saved = _definitions(conn)
    for kind, table, name, _ in saved:
        if kind == "index":
            conn.execute(f'DROP INDEX "{name}"')
        else:
            conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return saved


def _restore(url: str, saved: list[tuple[str, ...]]) -> None:
    """Indexes and unique constraints first (several at once), then the foreign keys."""
    statements = [
        definition
        if kind == "index"
        else f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
        for kind, table, name, definition in saved
        if not definition.startswith("FOREIGN KEY")
    ]
    foreign = [
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
        for kind, table, name, definition in saved
        if kind == "constraint" and definition.startswith("FOREIGN KEY")
    ]
    with ProcessPoolExecutor(2, mp_context=get_context("fork")) as pool:
        list(pool.map(_run_sql, [url] * len(statements), statements))
    _run_sql(url, *foreign)


def _run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in statements:
            conn.execute(statement)


# --- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    first_incident: int
    incidents: int
    first_entry: int
    entries: int
    total_incidents: int
    start: datetime
    span: float  # seconds over which all incidents open
    world: World
    seed: int


def _stamp(moment: datetime) -> str:
    """SQLite's stored form of a UTC time, which `_fast_hash` reads fastest; PostgreSQL's COPY
    reads it as UTC with the "+00" added."""
    return moment.isoformat(sep=" ", timespec="microseconds")[:26]


def _lengths(rng: random.Random, incidents: int, entries: int, least: int) -> list[int]:
    """Timeline lengths that vary from incident to incident and add up to `entries`."""
    spare = entries - least * incidents
    extra = Counter(rng.choices(range(incidents), k=spare))
    return [least + extra[n] for n in range(incidents)]


def _weights() -> list[float]:
    return [1 / (rank + 1) ** 0.8 for rank in range(SERVICES)]


def rows(chunk: Chunk) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """COPY lines (incidents, entries, heads), a few hundred incidents at a time."""
    rng = random.Random(chunk.seed)
    world = chunk.world
    least = min(4, chunk.entries // chunk.incidents)
    lengths = _lengths(rng, chunk.incidents, chunk.entries, least)
    services = rng.choices(world.services, weights=_weights(), k=chunk.incidents)
    entry_id = chunk.first_entry
    recent_open = max(1, chunk.total_incidents * 3 // 1000)
    incidents: list[str] = []
    entries: list[str] = []
    heads: list[str] = []
    for n in range(chunk.incidents):
        incident_id = chunk.first_incident + n
        opened = chunk.start + timedelta(
            seconds=(incident_id - 1 + rng.random()) * chunk.span / chunk.total_incidents
        )
        service_id, slug = services[n]
        state_open = incident_id > chunk.total_incidents - recent_open or rng.random() < 0.001
        urgency = "high" if rng.random() < 0.7 else "low"
        source = rng.choices(("alert", "phone", "web", "email"), (80, 10, 8, 2))[0]
        point = rng.choice(world.users)
        acked_after = rng.lognormvariate(5.7, 1.0)  # median ~5 minutes
        resolved_after = acked_after + rng.lognormvariate(8.3, 1.2)  # median ~70 minutes
        skip_ack = rng.random() < 0.06
        if state_open:
            skip_ack = rng.random() < 0.5
            state = "triggered" if skip_ack else "acknowledged"
            resolved_at = None
        else:
            state = "resolved"
            resolved_at = opened + timedelta(seconds=resolved_after)
        acked_at = None if skip_ack else opened + timedelta(seconds=acked_after)
        title = f"{slug}: {rng.choice(PROBLEMS)}"
        # Entry times: the opening, then the rest spread up to the resolution (or a day on).
        length = lengths[n]
        end = resolved_at or opened + timedelta(hours=rng.uniform(0.2, 24))
        window = (end - opened).total_seconds()
        times = sorted(opened + timedelta(seconds=rng.random() * window) for _ in range(length - 1))
        if resolved_at is not None and times:
            times[-1] = resolved_at
        kinds = _kinds(length, acked_at, resolved_at, times)
        chain = f"incident:{incident_id}"
        prev = GENESIS
        for seq, (at, kind) in enumerate(zip([opened, *times], kinds, strict=True), start=1):
            actor, text, data = _entry(kind, title, slug, service_id, urgency, source, point, seq)
            stamp = _stamp(at)
            entry_hash = _fast_hash(chain, seq, stamp, actor, kind, text, data, prev)
            entries.append(
                f"{entry_id}\t{chain}\t{seq}\t{stamp}+00\t{NULL if actor is None else actor}\t"
                f"{kind}\t{text}\t{json.dumps(data)}\t{prev}\t{entry_hash}\n"
            )
            prev = entry_hash
            entry_id += 1
        heads.append(f"{chain}\t{length}\t{prev}\n")
        last = ([opened, *times])[-1]
        incidents.append(
            "\t".join(
                (
                    str(incident_id),
                    str(service_id),
                    title,
                    "",
                    urgency,
                    state,
                    source,
                    f"{slug}/{rng.randrange(10_000)}" if source == "alert" else NULL,
                    _stamp(opened) + "+00",
                    _stamp(acked_at) + "+00" if acked_at else NULL,
                    _stamp(resolved_at) + "+00" if resolved_at else NULL,
                    "Fixed: restarted and watched for 15 minutes" if resolved_at else "",
                    NULL if source == "alert" else str(point),
                    "",
                    NULL,
                    NULL if acked_at is None else str(point),
                    POLICY,
                    "0",
                    "0",
                    _stamp(opened + timedelta(minutes=5)) + "+00" if state == "triggered" else NULL,
                    NULL,
                    "0",
                    _stamp(last) + "+00",
                )
            )
            + "\n"
        )
        if len(incidents) == 500:
            yield incidents, entries, heads
            incidents, entries, heads = [], [], []
    if incidents:
        yield incidents, entries, heads


def _kinds(
    length: int, acked_at: datetime | None, resolved_at: datetime | None, times: list[datetime]
) -> list[str]:
    kinds = ["opened"]
    acked_index = None
    if acked_at is not None and length > 2:
        # The acknowledgement is the first entry at or after the acknowledgement time.
        acked_index = next((i for i, t in enumerate(times) if t >= acked_at), None)
        if acked_index is not None and resolved_at is not None and acked_index == len(times) - 1:
            acked_index = len(times) - 2 if len(times) >= 2 else None
    for i in range(len(times)):
        if resolved_at is not None and i == len(times) - 1:
            kinds.append("resolved")
        elif i == acked_index:
            kinds.append("acknowledged")
        elif acked_index is None or i < acked_index:
            kinds.append(("notification", "delivery", "escalated", "alert")[i % 4])
        else:
            kinds.append(("note", "status_update", "delivery", "note")[i % 4])
    return kinds


def _entry(
    kind: str,
    title: str,
    slug: str,
    service_id: int,
    urgency: str,
    source: str,
    point: int,
    seq: int,
) -> tuple[int | None, str, dict[str, object]]:
    if kind == "opened":
        data: dict[str, object] = {"service_id": service_id, "urgency": urgency, "source": source}
        return None, f"Alert received: {title} (service {slug}, {urgency} urgency)", data
    if kind == "notification":
        return None, f"Paged Responder {point} by email (level 1)", {"user_id": point, "level": 1}
    if kind == "delivery":
        return None, f"Email to Responder {point} delivered", {"outbox_id": seq, "status": "sent"}
    if kind == "escalated":
        return None, "No acknowledgement after 5 minutes: paging level 2", {"level": 2}
    if kind == "alert":
        return None, f"Alert repeated: {title}", {"count": seq}
    if kind == "acknowledged":
        return point, f"Responder {point} acknowledged and is the point person", {}
    if kind == "resolved":
        note = "Fixed: restarted and watched for 15 minutes"
        return point, f"Resolved by Responder {point}: {note}", {"note": note}
    if kind == "status_update":
        return point, f"Update: still investigating {slug}; next update in 30 minutes", {}
    return point, f"Checked {slug} logs on host {slug}-0{seq % 4}; step {seq} done", {}


_INCIDENT_COLUMNS = (
    "id, service_id, title, description, urgency, state, source, dedup_key, opened_at, "
    "acknowledged_at, resolved_at, resolution_note, reporter_id, caller_name, "
    "caller_department_id, point_user_id, policy_snapshot, level_index, repeats_done, "
    "next_escalation_at, next_nudge_at, nudge_stage, last_activity_at"
)
_ENTRY_COLUMNS = "id, chain, seq, at, actor_id, kind, text, data, prev_hash, entry_hash"


def load_chunk(url: str, chunk: Chunk) -> None:
    with psycopg.connect(_libpq(url)) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cursor:
            batches = list(rows(chunk))
            with cursor.copy(f"COPY incidents ({_INCIDENT_COLUMNS}) FROM STDIN") as copy:
                for incidents, _, _ in batches:
                    copy.write("".join(incidents))
            with cursor.copy(f"COPY timeline_entries ({_ENTRY_COLUMNS}) FROM STDIN") as copy:
                for _, entries, _ in batches:
                    copy.write("".join(entries))
            with cursor.copy("COPY timeline_heads (chain, seq, entry_hash) FROM STDIN") as copy:
                for _, _, heads in batches:
                    copy.write("".join(heads))


def chunks(world: World, incidents: int, entries: int, now: datetime) -> list[Chunk]:
    span = YEARS * 365 * 86400.0
    start = now - timedelta(seconds=span)
    planned: list[Chunk] = []
    first_entry = 1
    for first in range(1, incidents + 1, CHUNK):
        count = min(CHUNK, incidents - first + 1)
        # Entries in proportion, rounded so that the chunks add up exactly.
        share = (first - 1 + count) * entries // incidents - (first - 1) * entries // incidents
        planned.append(
            Chunk(first, count, first_entry, share, incidents, start, span, world, seed=first)
        )
        first_entry += share
    return planned


def seed(
    url: str, *, incidents: int, entries: int, workers: int = 2, indexes: str = "after"
) -> tuple[World, Seeded]:
    """Migrate `url`, make the world, then load; returns the world and how long each step took."""
    if entries < incidents:
        raise ValueError("give every incident at least one timeline entry")
    started = time.perf_counter()
    phases: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = round(now - since, 2)
        return now

    database = Database(url)
    migrate.upgrade(database)
    now = datetime.now(UTC)
    world = make_world(database, now)
    database.dispose()
    mark = lap("migrate and world", started)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        migrated = _definitions(conn)
        saved = _set_aside(conn) if indexes == "after" else []
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        planned = chunks(world, incidents, entries, now)
        list(pool.map(load_chunk, [url] * len(planned), planned))
    mark = lap("copy", mark)
    if saved:
        _restore(url, saved)
        mark = lap("indexes and constraints", mark)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        if _definitions(conn) != migrated:
            raise RuntimeError("the loaded schema differs from the migrated one")
        for table in ("incidents", "timeline_entries"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        # Sets the visibility map (index-only scans) and the planner's statistics, as
        # autovacuum would soon after such a load.
        conn.execute("VACUUM (ANALYZE) incidents, timeline_entries, timeline_heads")
    lap("vacuum and analyze", mark)
    return world, Seeded(incidents, entries, round(time.perf_counter() - started, 1), phases)
