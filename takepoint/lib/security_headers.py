"""Headers every answer carries so that a browser limits what a page can do.

A page's scripts come only from Takepoint's own static files (no inline script, no eval), no
other site may frame a page (a same-site page could otherwise frame a signed-in incident and
trick a click), nothing is sniffed into another type, and a link's address, which may carry a
signed token, is never sent to another site as a referrer. Inline `style` attributes stay
allowed: the schedule bars are positioned by them, and a style cannot run code.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src-elem 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_EVERY_ANSWER = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_PAGES = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                added = list(_EVERY_ANSWER)
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    added += _PAGES
                headers += [(name, value) for name, value in added if name not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
