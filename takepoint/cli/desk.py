from __future__ import annotations

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
from takepoint.desk import queues, sla
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Priority, Ticket, TicketState, TicketType
from takepoint.desk.queues import QueueView

ticket_app = typer.Typer(help="Open and work on service-desk tickets.", no_args_is_help=True)
sla_app = typer.Typer(help="See why a ticket's SLA is what it is.", no_args_is_help=True)
AsOption = typer.Option(
    ..., "--as", help="email of the agent doing this (recorded in the timeline)"
)
# Views that are about someone in particular.
_PERSONAL = (QueueView.MINE, QueueView.TEAM)


def _row(ticket: Ticket) -> dict[str, object]:
    return {
        "id": ticket.id,
        "state": ticket.state.value,
        "priority": ticket.priority.value,
        "requester": ticket.requester.name + (" (VIP)" if ticket.requester.vip else ""),
        "title": ticket.title,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "updated_at": ticket.updated_at.isoformat(timespec="seconds"),
    }


@ticket_app.command("open")
def open_ticket(
    requester: int = typer.Option(..., "--requester", help="the requester's id"),
    title: str = typer.Option(..., "--title", help="what is wrong or wanted"),
    priority: Priority = typer.Option(Priority.P3, "--priority"),
    category: int | None = typer.Option(None, "--category", help="category id"),
    description: str = typer.Option("", "--description"),
    kind: TicketType = typer.Option(TicketType.REQUEST, "--type"),
    channel: Channel = typer.Option(Channel.PHONE, "--channel", help="how it came in"),
    actor: str | None = typer.Option(None, "--as", help="email of the agent logging it"),
) -> None:
    """Open a ticket for a requester; its SLA rule and clocks start at once."""
    with unit_of_work() as session:
        ticket = desk.open_ticket(
            session,
            requester_id=requester,
            title=title,
            description=description,
            type=kind,
            priority=priority,
            category_id=category,
            channel=channel,
            user=find_user_by_email(session, actor) if actor else None,
            now=now(),
        )
        console.print(f"Opened ticket #{ticket.id}: {ticket.sla_reason}.", highlight=False)


@ticket_app.command("list")
def list_tickets(
    view: QueueView = typer.Option(QueueView.ALL, "--view"),
    search: str = typer.Option("", "--search", help="title, requester or #number"),
    actor: str | None = typer.Option(None, "--as", help="whose queue (needed for mine and team)"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List the open tickets of one queue, newest first (breaching: soonest due first)."""
    if view in _PERSONAL and not actor:
        fail(f"--view {view.value} needs --as EMAIL: whose tickets?")
    with unit_of_work() as session:
        user = find_user_by_email(session, actor) if actor else None
        found = queues.queue(session, view=view, user=user, now=now(), search=search, limit=500)
        rows = [_row(t) for t in found]
    print_rows(
        rows, ["id", "state", "priority", "requester", "title", "assignee", "updated_at"], fmt
    )


@ticket_app.command("show")
def show(ticket_id: int) -> None:
    """A ticket: who, its SLA clocks and the whole conversation, internal notes included."""
    at = now()
    with unit_of_work() as session:
        ticket = desk.get_ticket(session, ticket_id)
        vip = " (VIP)" if ticket.requester.vip else ""
        who = ticket.assignee.email if ticket.assignee else "nobody"
        lines = [
            f"#{ticket.id} {ticket.title}",
            f"  {ticket.state.label}, {ticket.priority.value.upper()}, {ticket.type.value} "
            f"by {ticket.channel.value}",
            f"  requester: {ticket.requester.name}{vip}",
            f"  assignee: {who}",
            f"  SLA: {ticket.sla_reason or 'none'}",
        ]
        for row in ticket.clocks:
            shown = sla.view(row, now=at)
            due = f", due {shown.due_at:%Y-%m-%d %H:%M} UTC" if shown.due_at else ""
            lines.append(f"    {row.target.label}: {shown.state}{due}")
        for message in desk.messages(session, ticket=ticket, public_only=False):
            author = (
                message.author_user.email
                if message.author_user
                else (message.author_requester.name if message.author_requester else "someone")
            )
            label = "reply" if message.public else "INTERNAL NOTE"
            lines.append(f"  [{message.at:%Y-%m-%d %H:%M}] {label} from {author}: {message.body}")
    console.print("\n".join(lines), highlight=False, markup=False)


@ticket_app.command("reply")
def reply(ticket_id: int, text: str, actor: str = AsOption) -> None:
    """Reply to the requester (they see it; it meets the response targets)."""
    with unit_of_work() as session:
        user = find_user_by_email(session, actor)
        desk.reply(session, ticket_id=ticket_id, body=text, user=user, now=now())
        console.print(f"Replied on #{ticket_id}.")


@ticket_app.command("note")
def note(ticket_id: int, text: str, actor: str = AsOption) -> None:
    """Add an internal note (the requester never sees it)."""
    with unit_of_work() as session:
        user = find_user_by_email(session, actor)
        desk.add_note(session, ticket_id=ticket_id, body=text, user=user, now=now())
        console.print(f"Internal note added to #{ticket_id}.")


@ticket_app.command("assign")
def assign(
    ticket_id: int,
    to: str = typer.Option(..., "--to", help="email of the agent who takes it"),
    actor: str = AsOption,
) -> None:
    """Give the ticket to an agent."""
    with unit_of_work() as session:
        user = find_user_by_email(session, actor)
        assignee = find_user_by_email(session, to)
        desk.assign(session, ticket_id=ticket_id, user=user, now=now(), assignee_id=assignee.id)
        console.print(f"#{ticket_id} assigned to {assignee.email}.")


@ticket_app.command("state")
def set_state(ticket_id: int, state: TicketState, actor: str = AsOption) -> None:
    """Move the ticket on: waiting states pause its clocks, resolving meets the resolution."""
    with unit_of_work() as session:
        user = find_user_by_email(session, actor)
        desk.set_state(session, ticket_id=ticket_id, state=state, user=user, now=now())
        console.print(f"#{ticket_id} is now {state.label.lower()}.")


@sla_app.command("explain")
def explain(ticket_id: int) -> None:
    """Which SLA rule applies to a ticket and why, and where each clock stands."""
    with unit_of_work() as session:
        lines = sla.explain(desk.get_ticket(session, ticket_id), now=now())
    console.print("\n".join(lines), highlight=False, markup=False)
