"""The queue and the case page, and what staff do there: notes, status, decisions, unlocking.

Every action calls the function the command line calls (:mod:`intake.secretariat.actions`,
:func:`intake.cases.unlock.unlock`, :class:`intake.cases.expected.PasswordVault`) with the signed-in
account as the one who did it. A password typed here is read from the POST body, handed to the
unlock and forgotten: it is never stored, logged, put in a URL or sent back in a page.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from intake.cases import password_mail
from intake.cases import unlock as unlocking
from intake.cases.expected import PasswordVault
from intake.cases.unlock import pending_attachments
from intake.db.tables import Attachment, AuditEntry, Case
from intake.desk import returning
from intake.desk.accepting import confirmation as confirm_acceptance
from intake.desk.attachments import decrypted_names
from intake.desk.base import Desk, action, flash, page, text_of
from intake.desk.replying import reply_form, reply_request
from intake.forms import FormSpecs, load_form_specs
from intake.replies.staff import StaffReplyError
from intake.replies.staff_templates import StaffTemplateError
from intake.runner.quarantine import open_entries
from intake.secretariat import accepting, actions, owners, replying, views
from intake.secretariat.labels import (
    accept_text,
    attached_labels,
    direction_label,
    segment_label,
    status_label,
    unlock_text,
)

KINDS = ("membership_application", "staff_registration", "incident_report", "other")
PAGE = 200


@page
def queue(request: Request, desk: Desk, user: str) -> Response:
    tab = request.query_params.get("tab", "queue")
    filters = {k: request.query_params.get(k) or None for k in ("status", "kind", "mailbox", "org")}
    owner = user if tab == "mine" else None  # 自分の担当: the signed-in user's cases
    with desk.reading() as session:
        if tab == "quarantine":
            context: dict[str, Any] = {"entries": [views.quarantine_item(q) for q in open_entries(session)]}
        else:
            cases = views.queue(session, **filters, owner=owner, robots=tab == "robots", limit=PAGE)
            total = views.count_cases(session, **filters, owner=owner, robots=tab == "robots")
            context = {"cases": cases, "total": total}
        context |= {"counts": views.status_counts(session), "pending": pending_attachments(session)}
    return desk.render(
        request,
        "queue.html",
        tab=tab,
        filters=filters,
        statuses=actions.STATUSES,
        kinds=KINDS,
        mailboxes=[m.name for m in desk.config.mailbox],
        **context,
    )


@page
def case_page(request: Request, desk: Desk, user: str) -> Response:
    case_id = request.path_params["case_id"]
    with desk.reading() as session:
        if session.get(Case, case_id) is None:
            return _no_case(request, desk, case_id, _canonical(session, case_id))
    draft = returning.draft_for(request, desk.drafts, f"/cases/{case_id}")
    if draft is not None:
        said = desk.page_text("draft_restored")
        flash(request, said + (desk.page_text("draft_file_dropped") if draft.file_dropped else ""), "notice")
    posted = draft.fields if draft is not None and draft.sent_to("/reply") else None
    reply = reply_form(request, desk, case_id, user, posted=posted)
    return _case(request, desk, case_id, reply, draft=draft)


def _canonical(session, case_id: str) -> str | None:
    """The case an id typed in lower case (or with spaces) means, when there is one."""
    wanted = case_id.strip().upper()
    return wanted if wanted != case_id and session.get(Case, wanted) is not None else None


def _no_case(request: Request, desk: Desk, case_id: str, canonical: str | None) -> Response:
    """No case of that id: said in Japanese (404), with the case meant when only the case differed."""
    return desk.render(
        request,
        "not_found.html",
        404,
        said=desk.page_text("no_case", case_id=case_id),
        canonical=f"/cases/{canonical}" if canonical else None,
        canonical_label=desk.page_text("open_case", case_id=canonical) if canonical else "",
    )


def _case(
    request: Request,
    desk: Desk,
    case_id: str,
    reply: dict,
    status: int = 200,
    draft: returning.Draft | None = None,
) -> Response:
    specs = load_form_specs(desk.config.rules_path)
    with desk.reading() as session:
        case = views.case_detail(session, case_id, desk.config.rules_path)
        messages = views.message_texts(session, desk.config, case_id)
        history = [_history_row(e, desk) for e in actions.audit_entries(session, case_id)]
        password_mails = password_mail.password_mails(session, case_id)
        offered_to = password_mail.offered_elsewhere(session, case_id)
        assignable = owners.assignable(session)
        undoable = accepting.undoable(session, actions.get_case(session, case_id))
    rules = desk.config.rules_path
    for m in messages:
        m["direction_label"] = direction_label(m, rules)
        for segment in m.get("segments", ()):
            segment["label"] = segment_label(segment, rules)
    return desk.render(
        request,
        "case.html",
        status,
        reply=reply,
        case=case,
        messages=messages,
        attached=attached_labels(desk.config.rules_path),
        history=history,
        application=_application_rows(case["fields"].get("application"), specs),
        staff=_staff_table(case["fields"].get("staff"), specs),
        incident=case["fields"].get("incident"),
        transitions=() if case["merged_into"] else actions.TRANSITIONS.get(case["status"], ()),
        password_mails=password_mails,
        offered_to=offered_to,
        assignable=assignable,
        draft=draft,
        decrypted=decrypted_names(desk, [a["id"] for a in case["attachments"] if a["state"] == "decrypted"]),
        accept_words=_accept_words(desk, undoable),
    )


def _history_row(entry: AuditEntry, desk: Desk) -> dict[str, Any]:
    detail = accepting.history_detail(entry.action, entry.detail, desk.config.rules_path)
    return {"at": entry.at, "by": entry.by, "action": entry.action, "detail": detail}


def _accept_words(desk: Desk, undoable: bool) -> dict[str, str | None]:
    """The status form's 「変更しない」 and hint, and 受理を取り消す when the acceptance can be undone."""
    rules = desk.config.rules_path
    return {
        "keep": accept_text("keep_status", rules),
        "hint": accept_text("to_confirmation", rules),
        "undo": accept_text("undo", rules) if undoable else None,
        "undo_note": accept_text("undo_confirm", rules),
    }


@action(after="/cases/{case_id}")
def add_note(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    case_id = request.path_params["case_id"]
    with desk.writing() as session:
        actions.add_note(session, case_id, text_of(form.get("text")) or "", by=user)
    flash(request, "メモを追加しました。")
    return _to_case(case_id)


@action(after="/cases/{case_id}")
def set_status(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    case_id = request.path_params["case_id"]
    status, note = text_of(form.get("status")) or "", text_of(form.get("note"))
    confirmed = text_of(form.get("confirm_unauthenticated")) == "1"
    if not status:  # 「変更しない」: nothing was chosen, nothing changes
        flash(request, accept_text("no_change", desk.config.rules_path))
        return _to_case(case_id)
    if status == "accepted":  # 受理 writes the register: its confirmation first
        return confirm_acceptance(request, desk, case_id, posted=form)
    with desk.writing() as session:
        actions.set_status(
            session,
            case_id,
            status,
            by=user,
            note=note,
            rules_dir=desk.config.rules_path,
            confirm_unauthenticated=confirmed,
            due=desk.config.sla,
        )
    flash(request, desk.text("status_changed", status=status_label(status, desk.config.rules_path)))
    return _to_case(case_id)


@action(after="/cases/{case_id}")
def assign(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """担当者を変更: to an enabled desk user from the list, or to nobody (an empty choice)."""
    case_id = request.path_params["case_id"]
    owner = text_of(form.get("owner")) or None
    with desk.writing() as session:
        owners.assign(session, case_id, owner, by=user)
    flash(request, f"担当者を {owner} にしました。" if owner else "担当者を外しました。")
    return _to_case(case_id)


@action(after="/cases/{case_id}")
def take(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """「自分が担当する」."""
    case_id = request.path_params["case_id"]
    with desk.writing() as session:
        owners.take(session, case_id, by=user)
    flash(request, "このケースを担当します。")
    return _to_case(case_id)


@action(after="/cases/{case_id}")
def decide(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    case_id = request.path_params["case_id"]
    secret, scope = text_of(form.get("secret")) or None, text_of(form.get("scope"))
    with desk.writing() as session:
        actions.record_incident_decision(session, case_id, secret=secret, scope=scope, by=user)
    flash(request, "判断を記録しました。")
    return _to_case(case_id)


@action(after="/cases/{case_id}", upload=True)
def send_reply(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """The reply written on the case page, queued (or held for another's review); a refusal shows
    the form again as it was filled in, with what to correct."""
    case_id = request.path_params["case_id"]
    try:
        with desk.writing() as session:
            reply = replying.send_reply(session, desk.config, reply_request(case_id, form), by=user)
            reply_id, to, held = reply.id, reply.to_addr, reply.state == "held"
    except (StaffReplyError, StaffTemplateError) as exc:
        return _case(
            request, desk, case_id, reply_form(request, desk, case_id, user, posted=form, error=str(exc)), 400
        )
    flash(request, desk.text("reply_held" if held else "reply_queued", reply_id=reply_id, to=to))
    return _to_case(case_id)


def attachment_case(request: Request, desk: Desk) -> str:
    """The case page of the attachment an action was taken on (the queue when there is none)."""
    with desk.reading() as session:
        attachment = session.get(Attachment, int(request.path_params["attachment_id"]))
    return f"/cases/{attachment.case_id}" if attachment is not None else "/"


@action(after=attachment_case)
def unlock(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    attachment_id = int(request.path_params["attachment_id"])
    password = text_of(form.get("password")) or ""
    with desk.writing() as session:
        attachment = session.get(Attachment, attachment_id)
        case_id = attachment.case_id if attachment else None
        result = unlocking.unlock(
            session, config=desk.config, attachment_id=attachment_id, password=password, by=user
        )
        attempts = session.get(Attachment, attachment_id).attempts
    del password
    if result.opened:
        flash(request, desk.text("opened", said=_said(desk, result)))
    elif result.state == "password_pending":
        flash(
            request, f"パスワードが違います（{attempts}回目）。ファイルはパスワード待ちのままです。", "error"
        )
    else:
        flash(request, desk.text("not_read", said=_said(desk, result)), "error")
    return _to_case(case_id or result.case_id)


@action(after=attachment_case)
def unlock_from_message(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    """「このメールのパスワードで開く」: the password is read from the archived message, never the form."""
    attachment_id = int(request.path_params["attachment_id"])
    message = text_of(form.get("message")) or ""
    if not message.isdigit():
        flash(request, "メールを選んでください。", "error")
        return RedirectResponse(attachment_case(request, desk), status_code=303)
    with desk.writing() as session:
        result = password_mail.unlock_from_message(
            session, config=desk.config, attachment_id=attachment_id, message_pk=int(message), by=user
        )
        attempts = session.get(Attachment, attachment_id).attempts
    if result.opened:
        flash(request, desk.text("opened_from_message", message=message, said=_said(desk, result)))
    elif result.state == "password_pending":
        text = f"メール {message} に書かれたパスワードでは開けませんでした（試行 {attempts} 回）。"
        flash(request, text + "ファイルはパスワード待ちのままです。", "error")
    else:
        flash(request, desk.text("not_read", said=_said(desk, result)), "error")
    return _to_case(result.case_id)


@action(after="/")
def expect_password(request: Request, desk: Desk, user: str, form: FormData) -> Response:
    sender, org = text_of(form.get("sender")) or None, text_of(form.get("org")) or None
    password = text_of(form.get("password")) or ""
    if (sender is None) == (org is None):
        flash(request, "送信者のアドレスか組織名のどちらか一方を入力してください。", "error")
        return RedirectResponse("/", status_code=303)
    with desk.writing() as session:
        PasswordVault(desk.config.storage.key_file).expect(
            session,
            sender=sender,
            org=org,
            password=password,
            ttl_hours=desk.config.documents.expected_password_ttl_hours,
            by=user,
            rules_dir=desk.config.rules_path,
        )
    del password
    flash(request, f"パスワードを預かりました（{sender or org} からのメールで一度だけ使います）。")
    return RedirectResponse("/", status_code=303)


def _said(desk: Desk, result: unlocking.OpenResult) -> str:
    """What opening the file found, as staff read it (``[unlock]`` in labels.toml)."""
    return "。".join(unlock_text(s.as_detail(), desk.config.rules_path) for s in result.said) or "—"


def _to_case(case_id: str) -> Response:
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _application_rows(values: dict | None, specs: FormSpecs) -> list[tuple[str, Any]]:
    """The application's items in form order, named as the form names them."""
    if not values:
        return []
    spec = specs["application"]
    rows = []
    for key, value in values.items():
        if isinstance(value, dict):
            rows += [(spec.label(f"{key}.{sub}"), v) for sub, v in value.items()]
        else:
            rows.append((spec.label(key), value))
    return rows


def _staff_table(people: list[dict] | None, specs: FormSpecs) -> dict | None:
    """One row per person of a 事務従事者登録届, the items as columns."""
    if not people:
        return None
    spec = specs["staff_registration"]
    keys = list(people[0])
    return {"headers": [spec.label(k) for k in keys], "rows": [[p.get(k) for k in keys] for p in people]}


ROUTES = [
    Route("/", queue, methods=["GET"]),
    Route("/cases/{case_id}", case_page, methods=["GET"]),
    Route("/cases/{case_id}/note", add_note, methods=["POST"]),
    Route("/cases/{case_id}/reply", send_reply, methods=["POST"]),
    Route("/cases/{case_id}/status", set_status, methods=["POST"]),
    Route("/cases/{case_id}/decide", decide, methods=["POST"]),
    Route("/cases/{case_id}/assign", assign, methods=["POST"]),
    Route("/cases/{case_id}/take", take, methods=["POST"]),
    Route("/attachments/{attachment_id:int}/unlock", unlock, methods=["POST"]),
    Route("/attachments/{attachment_id:int}/unlock-from-message", unlock_from_message, methods=["POST"]),
    Route("/expect-password", expect_password, methods=["POST"]),
]
