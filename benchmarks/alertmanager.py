"""The peer: a real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) on loopback.

Its route sends everything to a receiver with no integrations, so it only takes alerts in,
deduplicates and groups them, in memory. Takepoint commits every alert before answering; the
comparison is of two different promises, and the figures say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.harness import free_port, process, wait_http

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"

CONFIG = """
route:
  receiver: blackhole
  group_by: ["alertname"]
receivers:
  - name: blackhole
"""


@contextmanager
def alertmanager(work: Path) -> Iterator[str]:
    """A fresh Alertmanager for the length of the block; yields its base URL."""
    config = work / "alertmanager.yml"
    config.write_text(CONFIG)
    port = free_port()
    args = [
        ALERTMANAGER,
        f"--config.file={config}",
        f"--storage.path={work / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    with process(args, log=work / "alertmanager.log"):
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/-/ready")
        yield url
