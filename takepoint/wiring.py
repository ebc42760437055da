"""The composition root: which domains make up Takepoint, in order.

To add a domain, create its folder with `models.py`, `service.py`, `api.py`, `web.py`,
`templates/<domain>/` and a `parts.py` that exports `PARTS = DomainParts(...)`, then add one
line below. The order is the order of everything the domains contribute (see lib/registry.py):
a domain's apply sections may refer to those of the domains above it, and its demo loader may
use what theirs made.
"""

from __future__ import annotations

from functools import cache

from takepoint.accounts import parts as accounts
from takepoint.catalog import parts as catalog
from takepoint.desk import parts as desk
from takepoint.engine import parts as engine
from takepoint.home import parts as home
from takepoint.incidents import parts as incidents
from takepoint.lib.registry import DomainParts, Registry
from takepoint.mail import parts as mail
from takepoint.notify import parts as notify
from takepoint.oncall import parts as oncall
from takepoint.ops import parts as ops
from takepoint.reviews import parts as reviews
from takepoint.signals import parts as signals
from takepoint.timeline import parts as timeline

DOMAINS: tuple[DomainParts, ...] = (
    accounts.PARTS,
    catalog.PARTS,
    timeline.PARTS,
    oncall.PARTS,
    signals.PARTS,
    notify.PARTS,
    incidents.PARTS,
    reviews.PARTS,
    engine.PARTS,
    desk.PARTS,
    mail.PARTS,
    ops.PARTS,
    home.PARTS,
)


@cache
def build_registry() -> Registry:
    """Takepoint's registry, built once per process."""
    return Registry(DOMAINS)
