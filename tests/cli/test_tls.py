"""`takepoint up` and `web` serving HTTPS themselves, with no reverse proxy in front."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pagerduty
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from takepoint.accounts.models import TokenScope
from takepoint.cli.main import app as cli
from takepoint.incidents.models import Incident, IncidentAlert
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.settings import Settings
from takepoint.signals.models import AlertState, IntegrationKind
from tests.factories import make_token, make_user
from tests.notify.receivers import free_port
from tests.processes import TakepointProcess
from tests.signals.conftest import alerts_of, make_integration, make_service


@dataclass
class Pair:
    cert: Path
    key: Path


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def pair(ca: trustme.CA, tmp_path: Path) -> Pair:
    issued = ca.issue_cert("127.0.0.1")
    files = Pair(cert=tmp_path / "cert.pem", key=tmp_path / "key.pem")
    issued.cert_chain_pems[0].write_to_path(str(files.cert))
    issued.private_key_pem.write_to_path(str(files.key))
    return files


@pytest.fixture
def trust(ca: trustme.CA) -> ssl.SSLContext:
    """What a client of Takepoint trusts: this test's certificate authority and nothing else."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(context)
    return context


@dataclass
class Served:
    url: str
    process: TakepointProcess


@pytest.fixture
def https(db: Database, settings: Settings, pair: Pair, tmp_path: Path) -> Iterator[Served]:
    """`takepoint up` on a loopback port with the TLS files given on the command line."""
    port = free_port()
    assert settings.secret_key is not None
    env = {
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_DATA_DIR": str(tmp_path / "data"),
        "TAKEPOINT_SECRET_KEY": settings.secret_key.get_secret_value(),
        "TAKEPOINT_ENGINE_TICK_SECONDS": "0.2",
    }
    args = ["up", "--port", str(port), "--tls-cert", str(pair.cert), "--tls-key", str(pair.key)]
    process = TakepointProcess(args, env=env, log=tmp_path / "up.log")
    try:
        process.wait_for_output(f"Takepoint is serving on https://127.0.0.1:{port}")
        yield Served(url=f"https://127.0.0.1:{port}", process=process)
    finally:
        process.stop()


def _incident_of(session: Session, alert_id: int, timeout: float = 10) -> Incident:
    # The engine runs in the server process; this waits for its next tick, at most 0.2 s away.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        incident = session.scalar(
            select(Incident).join(IncidentAlert).where(IncidentAlert.alert_id == alert_id)
        )
        if incident is not None:
            return incident
        time.sleep(0.05)
    raise AssertionError(f"alert {alert_id} was in no incident after {timeout} s")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_takes_an_event_from_the_official_pagerduty_client_over_https(
    https: Served, session: Session, clock: FakeClock, trust: ssl.SSLContext
) -> None:
    service = make_service(session, clock)
    integration, key = make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    with pagerduty.EventsApiV2Client(key, base_url=https.url, verify=trust) as events:
        dedup_key = events.trigger("disk /var 96% full", "txn-01", severity="critical")
    [alert] = alerts_of(session, integration)
    assert (alert.dedup_key, alert.state) == (dedup_key, AlertState.OPEN)
    incident = _incident_of(session, alert.id)
    assert incident.title == "disk /var 96% full"
    assert incident.service_id == service.id


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_gives_https_links_when_it_serves_tls(
    https: Served, session: Session, clock: FakeClock, trust: ssl.SSLContext
) -> None:
    service = make_service(session, clock)
    make_integration(session, clock, service, IntegrationKind.PAGERDUTY)
    token = make_token(session, clock, make_user(session, clock), TokenScope.READ)
    with httpx.Client(verify=trust) as client:
        answer = client.get(
            f"{https.url}/api/v1/integrations", headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 200, answer.text
    [listed] = answer.json()
    assert listed["url"] == "https://127.0.0.1:8000/v2/enqueue"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_hangs_up_on_plain_http_and_keeps_serving_https(
    https: Served, trust: ssl.SSLContext
) -> None:
    plain = https.url.replace("https://", "http://", 1)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.get(f"{plain}/healthz", timeout=5)
    with httpx.Client(verify=trust) as client:
        assert client.get(f"{https.url}/login").status_code == 200
    assert "Traceback" not in https.process.output()


def _start(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> str:
    """Run a server command that must refuse to start; its one-line complaint."""
    result = CliRunner().invoke(
        cli, args, env={"TAKEPOINT_DATA_DIR": str(tmp_path / "data"), **(env or {})}
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "data").exists()  # refused before it touched anything
    return " ".join(result.output.split())


@pytest.mark.parametrize("command", ["up", "web"])
def test_it_refuses_a_certificate_without_its_key(command: str, pair: Pair, tmp_path: Path) -> None:
    output = _start([command, "--tls-cert", str(pair.cert)], tmp_path)
    assert "a TLS certificate needs its key too: give --tls-cert and --tls-key" in output


def test_it_refuses_a_key_without_its_certificate_from_the_environment(
    pair: Pair, tmp_path: Path
) -> None:
    output = _start(["up"], tmp_path, env={"TAKEPOINT_TLS_KEY": str(pair.key)})
    assert "a TLS key needs its certificate too" in output


def test_it_takes_the_pair_from_the_command_line_and_the_environment_together(
    pair: Pair, tmp_path: Path
) -> None:
    # The key is good and comes from the environment: the complaint is about the flag's file.
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    output = _start(
        ["web", "--tls-cert", str(junk)], tmp_path, env={"TAKEPOINT_TLS_KEY": str(pair.key)}
    )
    assert f"the TLS certificate {junk} holds no PEM certificate" in output


def test_it_names_a_certificate_it_cannot_read(pair: Pair, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    output = _start(["up", "--tls-cert", str(missing), "--tls-key", str(pair.key)], tmp_path)
    assert f"cannot read the TLS certificate {missing}: No such file or directory" in output


def test_it_names_a_certificate_file_that_holds_a_key(pair: Pair, tmp_path: Path) -> None:
    output = _start(["up", "--tls-cert", str(pair.key), "--tls-key", str(pair.key)], tmp_path)
    assert f"the TLS certificate {pair.key} holds no PEM certificate" in output


def test_it_names_a_key_file_that_holds_no_key(pair: Pair, tmp_path: Path) -> None:
    output = _start(["up", "--tls-cert", str(pair.cert), "--tls-key", str(pair.cert)], tmp_path)
    assert f"the TLS key {pair.cert} holds no PEM private key" in output


def test_it_names_a_key_of_another_certificate(ca: trustme.CA, pair: Pair, tmp_path: Path) -> None:
    other = tmp_path / "other-key.pem"
    ca.issue_cert("127.0.0.1").private_key_pem.write_to_path(str(other))
    output = _start(["up", "--tls-cert", str(pair.cert), "--tls-key", str(other)], tmp_path)
    assert f"the TLS key {other} is not the key of the certificate {pair.cert}" in output


def test_it_refuses_an_encrypted_key_instead_of_asking_for_its_passphrase(
    pair: Pair, tmp_path: Path
) -> None:
    key = serialization.load_pem_private_key(pair.key.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted-key.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    output = _start(["up", "--tls-cert", str(pair.cert), "--tls-key", str(encrypted)], tmp_path)
    assert f"the TLS key {encrypted} is encrypted" in output
