"""Taking an attachment off the desk, as it came (from the archived message), and — once opened —
the decrypted form, when ``[storage] keep_decrypted`` keeps it (otherwise the decrypted bytes were
never stored, and no password is either: the case page says only the original can be taken). A
file ClamAV found malware in is offered only inside a zip with the password ``infected`` (as
security teams exchange samples) and its plain and decrypted downloads are refused. Every download
is an ``attachment`` (never shown in the desk's own origin), named safely, and audited under the
signed-in name."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.archive import Archive
from intake.cases.scans import detections
from intake.cases.unlock import attachment_bytes
from intake.db import audit
from intake.db.keys import stored_id
from intake.db.tables import Attachment
from intake.desk.base import Desk, not_found, page
from intake.documents.zips import SAMPLE_PASSWORD, sample_zip
from intake.errors import DocumentError


@page
def plain_file(request: Request, desk: Desk, user: str) -> Response:
    return _take(request, desk, user, zipped=False)


@page
def sample(request: Request, desk: Desk, user: str) -> Response:
    return _take(request, desk, user, zipped=True)


def _take(request: Request, desk: Desk, user: str, *, zipped: bool) -> Response:
    """The attachment as it came, or alone in the ``infected`` zip; as it came never when ClamAV
    found something in it."""
    found = _load(request, desk)
    if isinstance(found, Response):
        return found
    attachment, data, signatures = found
    if signatures and not zipped:
        said = (
            f"この添付ファイルからマルウェア（{', '.join(signatures)}）を検知したため、そのままでは取り出せません。"
            f"パスワード「{SAMPLE_PASSWORD}」付きの zip として取り出してください。"
        )
        return desk.render(request, "download_refused.html", 403, said=said, case_id=attachment.case_id)
    name, media = attachment.filename or f"attachment-{attachment.id}", "application/octet-stream"
    if zipped:
        data, media = sample_zip(name, data), "application/zip"
        name = f"attachment-{attachment.id}-{SAMPLE_PASSWORD}.zip"
    _audit(desk, attachment, user, "sample_downloaded" if zipped else "attachment_downloaded")
    return Response(
        data, media_type=media, headers={"content-disposition": _disposition(name, stored_id(attachment))}
    )


@page
def decrypted_file(request: Request, desk: Desk, user: str) -> Response:
    """The n-th decrypted copy of an opened attachment, kept with ``keep_decrypted``."""
    attachment_id, number = int(request.path_params["attachment_id"]), int(request.path_params["n"])
    with desk.reading() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            return not_found(request, desk)
        signatures = detections(session, attachment.case_id).get(attachment_id, [])
    copies = decrypted_copies(desk, attachment_id)
    if not 0 < number <= len(copies):
        said = desk.page_text("decrypted_not_kept")
        return desk.render(request, "download_refused.html", 404, said=said, case_id=attachment.case_id)
    if signatures:
        said = desk.page_text("decrypted_malware", signatures=", ".join(signatures))
        return desk.render(request, "download_refused.html", 403, said=said, case_id=attachment.case_id)
    path = copies[number - 1]
    name = path.name.removeprefix(f"{attachment_id}_")
    _audit(desk, attachment, user, "decrypted_downloaded")
    disposition = _disposition(name, stored_id(attachment))
    return Response(
        path.read_bytes(),
        media_type="application/octet-stream",
        headers={"content-disposition": disposition},
    )


def decrypted_copies(desk: Desk, attachment_id: int) -> list[Path]:
    """The decrypted copies kept of an attachment (none unless ``keep_decrypted``)."""
    if not desk.config.storage.keep_decrypted:
        return []
    return Archive(desk.config.storage.archive_dir).decrypted_copies(attachment_id)


def decrypted_names(desk: Desk, attachment_ids: list[int]) -> dict[int, list[str]]:
    """For the case page: each opened attachment's kept decrypted copies, by file name."""
    return {i: [p.name.removeprefix(f"{i}_") for p in decrypted_copies(desk, i)] for i in attachment_ids}


def _load(request: Request, desk: Desk) -> tuple[Attachment, bytes, list[str]] | Response:
    """The attachment, its bytes and the signatures found in it; or the page that says why not."""
    attachment_id = int(request.path_params["attachment_id"])
    with desk.reading() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            return not_found(request, desk)
        signatures = detections(session, attachment.case_id).get(attachment_id, [])
        try:
            data = attachment_bytes(session, desk.config, attachment)
        except DocumentError:
            data = b""
    if not data:
        said = (
            "この添付ファイルは保存されていません（受信時に制限を超えたか、保存期間を過ぎて削除されました）。"
        )
        return desk.render(request, "download_refused.html", 404, said=said, case_id=attachment.case_id)
    return attachment, data, signatures


def _disposition(name: str, attachment_id: int) -> str:
    """``attachment`` with the sender's file name percent-encoded (RFC 6266), and a plain fallback."""
    base = PurePosixPath(name.replace("\\", "/")).name or f"attachment-{attachment_id}"
    suffix = PurePosixPath(base).suffix
    fallback = f"attachment-{attachment_id}{suffix if suffix[1:].isascii() and suffix[1:].isalnum() else ''}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(base, safe='')}"


def _audit(desk: Desk, attachment: Attachment, user: str, action: str) -> None:
    with desk.writing() as session:
        detail = {"attachment": attachment.id}
        audit.record(session, by=user, action=action, case_id=attachment.case_id, detail=detail)


ROUTES = [
    Route("/attachments/{attachment_id:int}/file", plain_file, methods=["GET"]),
    Route("/attachments/{attachment_id:int}/sample.zip", sample, methods=["GET"]),
    Route("/attachments/{attachment_id:int}/decrypted/{n:int}", decrypted_file, methods=["GET"]),
]
