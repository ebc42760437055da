from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.catalog.models import Service
from takepoint.cli.main import app as cli
from takepoint.lib.db import Database


def _run(db: Database, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"TAKEPOINT_DATABASE_URL": db.url})
    return result.exit_code, result.output


def test_it_creates_an_integration_and_prints_its_key_and_url_once(
    db: Database, client: TestClient, service: Service
) -> None:
    code, output = _run(db, "integration", "create", service.slug, "--kind", "pagerduty")
    assert code == 0, output
    key, url = output.strip().splitlines()[-2:]
    assert len(key) == 32 and url.endswith("/v2/enqueue")
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "disk /var 96% full", "source": "txn-01", "severity": "error"},
    }
    assert client.post("/v2/enqueue", json=event).status_code == 202

    code, output = _run(db, "alerts", "--service", service.slug, "--open", "--format", "json")
    assert code == 0, output
    [alert] = json.loads(output)
    assert (alert["summary"], alert["state"]) == ("disk /var 96% full", "open")

    code, output = _run(db, "integration", "list", "--format", "json")
    [listed] = json.loads(output)
    assert listed["key_ends"] == key[-4:]
    assert key not in output


def test_it_rotates_and_deletes(db: Database, session: Session, service: Service) -> None:
    code, output = _run(
        db, "integration", "create", service.slug, "--kind", "heartbeat", "--cron", "0 2 * * *"
    )
    assert code == 0, output
    first_key = output.strip().splitlines()[-2]
    integration_id = json.loads(_run(db, "integration", "list", "--format", "json")[1])[0]["id"]
    code, output = _run(db, "integration", "rotate", str(integration_id), "--grace-hours", "0")
    assert code == 0, output
    new_key = output.strip().splitlines()[-2]
    assert new_key != first_key and len(new_key) == 36
    code, output = _run(db, "integration", "delete", str(integration_id), "--yes")
    assert code == 0, output
    assert json.loads(_run(db, "integration", "list", "--format", "json")[1]) == []


def test_it_names_an_unknown_service(db: Database) -> None:
    code, output = _run(db, "integration", "create", "nope", "--kind", "grafana")
    assert code == 2
    assert "no service 'nope'" in output
