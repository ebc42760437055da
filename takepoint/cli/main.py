from __future__ import annotations

import typer

from takepoint.cli import (
    catalog,
    desk,
    incidents,
    mail,
    notify,
    oncall,
    ops,
    reviews,
    server,
    signals,
    users,
)

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
app.command()(catalog.apply)
app.command()(catalog.export)
app.command()(catalog.audit)
app.command("oncall")(oncall.oncall)
app.add_typer(users.user_app, name="user")
app.add_typer(incidents.incident_app, name="incident")
app.add_typer(desk.ticket_app, name="ticket")
app.add_typer(desk.sla_app, name="sla")
app.add_typer(users.token_app, name="token")
app.add_typer(signals.integration_app, name="integration")
app.add_typer(notify.notify_app, name="notify")
app.add_typer(mail.mailbox_app, name="mailbox")
app.command("mail-in")(mail.mail_in)
app.command()(signals.alerts)
app.command()(reviews.verify)
app.add_typer(reviews.report_app, name="report")
app.command()(reviews.actions)


def run() -> None:
    app()
