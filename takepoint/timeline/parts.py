"""What the timeline contributes: the record's integrity page and API."""

from __future__ import annotations

from takepoint.lib.registry import DomainParts
from takepoint.timeline import api, web

PARTS = DomainParts(name="timeline", routers=(api.router, web.router))
