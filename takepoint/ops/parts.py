"""What operations contribute: health and metrics."""

from __future__ import annotations

from takepoint.lib.registry import DomainParts
from takepoint.ops import api

PARTS = DomainParts(name="ops", routers=(api.router,))
