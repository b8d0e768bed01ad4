"""The search box in the desk's header and its results page: the same search as ``intake search``
(:func:`intake.secretariat.search.find`). Everything shown of a match — subjects, snippets of mail — is
text the template escapes; the query stays in the address (GET), like the queue's filters."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.desk.base import Desk, page
from intake.secretariat.search import DEFAULT_LIMIT, find

MAX_QUERY = 200  # characters of a query looked up (a longer one is cut)


@page
def results(request: Request, desk: Desk, user: str) -> Response:
    query = request.query_params.get("q", "").strip()[:MAX_QUERY]
    found = None
    if query:
        with desk.reading() as session:
            found = find(session, query, limit=DEFAULT_LIMIT)
    return desk.render(request, "search.html", search_query=query, found=found, limit=DEFAULT_LIMIT)


ROUTES = [Route("/search", results, methods=["GET"])]
