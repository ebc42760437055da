"""What ships: passwords hashed with argon2id at its defaults. The suite's own process hashes at
argon2's cheapest (tests/conftest.py), so this asks a Takepoint process of its own."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
from takepoint.lib.secrets import hash_password, verify_password
made = hash_password("correct horse")
print(made)
print(verify_password(made, "correct horse"), verify_password(made, "wrong horse"),
      verify_password(None, "correct horse"))
"""


def test_passwords_ship_hashed_with_argon2id_at_its_defaults() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    made, checks = done.stdout.splitlines()
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert checks == "True False False"
