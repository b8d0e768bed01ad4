"""Coming back after signing in again: to the page staff were on, with what they had typed.

A page opened after the session ended remembers its path in the cookie (``next``) and the sign-in
goes back there. A form sent after the session ended — a note, a reply, a status change's note —
is kept here as a one-time *draft*: in this process's memory (never in the database, a log or a
URL), under a random token the browser's signed cookie carries, for at most :data:`DRAFT_MINUTES`.
After signing in, the page the form belongs to takes it (once) and shows it in its form, to be read
and sent again with the new session's CSRF token: nothing is sent on the staff's behalf.

A draft is kept only from the browser's own form — the one carrying the ended session's CSRF token
from the same cookie — and never keeps a password field or a file (the file is chosen again).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

DRAFT_MINUTES = 60
MAX_DRAFTS = 500  # drafts waiting at once; the oldest goes first
SECRET_FIELDS = frozenset({"csrf", "password", "current", "new", "again"})
NEXT, DRAFT = "next", "draft"


@dataclass
class Draft:
    action: str  # the path the form was sent to
    back: str  # the page it belongs to
    fields: dict[str, str]
    file_dropped: bool
    made: float = field(default_factory=time.monotonic)

    def field(self, name: str) -> str:
        return self.fields.get(name, "")

    def sent_to(self, suffix: str) -> bool:
        return self.action.endswith(suffix)


class Drafts:
    """The drafts waiting for their sign-in, by token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._drafts: dict[str, Draft] = {}

    def keep(self, action: str, back: str, form: FormData) -> str | None:
        """The token of a new draft of ``form``; None when it held nothing typed."""
        fields = {
            k: v for k, v in form.multi_items() if isinstance(v, str) and k not in SECRET_FIELDS and v.strip()
        }
        dropped = any(isinstance(v, UploadFile) and v.filename for _k, v in form.multi_items())
        if not fields:
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._sweep()
            while len(self._drafts) >= MAX_DRAFTS:
                self._drafts.pop(next(iter(self._drafts)))
            self._drafts[token] = Draft(action, back, fields, dropped)
        return token

    def take(self, token: str, back: str) -> Draft | None:
        """The draft belonging to the page ``back``, once: it is gone afterwards."""
        with self._lock:
            self._sweep()
            found = self._drafts.get(token)
            return self._drafts.pop(token) if found is not None and found.back == back else None

    def _sweep(self) -> None:
        oldest = time.monotonic() - DRAFT_MINUTES * 60
        for token in [t for t, d in self._drafts.items() if d.made < oldest]:
            del self._drafts[token]


def local_path(path: str | None) -> str | None:
    """``path`` when it is a path of this desk (never another site, never the sign-in itself)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    if path.split("?", 1)[0] in ("/login", "/logout"):
        return None
    return path


def here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def remember(request: Request, back: str, *, draft: str | None = None) -> None:
    """Where the sign-in returns to, and the draft waiting there (in the signed cookie)."""
    path = local_path(back)
    if path:
        request.session[NEXT] = path
    if draft:
        request.session[DRAFT] = draft


def carried(request: Request) -> dict[str, str]:
    """What a sign-in keeps of the signed-out cookie: where to return and the draft token."""
    return {k: v for k in (NEXT, DRAFT) if isinstance(v := request.session.get(k), str)}


def draft_for(request: Request, drafts: Drafts, page: str) -> Draft | None:
    """The draft waiting for ``page`` in this browser's cookie, taken once."""
    token = request.session.get(DRAFT)
    if not isinstance(token, str):
        return None
    found = drafts.take(token, page)
    if found is not None:
        request.session.pop(DRAFT, None)
    return found
