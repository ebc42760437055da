"""Waking engines in other processes on the same host.

`takepoint web` and `takepoint engine` are separate processes; without a signal, the engine
finds new work only at its next tick. Each engine listens on a datagram socket of its own in
`<data dir>/wake/`, and a web process sends the names of the lanes with new work to every
socket there, right after its commit. A datagram is a hint, never the only path: if it is lost
(no engine on this host, a full buffer, a data folder shared between hosts), the tick still
finds the work. Dead engines' sockets are removed by the first sender that meets them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection
from pathlib import Path

log = logging.getLogger(__name__)

# How long a sender trusts its listing of the folder before reading it again.
LISTING_SECONDS = 1.0
_MAX_DATAGRAM = 1024
_ALL = "*"
# A socket's path must fit in sockaddr_un (108 bytes on Linux, with its terminating NUL).
_MAX_PATH = 100
_NAME_LENGTH = len("4194304-0123abcd.sock") + 1


def wake_dir(data_dir: Path) -> Path:
    """`<data dir>/wake`, or, when that is too deep for a socket's path, a folder named after
    the data folder in the temporary directory (the same for every process on the host)."""
    folder = data_dir.resolve() / "wake"
    if len(str(folder)) + _NAME_LENGTH <= _MAX_PATH:
        return folder
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"takepoint-wake-{digest}"


def _encode(lanes: Collection[str] | None) -> bytes:
    return (_ALL if lanes is None else " ".join(sorted(lanes))).encode()


def _decode(datagram: bytes) -> frozenset[str] | None:
    names = frozenset(datagram.decode(errors="replace").split())
    return None if _ALL in names else names


class WakeSender:
    """What a web process calls after a commit that left work for an engine."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._targets: list[Path] = []
        self._listed_at = -LISTING_SECONDS

    def __call__(self, lanes: Collection[str] | None = None) -> None:
        message = _encode(lanes)
        with self._lock, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            now = time.monotonic()
            if now - self._listed_at >= LISTING_SECONDS:
                self._targets = sorted(self.folder.glob("*.sock"))
                self._listed_at = now
            for target in list(self._targets):
                try:
                    sender.sendto(message, str(target))
                except (ConnectionRefusedError, FileNotFoundError):
                    # Its engine is gone (a SIGKILL leaves the file behind).
                    self._targets.remove(target)
                    with contextlib.suppress(OSError):
                        target.unlink()
                except OSError:  # a full buffer: that engine is awake already
                    pass


class WakeListener:
    """An engine's socket: each datagram triggers the lanes it names."""

    def __init__(self, folder: Path, trigger: Callable[[Collection[str] | None], None]) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = folder / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.sock"
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._trigger = trigger
        self._thread = threading.Thread(target=self._run, name="engine-wake", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                datagram = self._socket.recv(_MAX_DATAGRAM)
            except OSError:
                return
            if not datagram:  # stop() sends an empty datagram
                return
            try:
                self._trigger(_decode(datagram))
            except Exception:  # the thread must outlive one bad trigger
                log.exception("waking the engine failed")

    def stop(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as poke, contextlib.suppress(OSError):
            poke.sendto(b"", str(self.path))
        self._thread.join(timeout=2)
        self._socket.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def listen(folder: Path, trigger: Callable[[Collection[str] | None], None]) -> WakeListener | None:
    """A started listener, or None (logged) where no socket can be made: the engine then finds
    work at its ticks, as it would on another host."""
    try:
        listener = WakeListener(folder, trigger)
    except OSError as exc:
        log.warning("engine wake-ups are off, the tick finds new work (%s: %s)", folder, exc)
        return None
    listener.start()
    return listener
