"""The back office of the desk: the outbox (each reply as the sender will read it; release or cancel
what waits), the member register and roster, the exports as downloads, and importing a register
file — the same functions and the same validation messages as the command line."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from sqlmodel import col, select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.cases.organisations import find_organisations, people
from intake.db.tables import Organisation
from intake.desk.base import Desk, action, flash, not_found, page
from intake.replies.outbox import OwnReplyRelease, cancel, list_replies, release
from intake.secretariat import exports, register, views

DOWNLOADS = {
    "register": ("register", register.REGISTER_COLUMNS),
    "roster": ("roster", exports.ROSTER_COLUMNS),
    "queue": ("queue", exports.QUEUE_COLUMNS),
}


@page
def outbox(request: Request, desk: Desk, user: str) -> Response:
    state = request.query_params.get("state") or None
    with desk.reading() as session:
        replies = [{**views.reply_item(r), "body": r.body} for r in list_replies(session, state=state)]
    return desk.render(
        request, "outbox.html", replies=replies, state=state, hold=desk.config.replies.mode == "hold"
    )


@action(after="/outbox")
def release_reply(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    reply_id = int(request.path_params["reply_id"])
    try:
        with desk.writing() as session:
            release(session, reply_id, user)
    except OwnReplyRelease:
        flash(request, desk.text("release_own_reply"), "error")
        return RedirectResponse("/outbox", status_code=303)
    flash(request, f"返信 {reply_id} を送信待ちにしました。")
    return RedirectResponse("/outbox", status_code=303)


@action(after="/outbox")
def cancel_reply(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    reply_id = int(request.path_params["reply_id"])
    with desk.writing() as session:
        cancel(session, reply_id, user)
    flash(request, f"返信 {reply_id} を取り消しました。")
    return RedirectResponse("/outbox", status_code=303)


@page
def register_page(request: Request, desk: Desk, user: str) -> Response:
    text = (request.query_params.get("org") or "").strip()
    with desk.reading() as session:
        if text:
            orgs = find_organisations(session, text, rules_dir=desk.config.rules_path)
        else:
            orgs = list(
                session.exec(select(Organisation).order_by(col(Organisation.name_key), col(Organisation.id)))
            )
        listing = [{"org": o, "people": people(session, o, include_removed=True)} for o in orgs]
        roster = exports.roster_rows(session)
    return desk.render(request, "register.html", listing=listing, roster=roster, query=text)


@page
def download(request: Request, desk: Desk, user: str) -> Response:
    what, fmt = request.path_params["what"], request.path_params["fmt"]
    if what not in DOWNLOADS or fmt not in ("csv", "xlsx"):
        return not_found(request, desk)
    title, columns = DOWNLOADS[what]
    with desk.reading() as session:
        rows = {
            "register": register.register_rows,
            "roster": exports.roster_rows,
            "queue": exports.queue_export_rows,
        }[what](session)
    if fmt == "csv":
        text = io.StringIO(newline="")
        exports.write_csv(rows, text, columns)
        body, media = ("\ufeff" + text.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    else:
        buffer = io.BytesIO()
        exports.write_xlsx(rows, buffer, columns, title=title)
        body, media = buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = {"content-disposition": f'attachment; filename="{what}.{fmt}"'}
    return Response(body, media_type=media, headers=headers)


@action(after="/register", upload=True)
def import_register(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        flash(request, "取り込む名簿ファイルを選んでください。", "error")
        return RedirectResponse("/register", status_code=303)
    data = upload.file.read()  # within [desk] max_upload_mb: a longer body was refused unread
    with tempfile.TemporaryDirectory(prefix="intake-register-") as folder:
        path = Path(folder) / Path(upload.filename).name
        path.write_bytes(data)
        with desk.writing() as session:
            report = register.import_register(session, path, by=user, rules_dir=desk.config.rules_path)
    flash(
        request,
        f"{report.rows} 行を読みました。組織 {report.organisations_added} 件追加・"
        f"{report.organisations_updated} 件更新、登録者 {report.people_added} 名追加・{report.people_updated} 名更新。"
        if report.changed
        else f"{report.rows} 行を読みました。変更はありません。",
    )
    return RedirectResponse("/register", status_code=303)


ROUTES = [
    Route("/outbox", outbox, methods=["GET"]),
    Route("/outbox/{reply_id:int}/release", release_reply, methods=["POST"]),
    Route("/outbox/{reply_id:int}/cancel", cancel_reply, methods=["POST"]),
    Route("/register", register_page, methods=["GET"]),
    Route("/register/import", import_register, methods=["POST"]),
    Route("/exports/{what}.{fmt}", download, methods=["GET"]),
]
