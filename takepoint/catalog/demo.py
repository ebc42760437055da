"""The demo hospital's catalog: eight services, two departments, runbooks, and the gaps that
made the 07:40 call so hard (an app server only Priya knows; a transaction server nobody
watches)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.catalog import graph, runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Department, Service, StepKind
from takepoint.catalog.runbooks import StepInput

_APP_RUNBOOK = """\
The clinical app server runs the patient record front end used in theatres, radiology and on
the wards. It keeps no data of its own: everything is read from and written to the
**transaction server** (`txn-server`).

## Before you touch it
- Most "the app is down" calls are really the transaction server: check it first.
- Logs: `/var/log/clinical-app/app.log` on `app-01`.
- A reboot logs out every user, including theatre staff in the middle of a procedure.
"""


def _services(
    session: Session, *, now: datetime, people: dict[str, User], team: Team
) -> dict[str, Service]:
    rows = [
        # slug, name, tier, lead, backup, stores data, description
        ("app-server", "Clinical app server", 1, "priya", None, False,
         "Patient record front end used in theatres, radiology and on the wards."),
        ("txn-server", "Transaction server", 1, "lee", "sam", True,
         "Orders, results and transactions behind the clinical app."),
        ("directory", "Directory and sign-in", 1, "dana", "sam", False,
         "Accounts and single sign-on for every clinical system."),
        ("network", "Core network and DNS", 1, "dana", "lee", False,
         "Core switches, DHCP and DNS for the whole site."),
        ("pacs", "Radiology image archive (PACS)", 2, "sam", "dana", True,
         "Stores and serves X-ray, CT and MRI images."),
        ("file-storage", "File storage", 2, "sam", "lee", True,
         "Shared drives and the backup target for other systems."),
        ("lab-interface", "Lab results interface", 2, "priya", "lee", False,
         "Passes HL7 lab results from the analysers into the clinical app."),
        ("email", "Email", 3, "lee", "dana", True, "Staff email and the results mail relay."),
    ]  # fmt: skip
    services = {}
    for slug, name, tier, lead, backup, stores, description in rows:
        services[slug] = catalog.create_service(
            session,
            slug=slug,
            name=name,
            tier=tier,
            team=team,
            tech_lead=people[lead],
            backup_lead=people[backup] if backup else None,
            stores_data=stores,
            description=description,
            now=now,
        )
    return services


def _departments(session: Session, *, now: datetime) -> dict[str, Department]:
    theatres = catalog.create_department(
        session,
        slug="theatres",
        name="Theatres",
        do_not_disrupt="Theatre in session 07:30–18:00, Monday to Friday: do not disrupt.",  # noqa: RUF001
        notes="Emergency theatre runs around the clock; ask before any change at any hour.",
        now=now,
    )
    catalog.set_contacts(
        session,
        department=theatres,
        contacts=[
            catalog.ContactInput(
                name="Theatre charge nurse",
                role="Runs the theatre list on the day",
                phone="+44 20 7946 0102",
                hours="07:00–20:00 every day",  # noqa: RUF001
            ),
            catalog.ContactInput(
                name="Theatre coordinator (bleep 4410)",
                role="Out of hours",
                phone="+44 20 7946 0199",
                hours="20:00–07:00",  # noqa: RUF001
            ),
        ],
        now=now,
    )
    radiology = catalog.create_department(
        session,
        slug="radiology",
        name="Radiology",
        do_not_disrupt="Scanning 08:00–20:00; the CT scanner serves A&E around the clock.",  # noqa: RUF001
        now=now,
    )
    catalog.set_contacts(
        session,
        department=radiology,
        contacts=[
            catalog.ContactInput(
                name="Radiology duty manager",
                role="Superintendent radiographer",
                phone="+44 20 7946 0230",
                email="radiology.manager@stmarys.example",
                hours="08:00–20:00",  # noqa: RUF001
            )
        ],
        now=now,
    )
    # The wards use the lab interface, but nobody has recorded whom to call there yet.
    wards = catalog.create_department(session, slug="wards", name="Wards", now=now)
    return {"theatres": theatres, "radiology": radiology, "wards": wards}


def _parts(session: Session, services: dict[str, Service], now: datetime) -> None:
    hosts = {
        "app-01": ("app-server", "application server"),
        "txn-01": ("txn-server", "database server, 200 GB log volume"),
        "dc-01": ("directory", "domain controller"),
        "dc-02": ("directory", "domain controller"),
        "core-sw-01": ("network", "core switch"),
        "dns-01": ("network", "DNS and DHCP"),
        "pacs-01": ("pacs", "image archive"),
        "nas-01": ("file-storage", "NAS, backup target"),
        "hl7-01": ("lab-interface", "interface engine"),
        "mail-01": ("email", "mail server and relay"),
    }
    made = {
        name: catalog.add_host(session, service=services[owner], hostname=name, role=role)
        for name, (owner, role) in hosts.items()
    }
    edges = [
        ("app-server", "txn-server", "every read and write"),
        ("app-server", "directory", "sign-in"),
        ("txn-server", "file-storage", "nightly dump"),
        ("txn-server", "network", ""),
        ("directory", "network", ""),
        ("pacs", "file-storage", "long-term image store"),
        ("pacs", "directory", "sign-in"),
        ("file-storage", "network", ""),
        ("lab-interface", "app-server", "files results"),
        ("email", "directory", "accounts"),
    ]
    for needer, needed, note in edges:
        graph.add_dependency(
            session, service=services[needer], on_service=services[needed], note=note
        )
    graph.add_dependency(
        session, service=services["app-server"], on_host=made["txn-01"], note="database port 5432"
    )
    data = [
        (
            "txn-server",
            "Transactions database",
            "/var/lib/pgsql on txn-01 (200 GB log volume); nightly dump to nas-01. "
            "Old logs may go only after that dump has succeeded.",
        ),
        ("pacs", "Image archive", "pacs-01 local disk for 90 days, then nas-01:/pacs"),
        ("file-storage", "Shared drives", "nas-01, snapshots hourly; offsite copy weekly"),
        ("email", "Mailboxes", "mail-01:/var/mail; nightly to nas-01"),
    ]
    for slug, store, location in data:
        catalog.add_data_location(session, service=services[slug], store=store, location=location)
    catalog.add_link(
        session,
        service=services["app-server"],
        title="Vendor support portal",
        url="https://support.clinical-app.example/",
    )
    catalog.add_link(
        session,
        service=services["pacs"],
        title="PACS admin console",
        url="https://pacs-01.stmarys.example/admin",
    )


def _runbooks(
    session: Session,
    services: dict[str, Service],
    departments: dict[str, Department],
    people: dict[str, User],
    now: datetime,
) -> None:
    app = runbooks.create_runbook(
        session,
        service=services["app-server"],
        slug="app-not-responding",
        title="Clinical app not responding",
        body=_APP_RUNBOOK,
        steps=[
            StepInput(StepKind.CHECK, "Can you open the app from a ward PC? Note the error."),
            StepInput(StepKind.PLAIN, "Restart the app service: `systemctl restart clinical-app`."),
        ],
        author=people["priya"],
        now=now - timedelta(days=75),
    )
    runbooks.edit_runbook(
        session,
        runbook=app,
        title="Clinical app not responding",
        body=_APP_RUNBOOK,
        steps=[
            StepInput(StepKind.CHECK, "Can you open the app from a ward PC? Note the error."),
            StepInput(
                StepKind.CHECK,
                "Check the transaction server first: disk space on `txn-01` (`df -h /var/lib`).",
            ),
            StepInput(StepKind.PLAIN, "Restart the app service: `systemctl restart clinical-app`."),
            StepInput(
                StepKind.DISRUPTIVE, "Reboot the app server `app-01`.", departments["theatres"]
            ),
        ],
        author=people["priya"],
        summary="check the transaction server before rebooting",
        now=now - timedelta(days=30),
    )
    runbooks.create_runbook(
        session,
        service=services["pacs"],
        slug="archive-full",
        title="PACS archive disk full",
        body="Move studies older than 90 days to `nas-01:/pacs` with the archive tool.",
        steps=[
            StepInput(StepKind.CHECK, "Check free space on `pacs-01`."),
            StepInput(StepKind.PLAIN, "Run the archive job from the admin console."),
            StepInput(StepKind.DISRUPTIVE, "Restart the PACS service.", departments["radiology"]),
        ],
        author=people["sam"],
        # Written once and never looked at again: the readiness audit flags it.
        now=now - timedelta(days=240),
    )
    for slug, title, body, author in [
        ("directory", "Sign-in failing", "Check both domain controllers replicate.", "dana"),
        ("network", "Site network down", "Console cable is in the comms room cabinet.", "dana"),
        ("file-storage", "NAS volume full", "Expand the volume, then prune old snapshots.", "sam"),
        ("lab-interface", "Results not arriving", "Restart the HL7 listener on `hl7-01`.", "priya"),
        ("email", "Mail queue growing", "Check the relay on `mail-01`; `mailq | tail`.", "lee"),
    ]:
        runbooks.create_runbook(
            session,
            service=services[slug],
            title=title,
            body=body,
            steps=[StepInput(StepKind.CHECK, "Is the service answering?")],
            author=people[author],
            now=now - timedelta(days=20),
        )
    # The transaction server has no runbook at all: nobody wrote down how to free its disk.


def load_demo_catalog(
    session: Session, *, now: datetime, people: dict[str, User], team: Team
) -> dict[str, Service]:
    """The demo catalog; returns the services by slug for other domains' demo data."""
    services = _services(session, now=now, people=people, team=team)
    departments = _departments(session, now=now)
    served = {
        "app-server": ["theatres", "radiology", "wards"],
        "txn-server": ["theatres", "radiology", "wards"],
        "directory": ["theatres", "radiology", "wards"],
        "network": ["theatres", "radiology", "wards"],
        "email": ["theatres", "radiology", "wards"],
        "pacs": ["radiology"],
        "file-storage": ["radiology"],
        "lab-interface": ["wards"],
    }
    for slug, names in served.items():
        catalog.set_service_departments(
            session,
            service=services[slug],
            departments=[departments[name] for name in names],
            now=now,
        )
    _parts(session, services, now)
    _runbooks(session, services, departments, people, now)
    return services
