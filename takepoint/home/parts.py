"""The home page."""

from __future__ import annotations

from takepoint.home import web
from takepoint.lib.registry import DomainParts

PARTS = DomainParts(name="home", routers=(web.router,))
