"""CSRF protection for cookie-authenticated requests.

A random value lives in an HttpOnly cookie; forms carry an HMAC of it keyed by the server secret.
A forged cross-site form cannot read the cookie, so it cannot compute the token. Requests that
carry an Authorization header are exempt: a browser never attaches that header by itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

from takepoint.lib.errors import CsrfFailed

COOKIE = "tp_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
SESSION_COOKIE = "tp_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_value(request: Request) -> tuple[str, bool]:
    existing = request.cookies.get(COOKIE) or getattr(request.state, "csrf_cookie", None)
    if existing:
        return existing, False
    value = secrets.token_urlsafe(24)
    request.state.csrf_cookie = value
    return value, True


def token_for(request: Request, value: str) -> str:
    key = request.app.state.secret_key.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def set_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )


async def verify(request: Request) -> None:
    cookie = request.cookies.get(COOKIE)
    sent = request.headers.get(HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not hmac.compare_digest(sent, token_for(request, cookie)):
        raise CsrfFailed()


async def protect(request: Request) -> None:
    """Router dependency: checks unsafe requests that ride on the session cookie."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return
    if request.cookies.get(SESSION_COOKIE):
        await verify(request)
