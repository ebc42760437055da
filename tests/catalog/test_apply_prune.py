"""What a file's absence means: nothing, unless --prune; and users are never deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Runbook, Service
from takepoint.lib.apply import ApplyRejected, apply_text
from takepoint.lib.clock import FakeClock

BOTH = """\
users:
  - email: priya@x.org
    name: Priya
  - email: lee@x.org
    name: Lee
services:
  - slug: app
    name: App
    runbooks:
      - slug: restart
        title: Restart
      - slug: reboot
        title: Reboot
  - slug: old
    name: Old thing
"""
ONE = """\
users:
  - email: priya@x.org
    name: Priya
services:
  - slug: app
    name: App
    runbooks:
      - slug: restart
        title: Restart
"""


def _apply(session: Session, clock: FakeClock, text: str, *, prune: bool = False) -> list[str]:
    plan = apply_text(session, text=text, filename="c.yaml", now=clock.now(), prune=prune)
    session.commit()
    return plan.render().splitlines()


def _slugs(session: Session) -> list[str]:
    return list(session.scalars(select(Service.slug).order_by(Service.slug)))


def test_it_keeps_what_the_file_leaves_out_without_prune(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, BOTH)
    assert _apply(session, clock, ONE) == ["No changes: Takepoint already matches c.yaml."]
    assert _slugs(session) == ["app", "old"]
    assert len(list(session.scalars(select(Runbook)))) == 2


def test_it_deletes_what_the_file_leaves_out_with_prune_but_never_users(
    session: Session, clock: FakeClock
) -> None:
    _apply(session, clock, BOTH)
    plan = _apply(session, clock, ONE, prune=True)
    assert plan == [
        "~ update service app",
        "    runbook reboot: delete",
        "- delete service old",
        "Applied: 1 to update, 1 to delete.",
    ]
    assert _slugs(session) == ["app"]
    assert list(session.scalars(select(Runbook.slug))) == ["restart"]
    assert session.scalar(select(User).where(User.email == "lee@x.org")) is not None


def test_it_prunes_only_the_sections_the_file_has(session: Session, clock: FakeClock) -> None:
    _apply(session, clock, BOTH)
    _apply(session, clock, "users:\n  - email: priya@x.org\n    name: Priya\n", prune=True)
    assert _slugs(session) == ["app", "old"]


def test_it_refuses_to_prune_a_service_that_others_still_need(
    session: Session, clock: FakeClock
) -> None:
    _apply(
        session,
        clock,
        "services:\n  - slug: txn\n    name: T\n  - slug: app\n    name: A\n"
        "    depends_on:\n      - service: txn\n",
    )
    with pytest.raises(ApplyRejected) as caught:
        apply_text(
            session,
            text="services:\n  - slug: app\n    name: A\n",
            filename="c.yaml",
            now=clock.now(),
            prune=True,
        )
    assert caught.value.message.splitlines()[0] == (
        "c.yaml:1: 'app' depends on service 'txn', which --prune would delete"
    )


def test_it_moves_a_host_to_the_service_that_now_lists_it(
    session: Session, clock: FakeClock
) -> None:
    _apply(
        session,
        clock,
        "services:\n  - slug: a\n    name: A\n    hosts:\n      - hostname: db-01\n"
        "  - slug: b\n    name: B\n",
    )
    plan = _apply(
        session,
        clock,
        "services:\n  - slug: a\n    name: A\n    hosts: []\n  - slug: b\n    name: B\n"
        "    hosts:\n      - hostname: db-01\n        role: database\n",
    )
    assert "    hosts: - db-01" in plan
    assert "    hosts: + db-01" in plan
    assert catalog.get_host(session, "db-01").service.slug == "b"


def test_it_refuses_to_remove_a_host_another_service_needs(
    session: Session, clock: FakeClock
) -> None:
    _apply(
        session,
        clock,
        "services:\n  - slug: txn\n    name: T\n    hosts:\n      - hostname: txn-01\n"
        "  - slug: app\n    name: A\n    depends_on:\n      - host: txn-01\n",
    )
    with pytest.raises(ApplyRejected) as caught:
        apply_text(
            session,
            text="services:\n  - slug: txn\n    name: T\n    hosts: []\n",
            filename="c.yaml",
            now=clock.now(),
        )
    assert caught.value.message.splitlines()[0] == (
        "c.yaml:4: host 'txn-01' would be removed, but 'app' depends on it"
    )
