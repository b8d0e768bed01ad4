"""Taking an attachment off the desk, as it came (from the archived message, never a decrypted
copy): a file ClamAV found malware in is offered only inside a zip with the password ``infected``
(as security teams exchange samples) and its plain download is refused. Every download is audited
under the signed-in name."""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.cases.scans import detections
from intake.cases.unlock import attachment_bytes
from intake.db import audit
from intake.db.keys import stored_id
from intake.db.tables import Attachment
from intake.desk.base import Desk, page
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


def _load(request: Request, desk: Desk) -> tuple[Attachment, bytes, list[str]] | Response:
    """The attachment, its bytes and the signatures found in it; or the page that says why not."""
    attachment_id = int(request.path_params["attachment_id"])
    with desk.reading() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            return Response("not found", status_code=404, media_type="text/plain")
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
]
