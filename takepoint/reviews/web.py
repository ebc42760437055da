"""Review pages: start one from an incident, write it with the lint alongside, move it through
its states, publish it to the team or the organisation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Principal, Responder, Viewer
from takepoint.accounts.models import Role
from takepoint.accounts.service import list_users
from takepoint.catalog.markdown import render_markdown
from takepoint.incidents import service as incidents
from takepoint.incidents.improvements import involved
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.templating import render
from takepoint.oncall.web import people_first
from takepoint.reviews import actions
from takepoint.reviews import service as reviews
from takepoint.reviews.models import Audience, Review, ReviewState
from takepoint.reviews.sharing import may_share_widely

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

NEXT_STEP = {
    (ReviewState.DRAFT, ReviewState.IN_REVIEW): "Send for review",
    (ReviewState.IN_REVIEW, ReviewState.DRAFT): "Back to draft",
    (ReviewState.IN_REVIEW, ReviewState.REVIEWED): "Mark reviewed",
    (ReviewState.REVIEWED, ReviewState.IN_REVIEW): "Reopen for edits",
    (ReviewState.REVIEWED, ReviewState.CLOSED): "Close the review",
}


def _to(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(message)}", status_code=303)


async def posted_sections(request: Request) -> dict[str, str]:
    """The review sections a form sent (only those it sent)."""
    form = await request.form()
    found = {}
    for key in reviews.SECTION_KEYS:
        value = form.get(key)
        if isinstance(value, str):
            found[key] = value
    return found


Sections = Annotated[dict[str, str], Depends(posted_sections)]


def _page_context(
    session: Session, review: Review, principal: Principal, now: datetime
) -> dict[str, Any]:
    user = principal.user
    incident = review.incident
    text = reviews.sections_of(review)
    services, _ = involved(session, incident)
    can_write = user.role.allows(Role.RESPONDER)
    items = actions.list_actions(
        session, actions.ActionFilter(open_only=False, incident_id=incident.id)
    )
    return {
        "review": review,
        "incident": incident,
        "sections": reviews.SECTIONS,
        "text": text,
        "html": {key: render_markdown(value) for key, value in text.items()},
        "findings": reviews.lint_sections(text, names=reviews.people_names(session)),
        "labels": {key: label for key, label, _ in reviews.SECTIONS},
        "editable": can_write and review.state in reviews.EDITABLE,
        "can_write": can_write,
        "next_steps": [
            (state, NEXT_STEP[(review.state, state)])
            for state in sorted(reviews.TRANSITIONS[review.state], key=list(ReviewState).index)
        ]
        if can_write
        else [],
        "audiences": [
            a
            for a in Audience
            if review.state in reviews.PUBLISHABLE[a]
            and (a is Audience.TEAM or may_share_widely(incident, user))
        ]
        if can_write
        else [],
        "publications": reviews.list_publications(session, review=review),
        "actions": items,
        "overdue": {item.id for item in items if actions.is_overdue(item, now)},
        "owners": people_first(
            session,
            [u for u in list_users(session) if u.is_active and u.role.allows(Role.RESPONDER)],
            team=incident.service.team,
            now=now,
        ),
        "services": services,
    }


@router.get("/reviews")
def review_list(
    request: Request, principal: Viewer, session: DbSession, state: ReviewState | None = None
) -> Response:
    return render(
        request,
        "reviews/list.html",
        {
            "reviews": reviews.list_reviews(session, state=state),
            "state": state,
            "states": list(ReviewState),
        },
    )


@router.get("/incidents/{incident_id}/review")
def incident_review(
    request: Request, incident_id: int, principal: Viewer, session: DbSession
) -> Response:
    incident = incidents.get_incident(session, incident_id)
    review = reviews.review_for(session, incident)
    if review is not None:
        return RedirectResponse(f"/reviews/{review.id}", status_code=303)
    return render(
        request,
        "reviews/start.html",
        {"incident": incident, "can_write": principal.user.role.allows(Role.RESPONDER)},
    )


@router.post("/incidents/{incident_id}/review")
def start_review(incident_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    review = reviews.start_review_by_id(
        session, incident_id=incident_id, user=principal.user, now=now
    )
    return _to(f"/reviews/{review.id}", "Review started from the incident report: a draft.")


@router.get("/reviews/{review_id}")
def review_page(
    request: Request, review_id: int, principal: Viewer, session: DbSession, now: Now
) -> Response:
    review = reviews.get_review(session, review_id)
    return render(request, "reviews/review.html", _page_context(session, review, principal, now))


@router.post("/reviews/{review_id}")
def save_review(
    review_id: int, principal: Responder, session: DbSession, now: Now, sections: Sections
) -> Response:
    review = reviews.get_review(session, review_id)
    reviews.update_review(session, review=review, user=principal.user, sections=sections, now=now)
    found = reviews.lint_sections(reviews.sections_of(review), names=reviews.people_names(session))
    count = sum(len(f) for f in found.values())
    note = f" The lint has {count} finding(s) to look at." if count else ""
    return _to(f"/reviews/{review.id}", f"Review saved.{note}")


@router.post("/reviews/{review_id}/lint")
def lint_review(
    request: Request, review_id: int, principal: Responder, session: DbSession, sections: Sections
) -> Response:
    """The lint's findings for the text being edited (htmx swaps them into the page)."""
    review = reviews.get_review(session, review_id)
    text = {**reviews.sections_of(review), **sections}
    return render(
        request,
        "reviews/_lint.html",
        {
            "findings": reviews.lint_sections(text, names=reviews.people_names(session)),
            "labels": {key: label for key, label, _ in reviews.SECTIONS},
        },
    )


@router.post("/reviews/{review_id}/state")
def change_state(
    review_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    state: Annotated[ReviewState, Form()],
) -> Response:
    review = reviews.get_review(session, review_id)
    reviews.change_state(session, review=review, user=principal.user, state=state, now=now)
    return _to(f"/reviews/{review.id}", f"The review is now {review.state.label}.")


@router.post("/reviews/{review_id}/publish")
def publish(
    review_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    audience: Annotated[Audience, Form()],
    override_reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    publication = reviews.publish(
        session,
        review_id=review_id,
        user=principal.user,
        audience=audience,
        now=now,
        override_reason=override_reason,
    )
    return _to(
        f"/reviews/{review_id}/publications/{publication.id}",
        f"Published to the {audience.value}; the publication is in the incident's timeline.",
    )


# Before the page route: "3.md" would otherwise be taken for a publication id.
@router.get("/reviews/{review_id}/publications/{publication_id}.md")
def publication_markdown(
    review_id: int, publication_id: int, principal: Viewer, session: DbSession
) -> Response:
    review = reviews.get_review(session, review_id)
    publication = reviews.get_publication(session, review=review, publication_id=publication_id)
    name = f"review-{review.incident_id}-{publication.audience.value}-{publication.id}.md"
    return Response(
        publication.markdown,
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/reviews/{review_id}/publications/{publication_id}")
def publication_page(
    request: Request, review_id: int, publication_id: int, principal: Viewer, session: DbSession
) -> Response:
    review = reviews.get_review(session, review_id)
    publication = reviews.get_publication(session, review=review, publication_id=publication_id)
    return render(
        request,
        "reviews/publication.html",
        {
            "review": review,
            "publication": publication,
            "body": render_markdown(publication.markdown),
        },
    )
