"""Domains plug in through the registry; none registers anything when it is imported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from takepoint.engine.loop import lanes_of
from takepoint.lib.registry import DomainParts, Job, Lane, Registry, RegistryError
from takepoint.wiring import DOMAINS, build_registry

DOMAIN_PACKAGES = [
    "accounts",
    "catalog",
    "timeline",
    "oncall",
    "signals",
    "notify",
    "incidents",
    "reviews",
    "desk",
    "mail",
    "engine",
    "ops",
    "home",
]

# Imports every module of one domain (and so whatever it needs), or of all Takepoint, builds the
# registry, and prints a fingerprint of each module-level list, dict and set of the modules it
# loaded, and of the registry.
_PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import takepoint

    def walk(name):
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if ".migrations" not in info.name and not info.name.endswith("__main__"):
                importlib.import_module(info.name)

    def shape(value):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return sorted(
            repr(key) + ":" + getattr(item, "__qualname__", type(item).__name__)
            for key, item in items
        ) if not isinstance(value, set) else sorted(map(repr, value))

    walk("takepoint" + (sys.argv[1] and "." + sys.argv[1]))
    found = {}
    for name in [name for name in sys.modules if name.startswith("takepoint")]:
        for attr, value in vars(sys.modules[name]).items():
            if not attr.startswith("__") and type(value) in (list, dict, set):
                found[name + "." + attr] = shape(value)
    # Only now: the wiring imports every domain.
    from takepoint.wiring import build_registry
    registry = build_registry()
    found["registry"] = {
        "routes": sorted(str(getattr(r, "path", "")) for x in registry.routers for r in x.routes),
        "jobs": [job.name for job in registry.jobs],
        "tasks": sorted(registry.task_handlers),
        "probes": [probe.check for probe in registry.readiness_probes],
        "listeners": [fn.__qualname__ for fn in registry.delivery_listeners],
        "sections": [section.key for section in registry.apply_sections],
        "nav": [entry.href for entry in registry.nav],
        "subjects": sorted(registry.timeline_subjects),
    }
    print(json.dumps(found, sort_keys=True))
    """
)


def _fingerprint(domain: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, domain],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found


@pytest.fixture(scope="module")
def everything() -> dict[str, object]:
    return _fingerprint("")


@pytest.mark.parametrize("domain", DOMAIN_PACKAGES)
def test_it_leaves_every_module_as_it_was_whatever_else_is_imported(
    domain: str, everything: dict[str, object]
) -> None:
    # A module that adds itself to another's list at import (a listener, a probe, a route)
    # would make that list depend on what else happened to be imported.
    alone = _fingerprint(domain)
    changed = sorted(name for name in alone if alone[name] != everything.get(name))
    assert changed == []


def test_it_wires_every_domain_package() -> None:
    wired = {parts.name for parts in DOMAINS}
    folders = {
        path.parent.name
        for path in (Path(__file__).resolve().parents[1] / "takepoint").glob("*/parts.py")
    }
    assert wired == folders == set(DOMAIN_PACKAGES)


def test_it_runs_jobs_in_the_order_the_domains_give_them() -> None:
    registry = build_registry()
    lanes = {lane.name: [job.name for job in lane.jobs] for lane in lanes_of(registry.jobs)}
    paging = lanes[Lane.PAGING]
    assert paging[:3] == ["heartbeats", "triage", "escalate"]
    assert lanes[Lane.DELIVERY][0] == "deliver"
    assert [s.key for s in registry.apply_sections][:4] == [
        "users",
        "teams",
        "departments",
        "services",
    ]


def test_it_refuses_two_domains_that_contribute_the_same_job() -> None:
    def nothing(session: object, now: object) -> int:
        return 0

    job = Job("sweep", Lane.PAGING, nothing)
    with pytest.raises(RegistryError, match="job 'sweep'"):
        Registry((DomainParts("a", jobs=(job,)), DomainParts("b", jobs=(job,))))


def test_it_links_a_chain_to_the_page_of_what_it_records() -> None:
    registry = build_registry()
    assert registry.subject_href("incident:42") == "/incidents/42"
    assert registry.subject_href("ticket:7") == "/desk/tickets/7"
    assert registry.subject_href("change:7") is None
    assert registry.subject_href("incident:") is None
