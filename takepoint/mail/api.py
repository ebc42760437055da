"""Desk mail over the API, under /api/v1: mailboxes, their connection test, messages in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from starlette.responses import Response

from takepoint.accounts.auth import Admin, Responder
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now, PathId
from takepoint.mail import mailboxes, originals
from takepoint.mail.mailboxes import MailboxFields
from takepoint.mail.models import InboundState, Mailbox, MailMessage
from takepoint.mail.schemas import ConnectionTest, InboundOut, MailboxIn, MailboxOut

router = APIRouter(prefix="/api/v1", tags=["mail"], dependencies=[Depends(csrf.protect)])


def _out(mailbox: Mailbox) -> MailboxOut:
    return MailboxOut.model_validate(
        {
            **{
                name: getattr(mailbox, name)
                for name in MailboxOut.model_fields
                if name != "has_secret"
            },
            "has_secret": bool(mailbox.secret),
        }
    )


@router.get("/mailboxes", response_model=list[MailboxOut])
def list_mailboxes(principal: Admin, session: DbSession) -> list[MailboxOut]:
    return [_out(m) for m in mailboxes.list_mailboxes(session)]


@router.post("/mailboxes", response_model=MailboxOut, status_code=201)
def create_mailbox(body: MailboxIn, principal: Admin, session: DbSession, now: Now) -> MailboxOut:
    mailbox = mailboxes.create_mailbox(session, fields=MailboxFields(**body.model_dump()), now=now)
    return _out(mailbox)


@router.get("/mailboxes/{mailbox_id}", response_model=MailboxOut)
def read_mailbox(mailbox_id: PathId, principal: Admin, session: DbSession) -> MailboxOut:
    return _out(mailboxes.get_mailbox(session, mailbox_id))


@router.put("/mailboxes/{mailbox_id}", response_model=MailboxOut)
def update_mailbox(
    mailbox_id: PathId, body: MailboxIn, principal: Admin, session: DbSession, now: Now
) -> MailboxOut:
    mailbox = mailboxes.update_mailbox(
        session, mailbox_id=mailbox_id, fields=MailboxFields(**body.model_dump()), now=now
    )
    return _out(mailbox)


@router.delete("/mailboxes/{mailbox_id}", status_code=204)
def delete_mailbox(mailbox_id: PathId, principal: Admin, session: DbSession) -> Response:
    mailboxes.delete_mailbox(session, mailbox_id=mailbox_id)
    return Response(status_code=204)


@router.post("/mailboxes/{mailbox_id}/test", response_model=ConnectionTest)
def test_mailbox(mailbox_id: PathId, principal: Admin, session: DbSession) -> ConnectionTest:
    return ConnectionTest(**originals.test_mailbox(mailboxes.get_mailbox(session, mailbox_id)))


@router.get("/mail/messages", response_model=list[InboundOut])
def list_inbound(
    principal: Responder,
    session: DbSession,
    state: InboundState | None = None,
    ticket_id: int | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[InboundOut]:
    query = select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if state is not None:
        query = query.where(MailMessage.state == state)
    if ticket_id is not None:
        query = query.where(MailMessage.ticket_id == ticket_id)
    return [InboundOut.model_validate(row) for row in session.scalars(query).unique()]
