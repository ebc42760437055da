"""The readiness audit (the bus-factor report): what each service lacks before its bad night.

Each service gets a list of findings and a score out of 100. A check that cannot be judged yet
("not configured") is shown but left out of the score, so a team is not marked down for a
feature its Takepoint does not have.

The catalog judges what it holds itself (leads, runbooks, departments, dependencies). Checks
that need another domain's facts (a monitor, a backup heartbeat) are answered by the
`ReadinessProbe`s other domains contribute through the registry (lib/registry.py); several
probes for one check pass a service when any of them does, and a check no probe answers is
"not configured". Notes that are not scored ("3 open actions") come the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from takepoint.catalog.models import (
    Department,
    DepartmentContact,
    Dependency,
    Runbook,
    Service,
    ServiceDepartment,
)
from takepoint.catalog.runbooks import REVIEW_EVERY
from takepoint.lib.context import context_of
from takepoint.lib.registry import ReadinessProbe


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


# The checks other domains answer, in the order they are shown.
_PROBED = (Check.MONITOR, Check.BACKUP_HEARTBEAT)


class ProbeAnswer(set[int]):
    """What a probe may return instead of a plain set: the services that pass, and for some
    that fail a truer reason than the probe's `failing` text. "No monitor sends signals" reads
    as a lie beside an integration that exists but has never sent one."""

    def __init__(self, passing: Iterable[int], *, reasons: Mapping[int, str]) -> None:
        super().__init__(passing)
        self.reasons = dict(reasons)


@dataclass(frozen=True)
class _Probed:
    check: Check
    passing: set[int] | None
    probe: ReadinessProbe | None
    reasons: Mapping[int, str] = field(default_factory=dict)


def _run_probes(
    session: Session, probes: Sequence[ReadinessProbe], ids: Collection[int], now: datetime
) -> list[_Probed]:
    found: list[_Probed] = []
    for check in _PROBED:
        mine = [probe for probe in probes if probe.check == check.value]
        answers = [answer for probe in mine if (answer := probe.run(session, ids, now)) is not None]
        passing = set().union(*answers) if answers else None
        reasons: dict[int, str] = {}
        for answer in answers:
            if isinstance(answer, ProbeAnswer):
                reasons = answer.reasons | reasons
        found.append(_Probed(check, passing, mine[0] if mine else None, reasons))
    return found


def _department_finding(departments: Sequence[tuple[str, bool]]) -> Finding:
    """Passes only when every department the service serves has a contact, as its page shows
    each department's contacts or "No contact recorded"."""
    if not departments:
        return Finding(Check.DEPARTMENT_CONTACT, Outcome.FAIL, "no department contact")
    lacking = [name for name, has_contact in departments if not has_contact]
    if not lacking:
        return Finding(
            Check.DEPARTMENT_CONTACT, Outcome.PASS, "every department it serves has a contact"
        )
    if len(lacking) == len(departments):
        message = "no contact in the departments it serves"
    else:
        message = f"no contact recorded for {', '.join(lacking)}"
    return Finding(Check.DEPARTMENT_CONTACT, Outcome.FAIL, message)


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
    department_rows = session.execute(
        select(
            ServiceDepartment.service_id,
            Department.name,
            exists().where(DepartmentContact.department_id == Department.id),
        )
        .join(Department, Department.id == ServiceDepartment.department_id)
        .where(ServiceDepartment.service_id.in_(ids))
        .order_by(Department.name, Department.id)
    )
    departments: dict[int, list[tuple[str, bool]]] = {}
    for sid, department_name, has_contact in department_rows:
        departments.setdefault(sid, []).append((department_name, bool(has_contact)))
    with_dependencies = set(
        session.scalars(
            select(Dependency.service_id).where(Dependency.service_id.in_(ids)).distinct()
        )
    )
    registry = context_of(session).registry
    probed = _run_probes(session, registry.readiness_probes, ids, now)
    notes = [note(session, ids, now) for note in registry.readiness_notes]

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
        for answer in probed:
            probe = answer.probe
            if probe is not None and probe.only_if_stores_data and not service.stores_data:
                outcome, text = Outcome.NOT_APPLICABLE, "stores no data"
            elif probe is None or answer.passing is None:
                outcome, text = Outcome.NOT_CONFIGURED, "not configured"
            elif service.id in answer.passing:
                outcome, text = Outcome.PASS, probe.passing
            else:
                outcome, text = Outcome.FAIL, answer.reasons.get(service.id, probe.failing)
            item.findings.append(Finding(answer.check, outcome, text))
        item.findings.append(_department_finding(departments.get(service.id, [])))
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
