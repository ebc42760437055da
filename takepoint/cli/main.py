from __future__ import annotations

import typer

from takepoint.cli import ops, server, users

app = typer.Typer(
    name="takepoint",
    help="Takepoint: on-call, incidents and service desk for small IT teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(server.up)
app.command()(server.web)
app.command()(server.engine)
app.command()(server.migrate)
app.command()(ops.doctor)
app.command()(ops.backup)
app.command()(ops.restore)
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")


def run() -> None:
    app()
