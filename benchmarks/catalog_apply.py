"""How long `takepoint apply` takes on a generated catalog, on a fresh SQLite database.

    .venv/bin/python -m benchmarks.catalog_apply [--services 200] [--database-url URL]

Prints figures; it is not a test. The target is under 5 s for 200 services with dependencies.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from takepoint.lib import migrate
from takepoint.lib.apply import apply_text, dump_yaml, export_text
from takepoint.lib.clock import SystemClock
from takepoint.lib.context import Context, bind
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.wiring import build_registry

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def generate_catalog(services: int, *, seed: int = 7) -> str:
    """A realistic catalog file: people, teams, departments, and services whose dependencies
    point only at services listed before them (so there is never a cycle)."""
    rng = random.Random(seed)
    people = [f"person{n:03d}@example.org" for n in range(max(4, services // 10))]
    departments = [f"dept-{n:02d}" for n in range(max(2, services // 20))]
    doc: dict[str, Any] = {
        "version": 1,
        "users": [
            {"email": email, "name": f"Person {n}", "time_zone": "Europe/London"}
            for n, email in enumerate(people)
        ],
        "teams": [
            {"slug": f"team-{n}", "name": f"Team {n}", "lead": people[n], "members": people[n::3]}
            for n in range(3)
        ],
        "departments": [
            {
                "slug": slug,
                "name": slug.replace("-", " ").title(),
                "do_not_disrupt": "In session 07:30-18:00" if n % 2 else "",
                "contacts": [{"name": f"Duty manager {n}", "phone": f"+44 20 7946 {n:04d}"}],
            }
            for n, slug in enumerate(departments)
        ],
        "services": [],
    }
    for n in range(services):
        slug = f"svc-{n:04d}"
        lead, backup = rng.sample(people, 2)
        earlier = [f"svc-{m:04d}" for m in range(n)]
        depends_on: list[dict[str, str]] = [
            {"service": target}
            for target in rng.sample(earlier, min(len(earlier), rng.randint(0, 3)))
        ]
        if n > 0 and rng.random() < 0.5:
            depends_on.append({"host": f"svc-{rng.randrange(n):04d}-a", "note": "database"})
        doc["services"].append(
            {
                "slug": slug,
                "name": f"Service {n}",
                "description": f"Generated service number {n}.",
                "tier": rng.randint(1, 4),
                "team": f"team-{n % 3}",
                "tech_lead": lead,
                "backup_lead": backup,
                "stores_data": n % 4 == 0,
                "departments": rng.sample(departments, rng.randint(1, 2)),
                "hosts": [
                    {"hostname": f"{slug}-a", "role": "application"},
                    {"hostname": f"{slug}-b", "role": "database"},
                ],
                "data": [{"store": "Main database", "location": f"{slug}-b:/var/lib/db"}],
                "links": [{"title": "Dashboard", "url": f"https://grafana.example.org/d/{slug}"}],
                "depends_on": depends_on,
                "runbooks": [
                    {
                        "slug": "restart",
                        "title": f"Restart service {n}",
                        "body": f"# Service {n}\n\nLogs are in `/var/log/{slug}`.\n",
                        "steps": [
                            {"kind": "check", "text": "Is it answering on its health URL?"},
                            {"kind": "plain", "text": f"`systemctl restart {slug}`"},
                            {
                                "kind": "disruptive",
                                "text": f"Reboot `{slug}-a`",
                                "confirm_with": rng.choice(departments),
                            },
                        ],
                        "last_reviewed": "2026-01-15",
                    }
                ],
            }
        )
    return dump_yaml(doc)


def _timed(db: Database, context: Context, text: str, name: str) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds: on a busy machine the CPU figure is the steadier one."""
    wall, cpu = time.perf_counter(), time.process_time()
    with db.session() as session:
        bind(session, context)
        plan = apply_text(session, text=text, filename=name, now=NOW)
    return time.perf_counter() - wall, time.process_time() - cpu, plan.summary()


def _show(label: str, wall: float, cpu: float, summary: str = "") -> None:
    print(f"{label:<14}{wall:6.2f} s wall {cpu:6.2f} s CPU  {summary}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()

    text = generate_catalog(args.services)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        migrate.upgrade(db)
        print(f"catalog: {args.services} services, {len(text.splitlines())} lines of YAML")
        print(f"database: {db.dialect}")
        wall, cpu = time.perf_counter(), time.process_time()
        registry = build_registry()  # every domain's modules, imported once per process
        _show("imports:", time.perf_counter() - wall, time.process_time() - cpu)
        settings = Settings(data_dir=Path(tmp), database_url=url)
        context = Context.build(settings, registry, SystemClock())
        first_wall, first_cpu, summary = _timed(db, context, text, "catalog.yaml")
        _show("first apply:", first_wall, first_cpu, f"({summary})")
        _show("second apply:", *_timed(db, context, text, "catalog.yaml")[:2])
        wall, cpu = time.perf_counter(), time.process_time()
        with db.session(read_only=True) as session:
            exported = export_text(session, sections=registry.apply_sections)
        _show("export:", time.perf_counter() - wall, time.process_time() - cpu)
        round_wall, round_cpu, summary = _timed(db, context, exported, "export.yaml")
        _show("apply export:", round_wall, round_cpu, f"({summary})")
        verdict = "under" if first_wall < 5 else "OVER"
        print(f"target: first apply under 5 s wall-clock: {verdict}")
        db.dispose()


if __name__ == "__main__":
    main()
