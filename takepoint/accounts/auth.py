"""Who is asking: a signed-in browser or an API token, and what their role lets them do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from takepoint.accounts import service
from takepoint.accounts.models import ApiToken, Role, TokenScope, User
from takepoint.lib.csrf import SAFE_METHODS, SESSION_COOKIE
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import NotAuthenticated, PermissionDenied


@dataclass(frozen=True)
class Principal:
    user: User
    token: ApiToken | None = None

    @property
    def can_write(self) -> bool:
        return self.token is None or self.token.scope is TokenScope.WRITE


def identify(request: Request, session: DbSession, now: Now) -> Principal | None:
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        token = service.token_principal(
            session, secret=secret.strip(), now=now, touch=not session.info.get("read_only")
        )
        if token is None:
            raise NotAuthenticated("that API token is unknown or revoked")
        principal = Principal(user=token.user, token=token)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user = service.user_for_session(session, token=cookie, now=now)
        principal = Principal(user=user) if user is not None else None
    request.state.principal = principal
    return principal


def requires(role: Role) -> Callable[..., Principal]:
    def dependency(
        request: Request, principal: Annotated[Principal | None, Depends(identify)]
    ) -> Principal:
        if principal is None:
            raise NotAuthenticated()
        if request.method not in SAFE_METHODS and not principal.can_write:
            raise PermissionDenied("this API token is read-only; create a write token")
        if not principal.user.role.allows(role):
            raise PermissionDenied(
                f"this needs the {role.value} role; {principal.user.email} is a "
                f"{principal.user.role.value}"
            )
        return principal

    dependency.required_role = role  # type: ignore[attr-defined]
    return dependency


Viewer = Annotated[Principal, Depends(requires(Role.VIEWER))]
Responder = Annotated[Principal, Depends(requires(Role.RESPONDER))]
Admin = Annotated[Principal, Depends(requires(Role.ADMIN))]
MaybePrincipal = Annotated[Principal | None, Depends(identify)]
