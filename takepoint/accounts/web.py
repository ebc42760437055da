from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.responses import RedirectResponse, Response

from takepoint.accounts import service
from takepoint.accounts.auth import Admin, MaybePrincipal, Principal, Viewer
from takepoint.accounts.models import Role, TokenScope
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.errors import InvalidInput, NotAuthenticated, TakepointError
from takepoint.lib.numbers import is_digits
from takepoint.lib.secrets import verify_password
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])
_ZONES = sorted(available_timezones())
# A browser someone signed in with: while a stranger runs up failed sign-ins against them, it
# can still sign in (see service.authenticate). It names a user and proves nothing else.
DEVICE_COOKIE = "tp_device"
DEVICE_DAYS = 365
_DEVICE_SALT = "takepoint.known-device"


def _known_device(request: Request) -> int | None:
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    signer = URLSafeTimedSerializer(request.app.state.secret_key, salt=_DEVICE_SALT)
    try:
        user_id = signer.loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return None
    return user_id if isinstance(user_id, int) else None


def _safe_next(target: str) -> str:
    # Only same-site paths: an open redirect after sign-in is a phishing tool.
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(message)}", status_code=303)


@router.get("/login")
def login_page(request: Request, principal: MaybePrincipal, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request, "accounts/login.html", {"next": _safe_next(next), "error": None, "email": ""}
    )


@router.post("/login")
async def login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    await csrf.verify(request)  # login CSRF: no session cookie exists yet, so check always
    policy = service.LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
    )
    try:
        user = service.authenticate(
            session,
            email=email,
            password=password,
            remote_addr=request.client.host if request.client else "",
            policy=policy,
            now=now,
            known_device_of=_known_device(request),
        )
    except NotAuthenticated as exc:
        # The failed attempt must be recorded even though the sign-in is refused.
        session.commit()
        return render(
            request,
            "accounts/login.html",
            {"next": _safe_next(next), "error": exc.message, "email": email},
            status_code=401,
        )
    token = service.start_session(
        session,
        user=user,
        lifetime=timedelta(days=settings.session_days),
        user_agent=request.headers.get("user-agent", ""),
        now=now,
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        csrf.SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    response.set_cookie(
        DEVICE_COOKIE,
        URLSafeTimedSerializer(request.app.state.secret_key, salt=_DEVICE_SALT).dumps(user.id),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/login",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, now: Now) -> Response:
    cookie = request.cookies.get(csrf.SESSION_COOKIE)
    if cookie:
        service.end_session(session, token=cookie, now=now)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(csrf.SESSION_COOKIE, path="/")
    return response


# What each scope lets a token do, by its owner's role: a token never does more than its owner
# may, so a viewer's write token reaches only their own things, and the page says so.
_VIEWER_WRITES = "your profile, notifications, subscriptions and calendar feeds only"
_SCOPE_LABELS = {
    TokenScope.READ: "read: looks, changes nothing",
    TokenScope.WRITE: "write: everything your role can do",
}


def _scope_choices(role: Role) -> list[tuple[str, str]]:
    labels = dict(_SCOPE_LABELS)
    if not role.allows(Role.RESPONDER):
        labels[TokenScope.WRITE] = f"write: {_VIEWER_WRITES}"
    return [(scope.value, label) for scope, label in labels.items()]


def _profile(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    new_token: str | None = None,
    error: TakepointError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "accounts/me.html",
        {
            "tokens": service.list_api_tokens(session, user=principal.user),
            "zones": _ZONES,
            "new_token": new_token,
            "scopes": _scope_choices(principal.user.role),
            "error": error,
            "form": form or {},
        },
        status_code=error.status_code if error else 200,
    )


@router.get("/me")
def me_page(request: Request, principal: Viewer, session: DbSession) -> Response:
    return _profile(request, session, principal)


@router.post("/me")
def update_me(
    principal: Viewer,
    session: DbSession,
    display_name: Annotated[str, Form(max_length=200)],
    time_zone: Annotated[str, Form(max_length=64)],
) -> Response:
    service.update_user(
        session, user=principal.user, display_name=display_name, time_zone=time_zone
    )
    return _back("/me", "Profile saved.")


@router.post("/me/password")
def change_password(
    request: Request,
    principal: Viewer,
    session: DbSession,
    current: Annotated[str, Form(max_length=200)],
    new: Annotated[str, Form(max_length=200)],
) -> Response:
    if not verify_password(principal.user.password_hash, current):
        raise InvalidInput("the current password is wrong", field="current")
    service.set_password(session, user=principal.user, password=new)
    response = RedirectResponse("/login?flash=Password+changed%3B+sign+in+again.", status_code=303)
    response.delete_cookie(csrf.SESSION_COOKIE, path="/")
    return response


@router.post("/me/tokens")
def create_token(
    request: Request,
    principal: Viewer,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=100)],
    scope: Annotated[TokenScope, Form()],
) -> Response:
    try:
        _, secret = service.create_api_token(
            session, user=principal.user, name=name, scope=scope, now=now
        )
    except InvalidInput as exc:
        # The form again, with the problem next to its field and what was typed kept.
        form = {"name": name, "scope": scope.value}
        return _profile(request, session, principal, error=exc, form=form)
    return _profile(request, session, principal, new_token=secret)


@router.post("/me/tokens/{token_id}/revoke")
def revoke_token(token_id: int, principal: Viewer, session: DbSession, now: Now) -> Response:
    service.revoke_api_token(session, user=principal.user, token_id=token_id, now=now)
    return _back("/me", "Token revoked.")


@router.get("/admin/users")
def admin_users(request: Request, principal: Admin, session: DbSession) -> Response:
    return render(
        request,
        "accounts/admin_users.html",
        {"users": service.list_users(session), "roles": list(Role)},
    )


@router.post("/admin/users")
def admin_create_user(
    principal: Admin,
    session: DbSession,
    now: Now,
    display_name: Annotated[str, Form(max_length=200)],
    email: Annotated[str, Form(max_length=254)],
    time_zone: Annotated[str, Form(max_length=64)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    user = service.create_user(
        session,
        email=email,
        display_name=display_name,
        time_zone=time_zone,
        role=role,
        password=password,
        now=now,
    )
    return _back("/admin/users", f"Added {user.display_name}.")


@router.post("/admin/users/{user_id}")
def admin_update_user(
    user_id: int,
    principal: Admin,
    session: DbSession,
    role: Annotated[Role, Form()],
    is_active: Annotated[bool, Form()] = True,
) -> Response:
    user = service.get_user(session, user_id)
    service.update_user(session, user=user, role=role, is_active=is_active)
    return _back("/admin/users", f"{user.display_name} is now {role.value}.")


@router.get("/admin/teams")
def admin_teams(request: Request, principal: Admin, session: DbSession) -> Response:
    return render(
        request,
        "accounts/admin_teams.html",
        {"teams": service.list_teams(session), "users": service.list_users(session)},
    )


@router.post("/admin/teams")
def admin_create_team(
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=200)],
    lead_id: Annotated[str, Form()] = "",
) -> Response:
    lead = service.get_user(session, int(lead_id)) if is_digits(lead_id) else None
    team = service.create_team(session, name=name, lead=lead, now=now)
    return _back("/admin/teams", f"Added team {team.name}.")


@router.post("/admin/teams/{team_id}")
def admin_update_team(
    team_id: int,
    principal: Admin,
    session: DbSession,
    user_id: Annotated[int, Form()],
    action: Annotated[str, Form(pattern="^(add|lead)$")],
) -> Response:
    team = service.get_team(session, team_id)
    user = service.get_user(session, user_id)
    if action == "lead":
        service.set_team_lead(session, team=team, lead=user)
    else:
        service.add_team_member(session, team=team, user=user)
    return _back("/admin/teams", f"Updated {team.name}.")


@router.post("/admin/teams/{team_id}/members/{user_id}/remove")
def admin_remove_member(
    team_id: int, user_id: int, principal: Admin, session: DbSession
) -> Response:
    team = service.get_team(session, team_id)
    service.remove_team_member(session, team=team, user=service.get_user(session, user_id))
    return _back("/admin/teams", f"Updated {team.name}.")
