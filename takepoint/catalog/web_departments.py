"""Department pages: who uses what, whom to call, and when not to disrupt them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from takepoint.accounts.auth import Admin, Viewer
from takepoint.accounts.models import Role
from takepoint.catalog import service as catalog
from takepoint.catalog.pages import PAGE_DEPENDENCIES, back
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=PAGE_DEPENDENCIES)


@router.get("/departments")
def list_departments(request: Request, principal: Viewer, session: DbSession) -> Response:
    return render(
        request,
        "catalog/departments.html",
        {
            "departments": catalog.list_departments(session),
            "can_edit": principal.user.role is Role.ADMIN,
        },
    )


@router.post("/departments")
def create_department(
    principal: Admin,
    session: DbSession,
    now: Now,
    slug: Annotated[str, Form(max_length=100)],
    name: Annotated[str, Form(max_length=200)],
    do_not_disrupt: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    department = catalog.create_department(
        session, slug=slug, name=name, do_not_disrupt=do_not_disrupt, now=now
    )
    return back(f"/departments/{department.slug}", f"Added {department.name}.")


@router.get("/departments/{slug}")
def department_page(request: Request, slug: str, principal: Viewer, session: DbSession) -> Response:
    department = catalog.get_department(session, slug)
    return render(
        request,
        "catalog/department.html",
        {
            "department": department,
            "services": catalog.services_using(session, department=department),
            "runbooks": catalog.runbooks_needing(session, department=department),
            "can_edit": principal.user.role is Role.ADMIN,
        },
    )


@router.post("/departments/{slug}/edit")
def edit_department(
    slug: str,
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=200)],
    do_not_disrupt: Annotated[str, Form(max_length=2000)] = "",
    notes: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    department = catalog.get_department(session, slug)
    catalog.update_department(
        session,
        department=department,
        name=name,
        do_not_disrupt=do_not_disrupt,
        notes=notes,
        now=now,
    )
    return back(f"/departments/{slug}", "Saved.")


@router.post("/departments/{slug}/contacts")
def add_contact(
    slug: str,
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    hours: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    department = catalog.get_department(session, slug)
    contact = catalog.ContactInput(name=name, role=role, phone=phone, email=email, hours=hours)
    catalog.add_contact(session, department=department, contact=contact, now=now)
    return back(f"/departments/{slug}", f"Added contact {name}.")


@router.post("/departments/{slug}/contacts/{contact_id}/delete")
def remove_contact(
    slug: str, contact_id: int, principal: Admin, session: DbSession, now: Now
) -> Response:
    catalog.remove_contact(session, contact=catalog.get_contact(session, contact_id), now=now)
    return back(f"/departments/{slug}", "Contact removed.")


@router.post("/departments/{slug}/delete")
def delete_department(slug: str, principal: Admin, session: DbSession) -> Response:
    department = catalog.get_department(session, slug)
    catalog.delete_department(session, department=department)
    return back("/departments", f"Deleted {department.name}.")
