"""The requester portal: sign in with an emailed link, open tickets, read IT's replies, answer.

Every page here is for a requester, never for staff: the pages render with no staff user (even
if the browser also holds a staff session) and read only public messages. Every POST checks
the CSRF token, whoever sends it: the portal's cookie is not the staff session cookie that
`csrf.protect` looks for, and the link form is used before anyone is signed in.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from takepoint.desk import portal
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Requester
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.templating import render

SIGNED_OUT = "/portal"


async def _protect(request: Request) -> None:
    if request.method not in csrf.SAFE_METHODS:
        await csrf.verify(request)


router = APIRouter(include_in_schema=False, dependencies=[Depends(_protect)])


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


@router.get("/portal/tickets/new")
def new_ticket_page(request: Request, requester: PortalRequester) -> Response:
    return _page(request, "portal_new.html", {}, requester=requester)


@router.post("/portal/tickets/new")
def new_ticket(
    requester: PortalRequester,
    session: DbSession,
    now: Now,
    title: Annotated[str, Form(max_length=desk.MAX_TITLE)],
    description: Annotated[str, Form(max_length=desk.MAX_BODY)] = "",
) -> Response:
    ticket = desk.open_ticket(
        session,
        requester_id=requester.id,
        title=title,
        description=description,
        channel=Channel.WEB,
        now=now,
    )
    return _to(f"/portal/tickets/{ticket.id}", f"Ticket #{ticket.id} sent to IT.")


@router.get("/portal/tickets/{ticket_id}")
def ticket_page(
    request: Request, ticket_id: int, requester: PortalRequester, session: DbSession
) -> Response:
    ticket = portal.own_ticket(session, requester=requester, ticket_id=ticket_id)
    # Public replies only: an internal note never reaches a requester's page.
    conversation = desk.messages(session, ticket=ticket, public_only=True)
    return _page(
        request,
        "portal_ticket.html",
        {"ticket": ticket, "conversation": conversation},
        requester=requester,
    )


@router.post("/portal/tickets/{ticket_id}/messages")
def reply(
    ticket_id: int,
    requester: PortalRequester,
    session: DbSession,
    now: Now,
    body: Annotated[str, Form(max_length=desk.MAX_BODY)],
) -> Response:
    ticket = portal.own_ticket(session, requester=requester, ticket_id=ticket_id)
    got = desk.requester_reply(
        session, ticket_id=ticket.id, requester_id=requester.id, body=body, now=now
    )
    if got.id != ticket.id:
        return _to(
            f"/portal/tickets/{got.id}",
            f"Ticket #{ticket.id} was closed, so your message opened a new ticket, #{got.id}.",
        )
    return _to(f"/portal/tickets/{ticket.id}", "Message sent to IT.")
