"""`takepoint notify`: contact methods, test messages and the outbox from a terminal."""

from __future__ import annotations

from typing import Any

import typer

from takepoint.accounts.service import find_user_by_email
from takepoint.cli.common import (
    FormatOption,
    OutputFormat,
    console,
    fail,
    now,
    print_rows,
    unit_of_work,
)
from takepoint.notify import contacts, service
from takepoint.notify.models import NotificationState

notify_app = typer.Typer(
    help="Contact methods, test messages and the outbox.", no_args_is_help=True
)


@notify_app.command("methods")
def list_methods(email: str, fmt: OutputFormat = FormatOption) -> None:
    """A person's contact methods, in the order they are tried (secrets masked)."""
    with unit_of_work() as session:
        user = find_user_by_email(session, email)
        rows = [
            {"id": m.id, "order": i + 1, "label": m.label, "kind": m.kind.value, "where": m.display}
            for i, m in enumerate(contacts.list_contact_methods(session, user=user))
        ]
    print_rows(
        rows, ["id", "order", "label", "kind", "where"], fmt, title=f"Contact methods of {email}"
    )


@notify_app.command("test")
def send_test(email: str, label: str) -> None:
    """Queue a test message to one of a person's contact methods; the engine sends it."""
    with unit_of_work() as session:
        user = find_user_by_email(session, email)
        methods = {m.label: m for m in contacts.list_contact_methods(session, user=user)}
        if label not in methods:
            known = ", ".join(methods) or "none"
            fail(f"{email} has no contact method labelled {label!r} (they have: {known})")
        row = service.send_test(session, user=user, contact_method=methods[label], now=now())
        console.print(
            f"Test notification {row.id} queued for {row.channel}; "
            "`takepoint notify list` shows when it is sent."
        )


@notify_app.command("list")
def list_notifications(
    user: str = typer.Option(None, "--user", help="only this person's (email)"),
    state: NotificationState = typer.Option(None, "--state"),
    limit: int = typer.Option(50, "--limit", min=1, max=500),
    fmt: OutputFormat = FormatOption,
) -> None:
    """The newest notifications in the outbox, with their state and attempts."""
    with unit_of_work() as session:
        user_id = find_user_by_email(session, user).id if user else None
        rows: list[dict[str, Any]] = [
            {
                "id": n.id,
                "due_at": n.due_at.isoformat(timespec="seconds"),
                "to": n.user.email if n.user else n.address,
                "channel": n.channel,
                "subject": n.subject,
                "state": n.state.value,
                "attempts": n.attempts,
                "last_error": n.last_error,
                "key": n.key,
            }
            for n in service.list_notifications(session, user_id=user_id, state=state, limit=limit)
        ]
    columns = ["id", "due_at", "to", "channel", "subject", "state", "attempts", "last_error"]
    print_rows(rows, columns if fmt is OutputFormat.TABLE else [*columns, "key"], fmt)
