"""Runbook checklists: ticking is recorded; a disruptive step needs the department's word."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.timeline.chain import entries, verify_chain
from takepoint.timeline.models import EntryKind
from tests.factories import login
from tests.incidents.checklist_world import reboot_world


def _start(client: TestClient, incident_id: int, runbook_id: int, token: str) -> int:
    response = client.post(
        f"/api/v1/incidents/{incident_id}/checklists",
        json={"runbook_id": runbook_id},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201, response.text
    assert [s["kind"] for s in response.json()["steps"]] == ["check", "disruptive"]
    checklist_id: int = response.json()["id"]
    return checklist_id


def test_it_offers_the_services_runbook_and_records_each_tick(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    w = reboot_world(session, clock)
    token = login(client, w.world.sam)
    panel = client.get(f"/incidents/{w.incident.id}/checklists", headers={"HX-Request": "true"})
    assert "Use “App not responding” as checklist" in panel.text

    checklist_id = _start(client, w.incident.id, w.runbook.id, token)
    clock.advance(timedelta(minutes=3))
    ticked = client.post(
        f"/api/v1/incidents/{w.incident.id}/checklists/{checklist_id}/steps/1/tick",
        headers={"X-CSRF-Token": token},
    )

    assert ticked.status_code == 200
    assert ticked.json()["state"] == "done"
    facts = [e for e in entries(session, w.incident.chain) if e.kind is EntryKind.RUNBOOK_STEP]
    assert [e.text for e in facts] == [
        "Sam Okafor started the checklist 'App not responding' (runbook version 1, 2 steps)",
        "Sam Okafor did step 1 of 'App not responding' (Check disk space on `txn-01`.)",
    ]
    assert verify_chain(session, w.incident.chain) is None


def test_it_refuses_a_disruptive_step_until_the_department_confirms(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    w = reboot_world(session, clock)
    token = login(client, w.world.sam)
    checklist_id = _start(client, w.incident.id, w.runbook.id, token)
    step = f"/api/v1/incidents/{w.incident.id}/checklists/{checklist_id}/steps/2"
    headers = {"X-CSRF-Token": token}

    unconfirmed = client.post(f"{step}/tick", headers=headers)
    refusal = client.post(
        f"{step}/answers",
        headers=headers,
        json={
            "who": "theatre charge nurse",
            "said_at": (clock.now() - timedelta(minutes=1)).isoformat(),
            "words": "procedure in progress in theatre 2",
            "confirmed": False,
        },
    )
    refused = client.post(f"{step}/tick", headers=headers)
    clock.advance(timedelta(minutes=22))
    confirmation = client.post(
        f"{step}/answers",
        headers=headers,
        json={
            "who": "theatre charge nurse",
            "said_at": clock.now().isoformat(),
            "words": "no procedure in progress",
            "confirmed": True,
        },
    )
    done = client.post(f"{step}/tick", headers=headers)

    assert unconfirmed.status_code == 409
    assert unconfirmed.json()["field"] == "confirmation"
    assert "record who in Theatres confirmed it, and when" in unconfirmed.json()["detail"]
    assert refusal.status_code == 201
    assert refused.status_code == 409
    assert "Theatres refused step 2" in refused.json()["detail"]
    assert confirmation.json()["confirmation"] == "confirmed"
    assert done.status_code == 200
    texts = [e.text for e in entries(session, w.incident.chain)]
    assert (
        "Theatres refused step 2 of 'App not responding' (Reboot the app server `app-01`.): "
        "theatre charge nurse, 08:59 UTC: procedure in progress in theatre 2 "
        "(recorded by Sam Okafor)"
    ) in texts
    assert (
        "Theatres confirmed step 2 of 'App not responding' (Reboot the app server `app-01`.): "
        "theatre charge nurse, 09:22 UTC: no procedure in progress (recorded by Sam Okafor)"
    ) in texts
    assert texts[-1] == (
        "Sam Okafor did step 2 of 'App not responding' (Reboot the app server `app-01`.), "
        "confirmed by theatre charge nurse (Theatres) at 09:22 UTC"
    )


def test_it_lets_only_the_point_person_override_and_records_why(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    w = reboot_world(session, clock)
    sam = login(client, w.world.sam)
    checklist_id = _start(client, w.incident.id, w.runbook.id, sam)
    step = f"/api/v1/incidents/{w.incident.id}/checklists/{checklist_id}/steps/2"
    other = TestClient(client.app, follow_redirects=False)
    lee = login(other, w.world.lee)
    reason = {"reason": "Theatres empty since 07:00 and unreachable; the app is down for all"}

    by_lee = other.post(f"{step}/override", headers={"X-CSRF-Token": lee}, json=reason)
    blank = client.post(f"{step}/override", headers={"X-CSRF-Token": sam}, json={"reason": ""})
    by_sam = client.post(f"{step}/override", headers={"X-CSRF-Token": sam}, json=reason)

    assert by_lee.status_code == 403
    assert blank.status_code == 422
    assert by_sam.status_code == 200
    assert by_sam.json()["override_reason"] == reason["reason"]
    assert entries(session, w.incident.chain)[-1].text == (
        "Sam Okafor overrode and did step 2 of 'App not responding' (Reboot the app server "
        "`app-01`.) without confirmation from Theatres. Reason: " + reason["reason"]
    )


def test_it_names_the_field_of_a_bad_answer(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    w = reboot_world(session, clock)
    token = login(client, w.world.sam)
    checklist_id = _start(client, w.incident.id, w.runbook.id, token)
    base = f"/api/v1/incidents/{w.incident.id}/checklists/{checklist_id}/steps"
    answer = {"who": "nurse", "said_at": clock.now().isoformat(), "confirmed": True}
    headers = {"X-CSRF-Token": token}

    future = client.post(
        f"{base}/2/answers",
        headers=headers,
        json={**answer, "said_at": (clock.now() + timedelta(hours=1)).isoformat()},
    )
    naive = client.post(
        f"{base}/2/answers", headers=headers, json={**answer, "said_at": "2026-03-02T08:00:00"}
    )
    not_disruptive = client.post(f"{base}/1/answers", headers=headers, json=answer)
    missing = client.post(f"{base}/9/tick", headers=headers)

    assert (future.status_code, future.json()["field"]) == (422, "said_at")
    assert (naive.status_code, naive.json()["field"]) == (422, "said_at")
    assert (not_disruptive.status_code, not_disruptive.json()["field"]) == (422, "step")
    assert missing.status_code == 404


def test_it_lets_viewers_read_checklists_but_not_tick(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    w = reboot_world(session, clock)
    sam = TestClient(client.app, follow_redirects=False)
    checklist_id = _start(sam, w.incident.id, w.runbook.id, login(sam, w.world.sam))
    token = login(client, w.world.morgan)

    listed = client.get(f"/api/v1/incidents/{w.incident.id}/checklists")
    tick = client.post(
        f"/incidents/{w.incident.id}/checklists/{checklist_id}/steps/1/tick",
        data={"csrf_token": token},
    )

    assert listed.status_code == 200
    assert tick.status_code == 403
