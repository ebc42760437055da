from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from takepoint.lib import csrf
from takepoint.lib.registry import NavEntry

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[str]:
    # Shared layout first, then each domain's own folder (domain templates live in a subfolder
    # named after the domain, so names never collide).
    dirs = [PACKAGE_DIR / "templates"]
    dirs += sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.is_dir())
    return [str(d) for d in dirs]


@jinja2.pass_context
def _localtime(ctx: jinja2.runtime.Context, moment: datetime | None, fmt: str = "long") -> str:
    if moment is None:
        return "—"
    zone = ZoneInfo(ctx.get("tz") or "UTC")
    local = moment.astimezone(zone)
    if fmt == "time":
        return local.strftime("%H:%M")
    if fmt == "date":
        return local.strftime("%a %d %b %Y")
    if fmt == "iso":
        return local.isoformat(timespec="minutes")
    return local.strftime("%a %d %b %Y %H:%M %Z")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days"


class _CompiledOnce(jinja2.BytecodeCache):
    """Compiled templates shared by every app in the process (the test suite makes hundreds),
    so each template is compiled once. A bucket carries its source's checksum: an edited
    template compiles again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledOnce()


def build_templates(*, nav: Sequence[NavEntry] = ()) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs()),
        bytecode_cache=_COMPILED,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = _localtime
    env.filters["duration"] = _duration
    env.globals["nav_entries"] = tuple(nav)
    return Jinja2Templates(env=env)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the viewer, their time zone and a CSRF token for its forms."""
    templates: Jinja2Templates = request.app.state.templates
    principal = getattr(request.state, "principal", None)
    me = principal.user if principal is not None else None
    cookie_value, is_new = csrf.cookie_value(request)
    page: dict[str, Any] = {
        "me": me,
        "tz": me.time_zone if me is not None else request.app.state.settings.default_time_zone,
        "csrf_token": csrf.token_for(request, cookie_value),
        "now": request.app.state.clock.now(),
        "flash": request.query_params.get("flash"),
    }
    page.update(context or {})
    response = templates.TemplateResponse(request, template, page, status_code=status_code)
    if is_new:
        csrf.set_cookie(request, response, cookie_value)
    return response
