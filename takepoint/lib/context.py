"""What requests and engine jobs need beyond the database, typed and checked at start.

A unit of work (a request, an engine job, a CLI command) is bound to one `Context` before any
service runs; a service reads it with `context_of(session)`. A session without one is a
programming error and fails loudly, never a page silently sent without its links.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy.orm import Session

from takepoint.lib.clock import Clock
from takepoint.lib.registry import Registry
from takepoint.lib.settings import Settings

_KEY = "takepoint.context"


class MissingContext(RuntimeError):
    def __init__(self, what: str = "this session") -> None:
        super().__init__(f"{what} has no Takepoint context: bind one with lib.context.bind()")


@dataclass(frozen=True)
class Context:
    settings: Settings
    registry: Registry
    clock: Clock
    # The key that signs links, cookies and digests; read (or made) once, when the app starts.
    secret_key: str
    # Set for engine jobs: the worker that holds the claims this unit of work takes.
    worker: str | None = None

    @classmethod
    def build(cls, settings: Settings, registry: Registry, clock: Clock) -> Context:
        secret = settings.resolved_secret_key()
        if not secret:
            raise ValueError("the secret key is empty; set TAKEPOINT_SECRET_KEY")
        return cls(settings=settings, registry=registry, clock=clock, secret_key=secret)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def for_worker(self, worker: str) -> Context:
        return dataclasses.replace(self, worker=worker)

    @property
    def engine_worker(self) -> str:
        if self.worker is None:
            raise MissingContext("this unit of work is not an engine job, so it")
        return self.worker


def bind(session: Session, context: Context) -> Session:
    session.info[_KEY] = context
    return session


def context_of(session: Session) -> Context:
    context = session.info.get(_KEY)
    if not isinstance(context, Context):
        raise MissingContext()
    return context
