"""Desk mail's pages: mailbox settings with "test connection", messages that could not be
read, and the original of any message that came in (linked from the ticket page).

A mailbox's password or token is never put back into a page: the form says whether one is
set, and an empty field keeps it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Admin, Responder
from takepoint.accounts.service import list_teams
from takepoint.desk import service as desk
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now, PathId
from takepoint.lib.errors import InvalidInput, TakepointError
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render
from takepoint.mail import mailboxes, originals
from takepoint.mail.models import AfterImport, Auth, Security

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

PAGE = "/mail/mailboxes"


def _form_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, Any],
    mailbox_id: int | None,
    has_secret: bool = False,
    errors: dict[str, str] | None = None,
    test: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "mail/mailbox_form.html",
        {
            "form": form,
            "mailbox_id": mailbox_id,
            "has_secret": has_secret,
            "errors": errors or {},
            "test": test,
            "teams": list_teams(session),
            "categories": desk.list_categories(session),
            "securities": list(Security),
            "auths": list(Auth),
            "after_imports": list(AfterImport),
        },
        status_code=status_code,
    )


def _optional_id(value: str) -> int | None:
    return int(value) if is_digits(value.strip()) else None


def _number(value: str, field: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not is_digits(text):
        raise InvalidInput("give a whole number", field=field)
    return int(text)


class MailboxForm:
    """The mailbox form's fields, as typed."""

    def __init__(
        self,
        name: Annotated[str, Form(max_length=100)] = "",
        address: Annotated[str, Form(max_length=320)] = "",
        team_id: Annotated[str, Form()] = "",
        category_id: Annotated[str, Form()] = "",
        enabled: Annotated[str, Form()] = "",
        acknowledge: Annotated[str, Form()] = "",
        imap_host: Annotated[str, Form(max_length=255)] = "",
        imap_port: Annotated[str, Form(max_length=5)] = "",
        security: Annotated[Security, Form()] = Security.IMAPS,
        auth: Annotated[Auth, Form()] = Auth.PASSWORD,
        username: Annotated[str, Form(max_length=320)] = "",
        secret: Annotated[str, Form(max_length=10_000)] = "",
        secret_file: Annotated[str, Form(max_length=1000)] = "",
        folder: Annotated[str, Form(max_length=200)] = "INBOX",
        after_import: Annotated[AfterImport, Form()] = AfterImport.FLAG,
        after_import_target: Annotated[str, Form(max_length=200)] = "$Takepoint",
        poll_seconds: Annotated[str, Form(max_length=6)] = "60",
    ) -> None:
        self.values: dict[str, Any] = {
            "name": name,
            "address": address,
            "team_id": _optional_id(team_id),
            "category_id": _optional_id(category_id),
            "enabled": bool(enabled),
            "acknowledge": bool(acknowledge),
            "imap_host": imap_host,
            "imap_port": imap_port,
            "security": security,
            "auth": auth,
            "username": username,
            "secret_file": secret_file,
            "folder": folder,
            "after_import": after_import,
            "after_import_target": after_import_target,
            "poll_seconds": poll_seconds,
        }
        self.secret = secret

    def fields(self) -> mailboxes.MailboxFields:
        values = dict(self.values)
        values["imap_port"] = _number(str(values["imap_port"]), "imap_port")
        values["poll_seconds"] = _number(str(values["poll_seconds"]), "poll_seconds") or 60
        return mailboxes.MailboxFields(**values, secret=self.secret or None)


MailboxFormData = Annotated[MailboxForm, Depends()]


def _form_of(fields: mailboxes.MailboxFields) -> dict[str, Any]:
    return {
        "name": fields.name,
        "address": fields.address,
        "team_id": fields.team_id,
        "category_id": fields.category_id,
        "enabled": fields.enabled,
        "acknowledge": fields.acknowledge,
        "imap_host": fields.imap_host or "",
        "imap_port": fields.imap_port or "",
        "security": fields.security,
        "auth": fields.auth,
        "username": fields.username,
        "secret_file": fields.secret_file,
        "folder": fields.folder,
        "after_import": fields.after_import,
        "after_import_target": fields.after_import_target,
        "poll_seconds": fields.poll_seconds,
    }


@router.get(PAGE)
def list_page(request: Request, principal: Admin, session: DbSession) -> Response:
    return render(
        request,
        "mail/mailboxes.html",
        {
            "mailboxes": mailboxes.list_mailboxes(session),
            "problems": originals.problems(session),
            "flash": request.query_params.get("flash", ""),
        },
    )


@router.get(f"{PAGE}/new")
def new_page(request: Request, principal: Admin, session: DbSession) -> Response:
    return _form_page(
        request,
        session,
        form=_form_of(mailboxes.MailboxFields(name="", address="")),
        mailbox_id=None,
    )


@router.post(PAGE)
def create(
    request: Request, principal: Admin, session: DbSession, now: Now, form: MailboxFormData
) -> Response:
    try:
        mailbox = mailboxes.create_mailbox(session, fields=form.fields(), now=now)
    except TakepointError as exc:
        session.rollback()
        return _form_page(
            request,
            session,
            form=form.values,
            mailbox_id=None,
            errors={exc.field or "name": exc.message},
            status_code=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}/{mailbox.id}?flash=saved", status_code=303)


@router.get(f"{PAGE}/{{mailbox_id}}")
def edit_page(
    request: Request, mailbox_id: PathId, principal: Admin, session: DbSession
) -> Response:
    mailbox = mailboxes.get_mailbox(session, mailbox_id)
    return _form_page(
        request,
        session,
        form=_form_of(mailboxes.fields_of(mailbox)),
        mailbox_id=mailbox.id,
        has_secret=bool(mailbox.secret),
    )


@router.post(f"{PAGE}/{{mailbox_id}}")
def update(
    request: Request,
    mailbox_id: PathId,
    principal: Admin,
    session: DbSession,
    now: Now,
    form: MailboxFormData,
) -> Response:
    has_secret = bool(mailboxes.get_mailbox(session, mailbox_id).secret)
    try:
        mailboxes.update_mailbox(session, mailbox_id=mailbox_id, fields=form.fields(), now=now)
    except TakepointError as exc:
        session.rollback()
        return _form_page(
            request,
            session,
            form=form.values,
            mailbox_id=mailbox_id,
            has_secret=has_secret,
            errors={exc.field or "name": exc.message},
            status_code=exc.status_code,
        )
    return RedirectResponse(f"{PAGE}/{mailbox_id}?flash=saved", status_code=303)


@router.post(f"{PAGE}/{{mailbox_id}}/test")
def test(request: Request, mailbox_id: PathId, principal: Admin, session: DbSession) -> Response:
    mailbox = mailboxes.get_mailbox(session, mailbox_id)
    result = originals.test_mailbox(mailbox)
    return _form_page(
        request,
        session,
        form=_form_of(mailboxes.fields_of(mailbox)),
        mailbox_id=mailbox.id,
        has_secret=bool(mailbox.secret),
        test=result,
        status_code=200,
    )


@router.post(f"{PAGE}/{{mailbox_id}}/delete")
def delete(mailbox_id: PathId, principal: Admin, session: DbSession) -> Response:
    mailboxes.delete_mailbox(session, mailbox_id=mailbox_id)
    return RedirectResponse(f"{PAGE}?flash={quote('Mailbox removed')}", status_code=303)


def _original(request: Request, view: originals.Original) -> Response:
    return render(request, "mail/original.html", {"view": view})


@router.get("/mail/inbound/{inbound_id}")
def inbound_page(
    request: Request, inbound_id: PathId, principal: Responder, session: DbSession
) -> Response:
    return _original(request, originals.by_id(session, inbound_id))


@router.get("/mail/messages/{desk_message_id}/original")
def message_original(
    request: Request, desk_message_id: PathId, principal: Responder, session: DbSession
) -> Response:
    return _original(request, originals.for_desk_message(session, desk_message_id))


@router.get("/mail/tickets/{ticket_id}/original")
def ticket_original(
    request: Request, ticket_id: PathId, principal: Responder, session: DbSession
) -> Response:
    return _original(request, originals.opening(session, ticket_id))


@router.get("/mail/inbound/{inbound_id}/raw")
def raw(inbound_id: PathId, principal: Responder, session: DbSession) -> Response:
    view = originals.by_id(session, inbound_id)
    return Response(
        view.row.raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{inbound_id}.eml"'},
    )
