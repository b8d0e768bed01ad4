"""Personal data on the desk, as ``intake purge`` and ``intake person find|erase`` do it: the same
functions (:mod:`intake.secretariat.privacy`), audited under the signed-in account.

Both begin with the dry run — what is past retention now, every record that holds a person's data —
shown on a page (nothing changes); applying it is a POST that needs its confirmation box ticked,
and the erasure the same address and name that were looked up (what was shown is what goes). A
person's address and name travel in POST bodies only, never in an address the access log keeps.
A message that could not be processed is put through the pipeline again from the quarantine tab,
as ``intake reprocess`` does.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.db.tables import utcnow
from intake.desk.base import Desk, action, flash, page, text_of
from intake.runner.quarantine import reprocess
from intake.secretariat.labels import desk_page_text
from intake.secretariat.privacy.erasure import erase_everywhere
from intake.secretariat.privacy.matching import Terms
from intake.secretariat.privacy.person import find
from intake.secretariat.privacy.retention import apply_retention, due

PAGE = "/privacy"


@page
def privacy_page(request: Request, desk: Desk, user: str) -> Response:
    return _page(request, desk, None)


@action(after=PAGE)
def find_person(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """``intake person find``: the records holding the person's data (changes nothing)."""
    person = _person(form)
    if not person:
        flash(request, desk.page_text("erase_no_terms"), "error")
        return RedirectResponse(PAGE, status_code=303)
    return _page(request, desk, person)


def _page(request: Request, desk: Desk, person: dict[str, str] | None) -> Response:
    terms = list(person.values()) if person else []
    with desk.reading() as session:
        plan = due(session, desk.config, utcnow()).as_dict()
        hits = [h.as_dict() for h in find(session, desk.config, Terms(terms))] if terms else None
    places = {h["place"]: _place(h["place"], desk) for h in hits or ()}
    return desk.render(request, "privacy.html", plan=plan, person=person or {}, hits=hits, places=places)


@action(after=PAGE)
def purge(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """``intake purge --apply``, once the box saying it cannot be undone is ticked."""
    if text_of(form.get("confirm")) != "1":
        flash(request, desk.page_text("purge_unconfirmed"), "error")
        return RedirectResponse(PAGE, status_code=303)
    plan = apply_retention(desk.engine, desk.config, by=user)
    if not (plan.cases or plan.people):
        flash(request, desk.page_text("purge_nothing"))
    else:
        said = desk.page_text(
            "purged", cases=len(plan.cases), people=len(plan.people), files=plan.files_removed
        )
        flash(request, said)
    return RedirectResponse(PAGE, status_code=303)


@action(after=PAGE)
def erase(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """``intake person erase``: the address and name looked up on the page, once the box is ticked."""
    terms = list(_person(form).values())
    back = RedirectResponse(PAGE, status_code=303)
    if not terms:
        flash(request, desk.page_text("erase_no_terms"), "error")
        return back
    if text_of(form.get("confirm")) != "1":
        flash(request, desk.page_text("erase_unconfirmed"), "error")
        return back
    done = erase_everywhere(desk.engine, desk.config, Terms(terms), by=user)
    if not done.hits:
        flash(request, desk.page_text("erase_nothing"))
    else:
        places = "、".join(f"{_place(p, desk)} {n} 件" for p, n in sorted(done.counts.items()))
        said = desk.page_text("erased", records=len(done.hits), places=places, files=done.files_removed)
        flash(request, said)
    return back


@action(after="/?tab=quarantine")
def reprocess_entry(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """``intake reprocess ID``: the message goes through the pipeline again, from the archive; it
    opens its case (or the entry stays in the quarantine with the new reason)."""
    entry_id = int(request.path_params["entry_id"])
    result = reprocess(config=desk.config, engine=desk.engine, entry_id=entry_id, by=user)
    flash(request, desk.page_text("reprocessed", entry=entry_id, case_id=result.case_id))
    return RedirectResponse(f"/cases/{result.case_id}", status_code=303)


def _person(form: FormData) -> dict[str, str]:
    """The person's address and name as given (each one term of ``intake person``)."""
    given = {k: (text_of(form.get(k)) or "").strip() for k in ("email", "name")}
    return {k: v for k, v in given.items() if v}


def _place(place: str, desk: Desk) -> str:
    label = desk_page_text(f"place_{place}", desk.config.rules_path)
    return place if label == f"place_{place}" else label


ROUTES = [
    Route(PAGE, privacy_page, methods=["GET"]),
    Route(f"{PAGE}/find", find_person, methods=["POST"]),
    Route(f"{PAGE}/purge", purge, methods=["POST"]),
    Route(f"{PAGE}/erase", erase, methods=["POST"]),
    Route("/quarantine/{entry_id:int}/reprocess", reprocess_entry, methods=["POST"]),
]
