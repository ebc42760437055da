"""Reviews over the API: start, edit, lint, move through states, publish."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from takepoint.accounts.auth import Responder, Viewer
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.reviews import service as reviews
from takepoint.reviews.lint import Finding, Linter
from takepoint.reviews.models import ReviewState
from takepoint.reviews.schemas import (
    FindingOut,
    LintIn,
    LintOut,
    PublicationOut,
    PublishIn,
    ReviewLintOut,
    ReviewOut,
    ReviewUpdate,
    StateIn,
)

router = APIRouter(prefix="/api/v1", tags=["reviews"], dependencies=[Depends(csrf.protect)])


def _findings(found: list[Finding]) -> list[FindingOut]:
    return [FindingOut.model_validate(f.as_dict()) for f in found]


@router.get("/reviews", response_model=list[ReviewOut])
def list_reviews(
    principal: Viewer, session: DbSession, state: ReviewState | None = None
) -> list[ReviewOut]:
    return [ReviewOut.model_validate(r) for r in reviews.list_reviews(session, state=state)]


@router.post("/incidents/{incident_id}/review", response_model=ReviewOut, status_code=201)
def start_review(incident_id: int, principal: Responder, session: DbSession, now: Now) -> ReviewOut:
    """Start the incident's review, seeded from its report (409 if it has one)."""
    review = reviews.start_review_by_id(
        session, incident_id=incident_id, user=principal.user, now=now
    )
    return ReviewOut.model_validate(review)


@router.get("/reviews/{review_id}", response_model=ReviewOut)
def read_review(review_id: int, principal: Viewer, session: DbSession) -> ReviewOut:
    return ReviewOut.model_validate(reviews.get_review(session, review_id))


@router.patch("/reviews/{review_id}", response_model=ReviewOut)
def update_review(
    review_id: int, body: ReviewUpdate, principal: Responder, session: DbSession, now: Now
) -> ReviewOut:
    review = reviews.update_review(
        session,
        review=reviews.get_review(session, review_id),
        user=principal.user,
        sections=body.model_dump(exclude_none=True),
        now=now,
    )
    return ReviewOut.model_validate(review)


@router.post("/reviews/{review_id}/state", response_model=ReviewOut)
def change_state(
    review_id: int, body: StateIn, principal: Responder, session: DbSession, now: Now
) -> ReviewOut:
    """Draft → in review → reviewed → closed; one step back while it is open."""
    review = reviews.change_state(
        session,
        review=reviews.get_review(session, review_id),
        user=principal.user,
        state=body.state,
        now=now,
    )
    return ReviewOut.model_validate(review)


@router.get("/reviews/{review_id}/lint", response_model=ReviewLintOut)
def lint_review(review_id: int, principal: Viewer, session: DbSession) -> ReviewLintOut:
    review = reviews.get_review(session, review_id)
    found = reviews.lint_sections(reviews.sections_of(review), names=reviews.people_names(session))
    return ReviewLintOut(sections={key: _findings(items) for key, items in found.items()})


@router.post("/lint", response_model=LintOut)
def lint_text(body: LintIn, principal: Viewer, session: DbSession) -> LintOut:
    """The blame-language lint over any text (people's names in Takepoint are watched for)."""
    return LintOut(findings=_findings(Linter(reviews.people_names(session)).lint(body.text)))


@router.post("/reviews/{review_id}/publications", response_model=PublicationOut, status_code=201)
def publish(
    review_id: int, body: PublishIn, principal: Responder, session: DbSession, now: Now
) -> PublicationOut:
    """Publish to the team (names kept) or the organisation (names replaced by roles: an admin
    or the point person). 422 with field "lint" while blame-language findings remain and no
    override_reason is given."""
    publication = reviews.publish(
        session,
        review_id=review_id,
        user=principal.user,
        audience=body.audience,
        now=now,
        override_reason=body.override_reason,
    )
    return PublicationOut.model_validate(publication)


@router.get("/reviews/{review_id}/publications", response_model=list[PublicationOut])
def list_publications(
    review_id: int, principal: Viewer, session: DbSession
) -> list[PublicationOut]:
    review = reviews.get_review(session, review_id)
    return [
        PublicationOut.model_validate(p) for p in reviews.list_publications(session, review=review)
    ]


@router.get("/reviews/{review_id}/publications/{publication_id}", response_model=PublicationOut)
def read_publication(
    review_id: int, publication_id: int, principal: Viewer, session: DbSession
) -> PublicationOut:
    review = reviews.get_review(session, review_id)
    return PublicationOut.model_validate(
        reviews.get_publication(session, review=review, publication_id=publication_id)
    )
