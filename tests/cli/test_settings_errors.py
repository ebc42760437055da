from __future__ import annotations

import pytest
from typer.testing import CliRunner

from takepoint.cli.main import app as cli


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TAKEPOINT_DATABASE_URL", "not a url", "TAKEPOINT_DATABASE_URL: expected sqlite:///PATH"),
        ("TAKEPOINT_DATABASE_URL", "mysql://root@localhost/x", "driver 'mysql' is not supported"),
        ("TAKEPOINT_DATABASE_URL", "postgresql+psycopg://u@h:5432", "needs a database name"),
        ("TAKEPOINT_PORT", "eighty", "TAKEPOINT_PORT:"),
        ("TAKEPOINT_DEFAULT_TIME_ZONE", "Europe/Atlantis", "not an IANA time zone"),
        ("TAKEPOINT_ENGINE_TICK_SECONDS", "5", "TAKEPOINT_ENGINE_TICK_SECONDS:"),
    ],
)
def test_it_fails_at_start_with_one_clear_line(name: str, value: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["doctor"], env={name: value})
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2


def test_it_reads_a_secret_from_a_file(tmp_path: object) -> None:
    from pathlib import Path

    missing = Path(str(tmp_path)) / "nope"
    result = CliRunner().invoke(cli, ["doctor"], env={"TAKEPOINT_SECRET_KEY_FILE": str(missing)})
    assert result.exit_code == 2
    assert "TAKEPOINT_SECRET_KEY_FILE: cannot read" in result.output
