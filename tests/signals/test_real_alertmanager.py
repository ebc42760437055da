"""A real Alertmanager (Debian's prometheus-alertmanager) delivering to a live Takepoint."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from takepoint.catalog.models import Service
from takepoint.lib.clock import FakeClock
from takepoint.signals.models import Alert, AlertState, IntegrationKind
from tests.livesite import LiveServer
from tests.signals.conftest import alerts_of, make_integration

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
CONFIG = """
route:
  receiver: takepoint
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: takepoint
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    if shutil.which(ALERTMANAGER) is None:
        pytest.fail(f"{ALERTMANAGER} is missing; scripts/test installs prometheus-alertmanager")
    processes: list[subprocess.Popen[bytes]] = []

    def start(webhook_url: str) -> str:
        config = tmp_path / "alertmanager.yml"
        config.write_text(CONFIG.format(url=webhook_url))
        port = _free_port()
        # The child keeps its own copy of the log's descriptor; ours closes at once.
        with (tmp_path / "alertmanager.log").open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [
                        ALERTMANAGER,
                        f"--config.file={config}",
                        f"--storage.path={tmp_path / 'data'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                        "--cluster.listen-address=",
                        "--log.level=warn",
                    ],
                    stdout=log,
                    stderr=log,
                )
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("Alertmanager did not become ready within 15 s")

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


def _wait_for(check: Callable[[list[Alert]], bool], get: Callable[[], list[Alert]]) -> list[Alert]:
    deadline = time.monotonic() + 20
    found = get()
    while not check(found):
        if time.monotonic() > deadline:
            raise AssertionError(f"Alertmanager did not deliver in time; alerts now: {found}")
        time.sleep(0.1)
        found = get()
    return found


def _post(url: str, instances: list[str], ends_at: datetime | None = None) -> None:
    now = datetime.now(UTC)
    alerts = [
        {
            "labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical"},
            "annotations": {"summary": f"disk /var 96% full on {instance}"},
            "startsAt": (now - timedelta(minutes=1)).isoformat(),
            "endsAt": (ends_at or now + timedelta(hours=1)).isoformat(),
        }
        for instance in instances
    ]
    response = httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5)
    assert response.status_code == 200, response.text


@pytest.mark.slow
def test_it_receives_a_real_alertmanager_group_its_repeats_and_its_resolution(
    live: LiveServer,
    alertmanager: Callable[[str], str],
    session: Session,
    clock: FakeClock,
    service: Service,
) -> None:
    integration, key = make_integration(session, clock, service, IntegrationKind.ALERTMANAGER)
    am = alertmanager(f"{live.url}/integrations/{key}/alertmanager")
    instances = ["txn-01", "txn-02", "txn-03"]

    def get() -> list[Alert]:
        return alerts_of(session, integration)

    _post(am, instances)
    found = _wait_for(lambda a: len(a) == 3, get)
    assert {a.source for a in found} == set(instances)
    assert all(a.labels["alertname"] == "DiskFull" for a in found)

    # Alertmanager sends the same group again after repeat_interval: counts grow, rows do not.
    found = _wait_for(lambda a: all(x.event_count >= 2 for x in a), get)
    assert len(found) == 3

    _post(am, instances, ends_at=datetime.now(UTC) - timedelta(seconds=1))
    found = _wait_for(lambda a: all(x.state is AlertState.RESOLVED for x in a), get)
    assert len(found) == 3
