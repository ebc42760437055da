"""The requester portal: sign in with an emailed link, open tickets, read IT's replies, answer.

Every page here is for a requester, never for staff: the pages render with no staff user (even
if the browser also holds a staff session) and read only public messages and the files shown
to the requester. Every POST checks the CSRF token, whoever sends it: the portal's cookie is
not the staff session cookie that `csrf.protect` looks for, and the link form is used before
anyone is signed in.

A file sent with a new ticket or a message is checked and stored before anything is written,
so a refused one (empty, of a kind that is not accepted, too large) shows the form again with
the error next to the field, and leaves no ticket, no message and no timeline entry.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from takepoint.desk import attachments, portal
from takepoint.desk import service as desk
from takepoint.desk.attachments import TicketFile
from takepoint.desk.models import Channel, Requester, Ticket
from takepoint.desk.web_files import file_response
from takepoint.incidents.evidence import ACCEPTED, UnsupportedType, evidence_root, human_size
from takepoint.incidents.web_evidence import refuse_oversized
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now, PathId
from takepoint.lib.errors import InvalidInput, PayloadTooLarge
from takepoint.lib.settings import Settings
from takepoint.lib.templating import render

SIGNED_OUT = "/portal"
# What the evidence store refuses a file with; each is shown next to the form's file field.
_REFUSED_FILE = (InvalidInput, UnsupportedType, PayloadTooLarge)


def _too_large(limit: int) -> str:
    return (
        f"This file is larger than the {human_size(limit)} limit. A screenshot, or a photo "
        "taken at a lower resolution, will fit."
    )


def _refuse_oversized(request: Request) -> None:
    # Far over the limit by its Content-Length: refused before the body is read (the CSRF
    # check would otherwise spool all of it), in words for a requester rather than an admin.
    try:
        refuse_oversized(request)
    except PayloadTooLarge:
        limit: int = request.app.state.settings.evidence_max_bytes
        raise PayloadTooLarge(_too_large(limit), field="file") from None


async def _protect(request: Request) -> None:
    if request.method not in csrf.SAFE_METHODS:
        await csrf.verify(request)


router = APIRouter(
    include_in_schema=False, dependencies=[Depends(_refuse_oversized), Depends(_protect)]
)


def _signed_in(request: Request, session: DbSession, now: Now) -> Requester:
    cookie = request.cookies.get(portal.SESSION_COOKIE)
    requester = portal.requester_for_cookie(session, cookie=cookie, now=now) if cookie else None
    if requester is None:
        # Not a staff "401 → /login": a requester signs in at the portal.
        raise HTTPException(
            status_code=303,
            detail="Sign in to the portal first.",
            headers={"Location": SIGNED_OUT},
        )
    return requester


PortalRequester = Annotated[Requester, Depends(_signed_in)]


def _page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    requester: Requester | None,
    status_code: int = 200,
) -> Response:
    # `me: None` hides the staff header even when this browser is also signed in as staff.
    page: dict[str, Any] = {"me": None, "requester": requester}
    if requester is not None:
        page["tz"] = requester.time_zone
    page.update(context)
    return render(request, f"desk/{template}", page, status_code=status_code)


def _to(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(message)}", status_code=303)


@router.get("/portal")
def ask_page(request: Request, session: DbSession, now: Now) -> Response:
    cookie = request.cookies.get(portal.SESSION_COOKIE)
    if cookie and portal.requester_for_cookie(session, cookie=cookie, now=now) is not None:
        return RedirectResponse("/portal/tickets", status_code=303)
    return _page(request, "portal_ask.html", {}, requester=None)


@router.post("/portal")
def ask(session: DbSession, now: Now, email: Annotated[str, Form(max_length=320)]) -> Response:
    portal.request_link(session, email=email, now=now)
    minutes = int(portal.LINK_TTL.total_seconds() // 60)
    return _to(
        SIGNED_OUT,
        "We have sent a sign-in link if we know that address. "
        f"It works once, for {minutes} minutes.",
    )


@router.get("/portal/signin/{token}")
def signin_page(request: Request, token: str, session: DbSession, now: Now) -> Response:
    # Only shows a button: mail scanners open links, and a GET must not spend one.
    requester = portal.check_link(session, token=token, now=now)
    return _page(
        request, "portal_signin.html", {"token": token, "name": requester.name}, requester=None
    )


@router.post("/portal/signin/{token}")
def signin(token: str, session: DbSession, settings: AppSettings, now: Now) -> Response:
    requester = portal.use_link(session, token=token, now=now)
    response = RedirectResponse("/portal/tickets", status_code=303)
    response.set_cookie(
        portal.SESSION_COOKIE,
        portal.session_cookie(session, requester=requester, now=now),
        max_age=int(portal.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.post("/portal/signout")
def signout() -> Response:
    response = _to(SIGNED_OUT, "Signed out.")
    response.delete_cookie(portal.SESSION_COOKIE, path="/")
    return response


@router.get("/portal/tickets")
def tickets_page(request: Request, requester: PortalRequester, session: DbSession) -> Response:
    tickets = portal.tickets_of(session, requester=requester)
    return _page(request, "portal_tickets.html", {"tickets": tickets}, requester=requester)


def _chosen(file: UploadFile | None) -> UploadFile | None:
    # A form whose file field was left empty still sends the field, with no name and no bytes.
    if file is None or (not file.filename and not file.size):
        return None
    return file


def _file_error(exc: InvalidInput | UnsupportedType | PayloadTooLarge, settings: Settings) -> str:
    if isinstance(exc, PayloadTooLarge):
        return _too_large(settings.evidence_max_bytes)
    if isinstance(exc, UnsupportedType):
        # "the file is a ZIP archive (…); evidence can be …", said to a requester.
        what = exc.message.split(";")[0]
        return f"Nothing was sent: {what}. You can send {ACCEPTED}."
    return f"Nothing was sent: {exc.message}."


def _new_form(
    request: Request,
    requester: Requester,
    settings: Settings,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "form": form or {"title": "", "description": ""},
        "errors": errors or {},
        "max_size": human_size(settings.evidence_max_bytes),
    }
    return _page(request, "portal_new.html", context, requester=requester, status_code=status_code)


@router.get("/portal/tickets/new")
def new_ticket_page(
    request: Request, requester: PortalRequester, settings: AppSettings
) -> Response:
    return _new_form(request, requester, settings)


@router.post("/portal/tickets/new")
def new_ticket(
    request: Request,
    requester: PortalRequester,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    title: Annotated[str, Form(max_length=desk.MAX_TITLE)] = "",
    description: Annotated[str, Form(max_length=desk.MAX_BODY)] = "",
    file: Annotated[UploadFile | None, File(description="a photo, a PDF or a log")] = None,
) -> Response:
    form = {"title": title, "description": description}
    if not title.strip():
        errors = {"title": "Say in a few words what you need."}
        return _new_form(request, requester, settings, form=form, errors=errors, status_code=422)
    upload = _chosen(file)
    stored = None
    if upload is not None:
        # Before the ticket: a refused file must not leave a ticket without it.
        try:
            stored = attachments.store(
                upload.file, root=evidence_root(settings), max_bytes=settings.evidence_max_bytes
            )
        except _REFUSED_FILE as exc:
            errors = {"file": _file_error(exc, settings)}
            return _new_form(
                request, requester, settings, form=form, errors=errors, status_code=exc.status_code
            )
    ticket = desk.open_ticket(
        session,
        requester_id=requester.id,
        title=title,
        description=description,
        channel=Channel.WEB,
        now=now,
    )
    if upload is not None and stored is not None:
        attachments.add_stored(
            session,
            ticket=ticket,
            stored=stored,
            filename=upload.filename or "",
            requester=requester,
            now=now,
        )
    return _to(f"/portal/tickets/{ticket.id}", f"Ticket #{ticket.id} sent to IT.")


def _ticket_page(
    request: Request,
    session: DbSession,
    settings: Settings,
    *,
    requester: Requester,
    ticket: Ticket,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    # Public replies only, and only the files shown to the requester: an internal note, and a
    # file on one, never reach this page.
    conversation = desk.messages(session, ticket=ticket, public_only=True)
    files = attachments.for_ticket(session, ticket, requester_view=True)
    by_message: dict[int, list[TicketFile]] = {}
    loose: list[TicketFile] = []
    for f in files:
        if f.message_id is not None:
            by_message.setdefault(f.message_id, []).append(f)
        else:
            loose.append(f)
    # The requester's own files go with their description; IT's sit next to the root cause,
    # as its proof, once the cause is shared.
    cause = ticket.root_cause if ticket.root_cause_shared else ""
    from_it = [f for f in loose if not f.from_requester]
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "cause": cause,
        "proof": from_it if cause else [],
        "files_by_message": by_message,
        "yours": [f for f in loose if f.from_requester],
        "from_it": [] if cause else from_it,
        "form": form or {"body": ""},
        "errors": errors or {},
        "max_size": human_size(settings.evidence_max_bytes),
    }
    return _page(
        request, "portal_ticket.html", context, requester=requester, status_code=status_code
    )


@router.get("/portal/tickets/{ticket_id}")
def ticket_page(
    request: Request,
    ticket_id: PathId,
    requester: PortalRequester,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    ticket = portal.own_ticket(session, requester=requester, ticket_id=ticket_id)
    return _ticket_page(request, session, settings, requester=requester, ticket=ticket)


@router.post("/portal/tickets/{ticket_id}/messages")
def reply(
    request: Request,
    ticket_id: PathId,
    requester: PortalRequester,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    body: Annotated[str, Form(max_length=desk.MAX_BODY)] = "",
    file: Annotated[UploadFile | None, File(description="a photo, a PDF or a log")] = None,
) -> Response:
    ticket = portal.own_ticket(session, requester=requester, ticket_id=ticket_id)
    form = {"body": body}

    def again(errors: dict[str, str], status_code: int) -> Response:
        return _ticket_page(
            request,
            session,
            settings,
            requester=requester,
            ticket=ticket,
            form=form,
            errors=errors,
            status_code=status_code,
        )

    if not body.strip():
        return again({"body": "Write a few words with your message."}, 422)
    upload = _chosen(file)
    stored = None
    if upload is not None:
        try:
            stored = attachments.store(
                upload.file, root=evidence_root(settings), max_bytes=settings.evidence_max_bytes
            )
        except _REFUSED_FILE as exc:
            return again({"file": _file_error(exc, settings)}, exc.status_code)
    got = desk.requester_reply(
        session, ticket_id=ticket.id, requester_id=requester.id, body=body, now=now
    )
    if upload is not None and stored is not None:
        attachments.add_stored(
            session,
            ticket=got,
            stored=stored,
            filename=upload.filename or "",
            requester=requester,
            message_id=portal.last_message_id(session, ticket=got, requester=requester),
            now=now,
        )
    if got.id != ticket.id:
        return _to(
            f"/portal/tickets/{got.id}",
            f"Ticket #{ticket.id} was closed, so your message opened a new ticket, #{got.id}.",
        )
    return _to(f"/portal/tickets/{ticket.id}", "Message sent to IT.")


@router.get("/portal/tickets/{ticket_id}/files/{file_id}")
def file_content(
    ticket_id: PathId,
    file_id: PathId,
    requester: PortalRequester,
    session: DbSession,
    settings: AppSettings,
) -> Response:
    """A file shown to the requester, on their own ticket. Anything else, whether it exists
    (on someone else's ticket, on an internal note, not shared) or not, is 404."""
    ticket = portal.own_ticket(session, requester=requester, ticket_id=ticket_id)
    file = attachments.get_file(session, ticket=ticket, file_id=file_id, requester_view=True)
    path = attachments.checked_path(session, ticket=ticket, file=file, root=evidence_root(settings))
    return file_response(str(path), file)
