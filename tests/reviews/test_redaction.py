"""Shared beyond the team, a review or report names nobody: people become their roles."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import User
from takepoint.cli.main import app as cli
from takepoint.demo import load_demo
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.reviews.models import Review
from tests.reviews.helpers import signed_in

WENT_WELL = "Priya answered at 07:45 from leave; Lee Chen and morgan@stmarys.example helped."


def _names_in(text: str, people: list[User]) -> list[str]:
    found = []
    lowered = text.lower()
    for user in people:
        if user.display_name.lower() in lowered:
            found.append(user.display_name)
        if user.email.lower() in lowered:
            found.append(user.email)
        for part in user.display_name.split():
            if re.search(rf"\b{re.escape(part)}\b", text):
                found.append(part)
    return found


def test_an_organisation_wide_export_names_nobody(
    db: Database, client: TestClient, session: Session, clock: FakeClock
) -> None:
    load_demo(session, now=clock.now())
    people = list(session.scalars(select(User)))
    sam, sam_token = signed_in(client, session, "sam")
    dana, dana_token = signed_in(client, session, "dana")
    review_id = session.scalar(select(Review.id).where(Review.incident_id == 1))
    sam.patch(
        f"/api/v1/reviews/{review_id}",
        json={"went_well": WENT_WELL},
        headers={"X-CSRF-Token": sam_token},
    )
    sam.post(
        f"/api/v1/reviews/{review_id}/state",
        json={"state": "reviewed"},
        headers={"X-CSRF-Token": sam_token},
    )

    team = dana.post(
        f"/api/v1/reviews/{review_id}/publications",
        json={"audience": "team"},
        headers={"X-CSRF-Token": dana_token},
    ).json()["markdown"]
    organisation = dana.post(
        f"/api/v1/reviews/{review_id}/publications",
        json={"audience": "organisation"},
        headers={"X-CSRF-Token": dana_token},
    ).json()["markdown"]
    report_md = dana.get("/api/v1/incidents/1/report?format=md&audience=organisation").text
    report_page = dana.get("/incidents/1/report?audience=organisation").text
    cli_report = (
        CliRunner()
        .invoke(
            cli,
            ["report", "incident", "1", "--audience", "organisation", "--format", "html"],
            env={"TAKEPOINT_DATABASE_URL": db.url, "TAKEPOINT_SECRET_KEY": "k" * 32},
        )
        .output
    )

    assert "Sam Okafor" in team and "Priya answered at 07:45" in team
    for export in (organisation, report_md, cli_report):
        assert "the on-call engineer" in export
        assert _names_in(export, people) == []
    main = report_page.split('id="report"')[1].split("</article>")[0]
    assert _names_in(main, people) == []
    # Names became roles, the timeline included.
    assert "Note by the on-call engineer: Asked the service owner (the app server's owner" in (
        organisation
    )
    assert "The team lead took point from the on-call engineer" in report_md
    assert "The service owner answered at 07:45 from leave; a colleague and a colleague helped" in (
        organisation
    )
