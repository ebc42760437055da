"""What a domain contributes to the others, as plain values, and the registry that holds them.

A domain exports one `DomainParts` (in its `parts.py`): its routers, engine jobs, readiness
probes, delivery and incident listeners, apply sections, navigation entries, demo loader, task
handlers and timeline subjects. Nothing registers itself when imported. `takepoint.wiring` lists
the domains once, in order, and builds the `Registry` that the app, the engine and the CLI are
given; a test builds a registry of its own instead of patching module globals.

The order of the domains is the order of everything here: routes are matched, engine jobs run
within their lane, apply sections are written and navigation entries are shown in it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.middleware import Middleware

if TYPE_CHECKING:
    from takepoint.lib.apply import Section


class Lane(enum.StrEnum):
    """The engine's lanes. Delivery has its own so that a slow mail server never delays an
    escalation; new work is put in the lane that acts on it."""

    PAGING = "paging"
    DELIVERY = "delivery"


@dataclass(frozen=True)
class Job:
    name: str
    lane: Lane
    run_once: Callable[[Session, datetime], int]
    # When the job's next deadline falls, so the loop can wake for it instead of at a tick.
    next_due: Callable[[Session], datetime | None] | None = None
    # Jobs that act on new work (alerts to place, pages to send, deadlines) run every time the
    # lane wakes; the others keep time (late heartbeats, reminders) and run once per tick, so a
    # burst of wake-ups does not repeat them.
    on_wake: bool = False
    # How much one run takes on at most: a run that took this much may have left more (a
    # storm's alerts), so the lane goes again at once instead of waiting to be woken.
    batch: int | None = None


# probe(session, service_ids, now) -> the ids that pass, or None when the feature behind the
# check is not configured at all. It answers for all services in one or two queries, read only.
ProbeFn = Callable[[Session, Collection[int], datetime], set[int] | None]
# note(session, service_ids, now) -> {service_id: text}, shown beside the score ("3 open actions").
NoteFn = Callable[[Session, Collection[int], datetime], dict[int, str]]


@dataclass(frozen=True)
class ReadinessProbe:
    """A scored readiness check that another domain can answer. `check` is the value of the
    catalog's `Check`; several probes for one check pass a service when any of them does."""

    check: str
    run: ProbeFn
    passing: str
    failing: str
    # Backup heartbeats matter only for services that keep data.
    only_if_stores_data: bool = False


# listener(session, notification, attempt): called after every delivery attempt, inside the
# transaction that records it. Typed loosely here because the types are notify's own.
DeliveryListener = Callable[[Session, Any, Any], None]


@dataclass(frozen=True)
class IncidentNews:
    """What an incident's close-the-loop tells the people it reached, for other domains to pass
    on (the desk tells the requesters of linked tickets)."""

    incident_id: int
    title: str
    state: str
    summary: str
    at: datetime


# listener(session, news): called when an incident closes the loop, inside its transaction.
IncidentListener = Callable[[Session, IncidentNews], None]


@dataclass(frozen=True)
class IncidentSection:
    """A card another domain adds to every incident's page, loaded from that domain's own route
    (`path`, with `{incident_id}` in it), so the incidents domain names no other."""

    key: str
    title: str
    path: str


# links(session, alert_ids) -> {alert_id: (label, href)}: what another domain made of an
# alert (its incident), for the alert pages to link to without naming that domain.
AlertLinks = Callable[[Session, Collection[int]], dict[int, tuple[str, str]]]


# handler(session, payload, now): runs one durable engine task of a kind.
TaskHandler = Callable[[Session, dict[str, Any], datetime], None]


@dataclass(frozen=True)
class NavEntry:
    label: str
    href: str
    # Where it stands in the main navigation, lowest first: the order a responder needs them.
    position: int


@dataclass
class Demo:
    """What the demo loaders share: each reads what earlier domains made and adds its own."""

    now: datetime
    # Where the demo's evidence files go.
    data_dir: Path
    made: dict[str, Any] = field(default_factory=dict)


DemoLoader = Callable[[Session, Demo], None]


@dataclass(frozen=True)
class TimelineSubject:
    """A kind of thing that keeps a chain in the record: `incident:42`, later `ticket:7`."""

    kind: str
    href: Callable[[str], str]


@dataclass(frozen=True)
class DomainParts:
    name: str
    routers: Sequence[APIRouter] = ()
    jobs: Sequence[Job] = ()
    task_handlers: Mapping[str, TaskHandler] = field(default_factory=dict)
    readiness_probes: Sequence[ReadinessProbe] = ()
    readiness_notes: Sequence[NoteFn] = ()
    delivery_listeners: Sequence[DeliveryListener] = ()
    incident_listeners: Sequence[IncidentListener] = ()
    incident_sections: Sequence[IncidentSection] = ()
    alert_links: Sequence[AlertLinks] = ()
    apply_sections: Sequence[Section[Any]] = ()
    nav: Sequence[NavEntry] = ()
    # ASGI middleware, added in order (the last added is the outermost).
    middleware: Sequence[Middleware] = ()
    demo: DemoLoader | None = None
    timeline_subjects: Sequence[TimelineSubject] = ()


class RegistryError(Exception):
    """Two domains contribute the same name."""


@dataclass(frozen=True)
class Registry:
    domains: tuple[DomainParts, ...]
    routers: tuple[APIRouter, ...] = field(init=False)
    jobs: tuple[Job, ...] = field(init=False)
    task_handlers: Mapping[str, TaskHandler] = field(init=False)
    readiness_probes: tuple[ReadinessProbe, ...] = field(init=False)
    readiness_notes: tuple[NoteFn, ...] = field(init=False)
    delivery_listeners: tuple[DeliveryListener, ...] = field(init=False)
    incident_listeners: tuple[IncidentListener, ...] = field(init=False)
    incident_sections: tuple[IncidentSection, ...] = field(init=False)
    alert_links: tuple[AlertLinks, ...] = field(init=False)
    apply_sections: tuple[Section[Any], ...] = field(init=False)
    nav: tuple[NavEntry, ...] = field(init=False)
    middleware: tuple[Middleware, ...] = field(init=False)
    demo_loaders: tuple[DemoLoader, ...] = field(init=False)
    timeline_subjects: Mapping[str, TimelineSubject] = field(init=False)

    def __post_init__(self) -> None:
        def every(name: str) -> tuple[Any, ...]:
            return tuple(part for domain in self.domains for part in getattr(domain, name))

        _unique("domain", [d.name for d in self.domains])
        _unique("job", [job.name for job in every("jobs")])
        handlers = [(kind, fn) for d in self.domains for kind, fn in d.task_handlers.items()]
        _unique("task kind", [kind for kind, _ in handlers])
        subjects = every("timeline_subjects")
        _unique("timeline subject", [s.kind for s in subjects])
        _unique("incident section", [s.key for s in every("incident_sections")])
        set_ = object.__setattr__
        set_(self, "routers", every("routers"))
        set_(self, "jobs", every("jobs"))
        set_(self, "task_handlers", dict(handlers))
        set_(self, "readiness_probes", every("readiness_probes"))
        set_(self, "readiness_notes", every("readiness_notes"))
        set_(self, "delivery_listeners", every("delivery_listeners"))
        set_(self, "incident_listeners", every("incident_listeners"))
        set_(self, "incident_sections", every("incident_sections"))
        set_(self, "alert_links", every("alert_links"))
        set_(self, "apply_sections", every("apply_sections"))
        set_(self, "middleware", every("middleware"))
        set_(self, "nav", tuple(sorted(every("nav"), key=lambda entry: entry.position)))
        set_(self, "demo_loaders", tuple(d.demo for d in self.domains if d.demo is not None))
        set_(self, "timeline_subjects", {s.kind: s for s in subjects})

    def links_of_alerts(
        self, session: Session, alert_ids: Collection[int]
    ) -> dict[int, list[tuple[str, str]]]:
        """Every domain's links for these alerts: {alert_id: [(label, href), ...]}."""
        found: dict[int, list[tuple[str, str]]] = {}
        for links in self.alert_links:
            for alert_id, link in links(session, alert_ids).items():
                found.setdefault(alert_id, []).append(link)
        return found

    def subject_href(self, chain: str) -> str | None:
        """The page of the thing a chain belongs to (`incident:42` -> `/incidents/42`)."""
        kind, _, key = chain.partition(":")
        subject = self.timeline_subjects.get(kind)
        return subject.href(key) if subject is not None and key else None


def _unique(what: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise RegistryError(f"two domains contribute the {what} {name!r}")
        seen.add(name)
