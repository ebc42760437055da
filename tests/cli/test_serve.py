import shutil
import socket
from pathlib import Path

from tests.processes import TakepointProcess


def test_it_refuses_a_port_in_use_plainly(tmp_path: Path, sqlite_template: Path) -> None:
    database = tmp_path / "takepoint.db"
    shutil.copyfile(sqlite_template, database)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        web = TakepointProcess(
            ["web", "--host", "127.0.0.1", "--port", str(port)],
            env={"TAKEPOINT_DATABASE_URL": f"sqlite:///{database}"},
            log=tmp_path / "web.log",
        )
        web.process.wait(30)
        assert web.stop() == 2
    output = web.output()
    assert f"cannot listen on 127.0.0.1:{port}: it is in use" in output
    assert "Traceback" not in output
