from __future__ import annotations

import typer

from takepoint.accounts import service
from takepoint.accounts.models import Role, TokenScope
from takepoint.cli.common import console, now, unit_of_work

user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage personal API tokens.", no_args_is_help=True)


@user_app.command("create")
def create_user(
    email: str,
    name: str = typer.Option(..., "--name", help="display name"),
    role: Role = typer.Option(Role.RESPONDER, "--role"),
    time_zone: str = typer.Option("UTC", "--tz", help="IANA time zone, e.g. Europe/London"),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="at least 10 characters; prompted for when not given",
    ),
) -> None:
    """Create a user who can sign in."""
    with unit_of_work() as session:
        user = service.create_user(
            session,
            email=email,
            display_name=name,
            role=role,
            time_zone=time_zone,
            password=password,
            now=now(),
        )
        console.print(f"Created {user.email} ({user.role.value}).")


@user_app.command("passwd")
def set_password(
    email: str,
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="at least 10 characters; prompted for when not given",
    ),
) -> None:
    """Set a user's password; their browsers are signed out."""
    with unit_of_work() as session:
        user = service.find_user_by_email(session, email)
        service.set_password(session, user=user, password=password)
        console.print(f"Password set for {user.email}; their sessions were signed out.")


@token_app.command("create")
def create_token(
    email: str,
    name: str = typer.Option(..., "--name", help="what the token is for, e.g. monitoring"),
    scope: TokenScope = typer.Option(TokenScope.READ, "--scope"),
) -> None:
    """Create an API token for a user and print it, this once."""
    with unit_of_work() as session:
        user = service.find_user_by_email(session, email)
        _, secret = service.create_api_token(session, user=user, name=name, scope=scope, now=now())
    # Printed plainly so scripts can capture it: TOKEN=$(takepoint token create ...)
    print(secret)
