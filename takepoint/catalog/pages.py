"""Shared pieces of the catalog's web pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends
from starlette.responses import RedirectResponse

from takepoint.lib import csrf

# Every catalog page router checks CSRF on forms.
PAGE_DEPENDENCIES = [Depends(csrf.protect)]


def back(path: str, message: str) -> RedirectResponse:
    """Redirect after a form, with a message the next page shows."""
    return RedirectResponse(f"{path}?flash={quote(message)}", status_code=303)
