"""Real `takepoint` processes for tests that start, stop and kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


class TakepointProcess:
    """`python -m takepoint ARGS` with its output in a log file, stopped or killed on demand."""

    def __init__(
        self, args: list[str], *, env: dict[str, str], log: Path, cwd: Path | None = None
    ) -> None:
        self.args = args
        self.log = log
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "takepoint", *args],
            env={**os.environ, **env},
            cwd=cwd,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.output()
            if text in out:
                return out
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; output:\n{self.output()}")

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._log_file.close()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as when the power cord is pulled from the process."""
        self.process.kill()
        self.process.wait(15)
        self._log_file.close()
