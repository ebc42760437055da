"""Waking an engine in another process on this host (`takepoint web` beside `takepoint engine`)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Collection
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from takepoint.lib.clock import FakeClock
from takepoint.lib.registry import Lane
from takepoint.lib.settings import Settings
from takepoint.lib.wake import WakeListener, WakeSender, wake_dir
from takepoint.signals.models import IntegrationKind
from tests.processes import TakepointProcess
from tests.signals.conftest import make_integration, make_service


class Woken:
    def __init__(self) -> None:
        self.lanes: list[frozenset[str] | None] = []
        self.event = threading.Event()

    def __call__(self, lanes: Collection[str] | None) -> None:
        self.lanes.append(None if lanes is None else frozenset(lanes))
        self.event.set()


def test_the_web_wakes_the_paging_lane_of_an_engine_on_this_host(
    client: TestClient, session: Session, clock: FakeClock, settings: Settings
) -> None:
    _, key = make_integration(
        session, clock, make_service(session, clock), IntegrationKind.PAGERDUTY
    )
    woken = Woken()
    listener = WakeListener(wake_dir(settings.data_dir), woken)
    listener.start()
    try:
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "payload": {"summary": "disk full", "source": "txn-01", "severity": "critical"},
        }
        assert client.post("/v2/enqueue", json=event).status_code == 202
        assert woken.event.wait(5), "no wake-up arrived"
    finally:
        listener.stop()
    assert woken.lanes == [frozenset({Lane.PAGING})]
    assert not listener.path.exists()


def test_a_sender_reaches_every_engine_and_forgets_dead_ones(tmp_path: Path) -> None:
    folder = wake_dir(tmp_path)
    first, second = Woken(), Woken()
    listeners = [WakeListener(folder, first), WakeListener(folder, second)]
    for listener in listeners:
        listener.start()
    dead = folder / "999999-deadbeef.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as gone:
        gone.bind(str(dead))  # closed without unlinking, as after a SIGKILL
    try:
        WakeSender(folder)({Lane.DELIVERY})
        assert first.event.wait(5) and second.event.wait(5)
    finally:
        for listener in listeners:
            listener.stop()
    assert first.lanes == second.lanes == [frozenset({Lane.DELIVERY})]
    assert not dead.exists()


def test_a_data_folder_too_deep_for_a_socket_path_uses_the_temporary_folder(
    tmp_path: Path,
) -> None:
    deep = tmp_path / ("d" * 90)
    folder = wake_dir(deep)
    assert folder == wake_dir(deep)  # every process on the host finds the same folder
    assert len(str(folder / "4194304-0123abcd.sock")) < 108
    woken = Woken()
    listener = WakeListener(folder, woken)
    listener.start()
    try:
        WakeSender(folder)(None)
        assert woken.event.wait(5)
    finally:
        listener.stop()
    assert woken.lanes == [None]


def test_an_engine_process_listens_and_removes_its_socket_when_stopped(
    tmp_path: Path, settings: Settings
) -> None:
    data = tmp_path / "engine-data"
    env = {
        "TAKEPOINT_DATABASE_URL": settings.effective_database_url,
        "TAKEPOINT_DATA_DIR": str(data),
    }
    engine = TakepointProcess(["engine"], env=env, log=tmp_path / "engine.log")
    try:
        engine.wait_for_output("started, tick")
        assert len(list(wake_dir(data).glob("*.sock"))) == 1
    finally:
        assert engine.stop() == 0, engine.output()
    assert not list(wake_dir(data).glob("*.sock"))
