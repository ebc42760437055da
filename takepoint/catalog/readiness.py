"""The readiness audit (the bus-factor report): what each service lacks before its bad night.

Each service gets a list of findings and a score out of 100. A check that cannot be judged yet
("not configured") is shown but left out of the score, so a team is not marked down for a
feature its Takepoint does not have.

Checks that need signals plug in through SIGNAL_PROBES. A probe is a function

    probe(session, service_ids, now) -> set[int] | None

that returns the ids (among `service_ids`) that pass, or None when the feature behind the check
is not configured at all. The signals domain joins by replacing `not_configured` below with its
own function, for example

    SignalProbe(Check.MONITOR, signals.readiness.services_with_monitors),

in one line; nothing else here changes. A probe must answer for all services in one or two
queries (it runs for every service on every audit), and must not write.

Other domains add information that is not scored through READINESS_NOTES: a function
`note(session, service_ids, now) -> {service_id: text}`, such as "3 open actions".
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog.models import (
    DepartmentContact,
    Dependency,
    Runbook,
    Service,
    ServiceDepartment,
)
from takepoint.catalog.runbooks import REVIEW_EVERY
from takepoint.reviews.readiness import open_action_notes
from takepoint.signals import readiness as signal_checks


class Check(enum.StrEnum):
    TECH_LEAD = "tech_lead"
    BACKUP_LEAD = "backup_lead"
    RUNBOOK = "runbook"
    RUNBOOK_REVIEWED = "runbook_reviewed"
    MONITOR = "monitor"
    BACKUP_HEARTBEAT = "backup_heartbeat"
    DEPARTMENT_CONTACT = "department_contact"
    DEPENDENCIES = "dependencies"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def weight(self) -> int:
        return _WEIGHTS[self]


_LABELS = {
    Check.TECH_LEAD: "Technical lead",
    Check.BACKUP_LEAD: "Backup lead",
    Check.RUNBOOK: "Runbook",
    Check.RUNBOOK_REVIEWED: "Runbook reviewed",
    Check.MONITOR: "Monitor or integration",
    Check.BACKUP_HEARTBEAT: "Backup heartbeat",
    Check.DEPARTMENT_CONTACT: "Department contact",
    Check.DEPENDENCIES: "Dependencies recorded",
}
# Weighted by how much each gap hurt in the stories: nobody to call, and nothing written down.
_WEIGHTS = {
    Check.TECH_LEAD: 15,
    Check.BACKUP_LEAD: 20,
    Check.RUNBOOK: 15,
    Check.RUNBOOK_REVIEWED: 10,
    Check.MONITOR: 15,
    Check.BACKUP_HEARTBEAT: 10,
    Check.DEPARTMENT_CONTACT: 10,
    Check.DEPENDENCIES: 5,
}


GRADE_ORDER = {"bad": 0, "warn": 1, "ok": 2}
# A failing one of these makes a tier 1 or 2 service "not ready" whatever its score.
CRITICAL_CHECKS = frozenset({Check.TECH_LEAD, Check.BACKUP_LEAD, Check.RUNBOOK})


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_CONFIGURED = "not configured"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class Finding:
    check: Check
    outcome: Outcome
    message: str


@dataclass
class ServiceReadiness:
    service_id: int
    slug: str
    name: str
    tier: int
    team: str | None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        judged = [f for f in self.findings if f.outcome in (Outcome.PASS, Outcome.FAIL)]
        total = sum(f.check.weight for f in judged)
        if total == 0:
            return 100
        passed = sum(f.check.weight for f in judged if f.outcome is Outcome.PASS)
        return round(100 * passed / total)

    @property
    def missing(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome is Outcome.FAIL]

    @property
    def grade(self) -> str:
        """ok, warn or bad. A critical service (tier 1 or 2) with nobody else who knows it, or
        nothing written down, is bad whatever its score: that is the 07:40 call."""
        critical_gap = self.tier <= 2 and any(f.check in CRITICAL_CHECKS for f in self.missing)
        if self.score < 60 or critical_gap:
            return "bad"
        return "ok" if self.score >= 85 else "warn"

    def as_dict(self) -> dict[str, object]:
        return {
            "service": self.slug,
            "name": self.name,
            "tier": self.tier,
            "team": self.team,
            "score": self.score,
            "grade": self.grade,
            "missing": [f.message for f in self.missing],
            "checks": {f.check.value: f.outcome.value for f in self.findings},
            "notes": self.notes,
        }


ProbeFn = Callable[[Session, Collection[int], datetime], set[int] | None]


@dataclass(frozen=True)
class SignalProbe:
    check: Check
    run: ProbeFn
    # Backup heartbeats matter only for services that keep data.
    only_if_stores_data: bool = False


def not_configured(session: Session, service_ids: Collection[int], now: datetime) -> None:
    """The probe used until the signals domain provides a real one."""
    return None


NoteFn = Callable[[Session, Collection[int], datetime], dict[int, str]]
READINESS_NOTES: list[NoteFn] = [open_action_notes]

SIGNAL_PROBES: list[SignalProbe] = [
    SignalProbe(Check.MONITOR, signal_checks.services_with_monitors),
    SignalProbe(
        Check.BACKUP_HEARTBEAT,
        signal_checks.services_with_backup_heartbeats,
        only_if_stores_data=True,
    ),
]

_SIGNAL_TEXT = {
    Check.MONITOR: (
        "a monitor or integration sends its signals",
        "no monitor or integration sends signals for it",
    ),
    Check.BACKUP_HEARTBEAT: (
        "a backup heartbeat watches its data",
        "it stores data, but no backup heartbeat watches it",
    ),
}


def _lead_findings(service: Service) -> list[Finding]:
    tech, backup = service.tech_lead, service.backup_lead
    found: list[Finding] = []
    if tech is None:
        found.append(Finding(Check.TECH_LEAD, Outcome.FAIL, "no technical lead"))
    elif not tech.is_active:
        found.append(
            Finding(Check.TECH_LEAD, Outcome.FAIL, f"technical lead {tech.display_name} has left")
        )
    else:
        found.append(Finding(Check.TECH_LEAD, Outcome.PASS, f"led by {tech.display_name}"))

    if backup is None:
        only = f": only {tech.display_name} knows it" if tech is not None else ""
        found.append(Finding(Check.BACKUP_LEAD, Outcome.FAIL, f"no backup lead{only}"))
    elif tech is not None and backup.id == tech.id:
        found.append(
            Finding(
                Check.BACKUP_LEAD,
                Outcome.FAIL,
                "the backup lead is the same person as the technical lead",
            )
        )
    elif not backup.is_active:
        found.append(
            Finding(Check.BACKUP_LEAD, Outcome.FAIL, f"backup lead {backup.display_name} has left")
        )
    else:
        found.append(
            Finding(Check.BACKUP_LEAD, Outcome.PASS, f"backed up by {backup.display_name}")
        )
    return found


def _runbook_findings(last_reviewed: datetime | None, count: int, now: datetime) -> list[Finding]:
    if count == 0 or last_reviewed is None:
        return [
            Finding(Check.RUNBOOK, Outcome.FAIL, "no runbook"),
            Finding(Check.RUNBOOK_REVIEWED, Outcome.NOT_APPLICABLE, "no runbook to review"),
        ]
    found = [Finding(Check.RUNBOOK, Outcome.PASS, f"{count} runbook{'s' * (count != 1)}")]
    age = (now - last_reviewed).days
    if now - last_reviewed > REVIEW_EVERY:
        message = f"runbook not reviewed for {age} days"
        if count > 1:
            message = f"a runbook not reviewed for {age} days"
        found.append(Finding(Check.RUNBOOK_REVIEWED, Outcome.FAIL, message))
    else:
        found.append(
            Finding(Check.RUNBOOK_REVIEWED, Outcome.PASS, f"runbooks reviewed within {age} days")
        )
    return found


def audit(
    session: Session, *, now: datetime, service_ids: Sequence[int] | None = None
) -> list[ServiceReadiness]:
    """Readiness of every service (or of the given ones), worst first.

    Worst first means "bad" before "warn" before "ok", then the lowest score, then the most
    critical tier, then by name.
    """
    query = select(Service).options(
        selectinload(Service.tech_lead),
        selectinload(Service.backup_lead),
        selectinload(Service.team),
    )
    if service_ids is not None:
        query = query.where(Service.id.in_(service_ids))
    services = list(session.scalars(query))
    ids = [s.id for s in services]
    if not ids:
        return []

    # The oldest review decides: one stale runbook is enough to flag the service.
    runbook_rows = session.execute(
        select(Runbook.service_id, func.count(), func.min(Runbook.last_reviewed_at))
        .where(Runbook.service_id.in_(ids))
        .group_by(Runbook.service_id)
    )
    runbooks = {sid: (int(count), oldest) for sid, count, oldest in runbook_rows}
    with_contact = set(
        session.scalars(
            select(ServiceDepartment.service_id)
            .where(
                ServiceDepartment.service_id.in_(ids),
                exists().where(DepartmentContact.department_id == ServiceDepartment.department_id),
            )
            .distinct()
        )
    )
    with_departments = set(
        session.scalars(
            select(ServiceDepartment.service_id)
            .where(ServiceDepartment.service_id.in_(ids))
            .distinct()
        )
    )
    with_dependencies = set(
        session.scalars(
            select(Dependency.service_id).where(Dependency.service_id.in_(ids)).distinct()
        )
    )
    probes = [(probe, probe.run(session, ids, now)) for probe in SIGNAL_PROBES]
    notes = [note(session, ids, now) for note in READINESS_NOTES]

    report: list[ServiceReadiness] = []
    for service in services:
        item = ServiceReadiness(
            service_id=service.id,
            slug=service.slug,
            name=service.name,
            tier=service.tier,
            team=service.team.name if service.team is not None else None,
        )
        item.findings += _lead_findings(service)
        item.notes = [found[service.id] for found in notes if service.id in found]
        count, oldest = runbooks.get(service.id, (0, None))
        item.findings += _runbook_findings(oldest, count, now)
        for probe, passing in probes:
            ok_text, fail_text = _SIGNAL_TEXT.get(
                probe.check, (f"{probe.check.label} present", f"no {probe.check.label.lower()}")
            )
            if probe.only_if_stores_data and not service.stores_data:
                outcome, text = Outcome.NOT_APPLICABLE, "stores no data"
            elif passing is None:
                outcome, text = Outcome.NOT_CONFIGURED, "not configured"
            elif service.id in passing:
                outcome, text = Outcome.PASS, ok_text
            else:
                outcome, text = Outcome.FAIL, fail_text
            item.findings.append(Finding(probe.check, outcome, text))
        if service.id in with_contact:
            item.findings.append(
                Finding(Check.DEPARTMENT_CONTACT, Outcome.PASS, "departments have contacts")
            )
        elif service.id in with_departments:
            item.findings.append(
                Finding(
                    Check.DEPARTMENT_CONTACT,
                    Outcome.FAIL,
                    "no contact in the departments it serves",
                )
            )
        else:
            item.findings.append(
                Finding(Check.DEPARTMENT_CONTACT, Outcome.FAIL, "no department contact")
            )
        if service.id in with_dependencies:
            item.findings.append(Finding(Check.DEPENDENCIES, Outcome.PASS, "dependencies recorded"))
        else:
            item.findings.append(
                Finding(Check.DEPENDENCIES, Outcome.FAIL, "no dependencies recorded")
            )
        report.append(item)

    report.sort(key=lambda r: (GRADE_ORDER[r.grade], r.score, r.tier, r.name.lower()))
    return report


def service_readiness(session: Session, *, service: Service, now: datetime) -> ServiceReadiness:
    return audit(session, now=now, service_ids=[service.id])[0]
