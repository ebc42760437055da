"""A small, realistic demo organisation: a hospital IT team of four.

Each domain contributes its part as a demo loader (DomainParts.demo); they run in the
registry's order, so the demo always shows everything that works.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.accounts.demo import demo_loaded
from takepoint.lib.context import context_of
from takepoint.lib.registry import Demo


def load_demo(session: Session, *, now: datetime) -> bool:
    """Load the demo organisation once; returns False when it is already there. Its evidence
    files go in the data folder."""
    if demo_loaded(session):
        return False
    context = context_of(session)
    demo = Demo(now=now, data_dir=context.settings.data_dir)
    for loader in context.registry.demo_loaders:
        loader(session, demo)
    return True
