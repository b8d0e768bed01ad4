"""The reply section of the case page: choosing one of the secretariat's templates (a GET with
``?template=NAME``, its inputs as ``v_NAME``: no script needed) writes it into the editable body;
sending (POST ``/cases/{id}/reply``, an upload form) queues the reply through
:func:`intake.secretariat.replying.send_reply`, as ``intake reply`` does.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from intake.desk.base import Desk, text_of
from intake.errors import IntakeError
from intake.replies.staff import ReplyFile
from intake.replies.staff_templates import load_staff_templates
from intake.secretariat import replying


def reply_form(
    request: Request,
    desk: Desk,
    case_id: str,
    user: str,
    *,
    posted: FormData | Mapping[str, str] | None = None,
    error: str = "",
) -> dict:
    """What the reply form shows: the templates, the chosen one written for the case (or what was
    posted, when sending it was refused), the recipient and the error to say."""
    rules = desk.config.rules_path
    templates = load_staff_templates(rules)
    source = posted if posted is not None else request.query_params
    name = text_of(source.get("template")) or ""
    chosen = templates.get(name)
    values = {i.name: text_of(source.get(f"v_{i.name}")) or "" for i in chosen.inputs} if chosen else {}
    form = {
        "templates": list(templates.values()),
        "chosen": chosen,
        "given": values,
        "to": "",
        "cc": "",
        "body": "",
        "quote": False,
        "error": error,
    }
    if posted is not None:
        form |= {k: text_of(posted.get(k)) or "" for k in ("to", "cc", "body")}
        form["quote"] = text_of(posted.get("quote")) == "1"
        return form
    with desk.reading() as session:
        try:
            if chosen:
                draft = replying.draft(session, desk.config, case_id, name, values, by=user)
                form |= {"to": draft.to_addr, "body": draft.body}
            else:
                form["to"] = replying.get_case(session, case_id).sender
        except IntakeError as exc:  # an input still to type in, no POC on file: said, the form stays
            form["error"] = str(exc)
    return form


def reply_request(case_id: str, form: FormData) -> replying.ReplyRequest:
    """The POSTed reply form as a request to send."""
    attachment = text_of(form.get("attachment")) or ""
    upload = form.get("file")
    uploads = []
    if isinstance(upload, UploadFile) and upload.filename:
        data = upload.file.read()  # within [desk] max_upload_mb: a longer body was refused unread
        uploads.append(
            ReplyFile(
                filename=upload.filename,
                content_type=upload.content_type or "application/octet-stream",
                data=data,
            )
        )
    cc = (text_of(form.get("cc")) or "").replace("\n", ",").replace("、", ",")
    return replying.ReplyRequest(
        case_id=case_id,
        template=text_of(form.get("template")) or None,
        values={k[2:]: text_of(v) or "" for k, v in form.multi_items() if k.startswith("v_")},
        body=text_of(form.get("body")) or "",
        to_addr=(text_of(form.get("to")) or "").strip() or None,
        cc=[a for a in cc.split(",") if a.strip()],
        quote=text_of(form.get("quote")) == "1",
        attachment_ids=[int(attachment)] if attachment.isdigit() else [],
        uploads=uploads,
    )
