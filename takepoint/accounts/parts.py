"""What accounts contribute: sign-in pages and the API, the users and teams sections, the
demo's people."""

from __future__ import annotations

from takepoint.accounts import api, web
from takepoint.accounts.apply import TEAMS, USERS
from takepoint.accounts.demo import load_demo_people
from takepoint.lib.registry import DomainParts

PARTS = DomainParts(
    name="accounts",
    routers=(api.router, web.router),
    apply_sections=(USERS, TEAMS),
    demo=load_demo_people,
)
