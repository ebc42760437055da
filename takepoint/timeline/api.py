"""Verifying the record, and exporting signed daily digests of the chain heads (admins)."""

from __future__ import annotations

import time
from datetime import date, timedelta

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from starlette.responses import Response

from takepoint.accounts.auth import Admin
from takepoint.lib import csrf
from takepoint.lib.context import context_of
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.timeline.chain import verify_all
from takepoint.timeline.digest import daily_digests, signed_line

router = APIRouter(prefix="/api/v1", tags=["timeline"], dependencies=[Depends(csrf.protect)])


class BreakOut(BaseModel):
    chain: str
    seq: int
    entry_id: int | None
    problem: str


class VerifyOut(BaseModel):
    intact: bool
    chains: int
    seconds: float
    breaks: list[BreakOut]


@router.get("/timeline/verify", response_model=VerifyOut)
def verify(principal: Admin, session: DbSession) -> VerifyOut:
    """Recompute every hash chain; the first broken link of each chain that has one."""
    started = time.perf_counter()
    chains, breaks = verify_all(session)
    return VerifyOut(
        intact=not breaks,
        chains=chains,
        seconds=round(time.perf_counter() - started, 3),
        breaks=[BreakOut(**b.__dict__) for b in breaks],
    )


# One line per day: a `since` centuries back would keep the request computing for minutes.
MAX_DIGEST_DAYS = 3660


def digest_range(since: date | None, through: date | None, today: date) -> tuple[date | None, date]:
    last = through or today - timedelta(days=1)
    if last >= today:
        raise InvalidInput("digests cover whole days: choose a day before today", field="through")
    if since is not None and since > last:
        raise InvalidInput("since is after through", field="since")
    if since is not None and (last - since).days >= MAX_DIGEST_DAYS:
        raise InvalidInput(
            f"at most {MAX_DIGEST_DAYS} days of digests at a time; choose a later since",
            field="since",
        )
    return since, last


@router.get(
    "/timeline/digests",
    responses={
        200: {
            "description": "One signed JSON line per day.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
def digests(
    principal: Admin,
    session: DbSession,
    now: Now,
    since: date | None = None,
    through: date | None = None,
) -> Response:
    """Signed daily digests of the chain heads, one JSON line per day (application/x-ndjson).
    Keep them where the database's administrators cannot write; see docs/timeline.md."""
    first, last = digest_range(since, through, now.date())
    key = context_of(session).secret_key
    lines = [signed_line(d, key) for d in daily_digests(session, since=first, through=last)]
    return Response(
        "".join(line + "\n" for line in lines),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="takepoint-digests.jsonl"'},
    )
