"""Commands staff work cases with: queue, show, note, set-status, assign, decide, merge, split,
audit, and the daily digest of overdue and due-today cases to their owners."""

from __future__ import annotations

import json
import textwrap
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from intake.cli.app import app
from intake.cli.runtime import Runtime, add_row
from intake.clock import jst_iso
from intake.quick.tables import due_text, queue_table
from intake.secretariat.labels import (
    answer_label,
    attached_labels,
    case_status_label,
    code_label,
    kind_label,
    merge_text,
    short_label,
)
from intake.secretariat.statuses import STATUSES

if TYPE_CHECKING:
    from pathlib import Path

    from intake.forms import FormSpecs


DEFAULT_PAGE = 100


@app.command()
def queue(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only cases in this status.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only cases of this kind.")] = None,
    mailbox: Annotated[str | None, typer.Option(help="Only cases of this mailbox.")] = None,
    org: Annotated[str | None, typer.Option(help="Only organisations whose name contains this.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only cases this desk user handles.")] = None,
    robots: Annotated[
        bool,
        typer.Option("--robots", help="Robot mail (bounces, auto-replies) that answers nothing of ours."),
    ] = False,
    every: Annotated[
        bool, typer.Option("--all", help="Every case, robot mail included, no page limit.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = DEFAULT_PAGE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The review queue, overdue cases (期限超過) first, then newest first (robot mail that answers
    nothing of ours: --robots)."""
    from intake.secretariat import servers, views

    rt = ctx.obj
    filters: dict[str, Any] = {"status": status, "kind": kind, "mailbox": mailbox, "org": org, "owner": owner}
    filters["robots"] = None if every else robots
    with rt.reading_session() as session:
        items = views.queue(session, **filters, limit=None if every else limit)
        total = len(items) if every else views.count_cases(session, **filters)
        alerts = servers.alerts(session, rt.config)
    if as_json:
        rt.print_json(items)
        return
    for line in alerts:  # a mailbox not being fetched is said before anything else
        rt.out.print(f"[bold red]![/] {escape(line)}")
    rt.out.print(queue_table(items, total, rt.config.rules_path, robots=robots))


@app.command()
def show(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(metavar="CASE_ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One case, whole: messages, attachments, fields, findings, notes, history."""
    from intake.forms import load_form_specs
    from intake.secretariat import views
    from intake.secretariat.accepting import history_detail
    from intake.secretariat.actions import audit_entries
    from intake.secretariat.labels import action_label

    rt = ctx.obj
    rules = rt.config.rules_path
    with rt.reading_session() as session:
        case = views.case_detail(session, case_id, rules)
        texts = views.message_texts(session, rt.config, case_id)
        case["attached_messages"] = [a for text in texts for a in text.get("attached", ())]
        entries = audit_entries(session, case_id)
        history = [
            (
                _when(views.jst(e.at)),
                e.by,
                action_label(e.action, rules),
                _detail(e.action, history_detail(e.action, e.detail, rules), rules),
            )
            for e in entries
        ]
    for message, text in zip(case["messages"], texts, strict=True):
        message["segments"] = text.get("segments", [])
    if as_json:
        rt.print_json(case)
        return
    out = rt.out
    kind, status = (
        kind_label(case["kind"], rules),
        case_status_label(case["status"], case["merged_into"], rules),
    )
    out.print(f"[bold]{case['id']}[/bold]  {escape(kind)}  [bold]{escape(status)}[/bold]")
    out.print(
        f"送信者 {case['sender']}  組織 {case['org_name'] or '-'}  受信 {_when(case['received_at'])}",
        markup=False,
    )
    out.print(f"件名: {case['subject']}", markup=False)
    out.print(f"担当: {case['owner'] or '未割当'}  期限: {due_text(case) or 'なし'}", markup=False)
    _merges(out, case, rt.config.rules_path)
    _messages(out, case["messages"], rules)
    _segments(out, case["messages"], [t.get("text", "") for t in texts], rt.config.rules_path)
    _attachments(out, case["attachments"], rules)
    _attached(out, case["attached_messages"], attached_labels(rt.config.rules_path))
    _fields(out, case["fields"], load_form_specs(rt.config.rules_path), rt.config.rules_path)
    _findings(out, case["findings"], rules)
    for n in case["notes"]:
        out.print(f"メモ {_when(n['at'])} {n['by']}: {n['text']}", markup=False)
    history_table = Table("日時", "担当", "操作", "詳細", title="履歴")
    for row in history:
        add_row(history_table, *row)
    out.print(history_table)


def _when(iso: str | None) -> str:
    """「2026-04-01 10:15」: a JST time as the desk shows it."""
    return (iso or "")[:16].replace("T", " ")


def _detail(action: str, detail: str, rules_dir) -> str:
    """An audit entry's detail as 「名前: 値」 parts (labels.toml ``[details]``); a machine's words
    (a source, a server's error) in backquotes, as the desk sets them as code."""
    from intake.secretariat.labels import detail_lines

    lines = []
    for name, value, technical in detail_lines(action, detail, rules_dir):
        said = f"`{value}`" if technical else value
        lines.append(f"{name}: {said}" if name else said)
    return "\n".join(lines)


def _merges(out, case: dict, rules_dir) -> None:
    """Where a merged case went, and which cases were merged into this one."""
    if case.get("merged_into"):
        out.print(merge_text("merged_note", rules_dir, into=case["merged_into"]), markup=False)
    if case.get("merged_from"):
        out.print(merge_text("merged_from", rules_dir, cases="、".join(case["merged_from"])), markup=False)


def _messages(out, messages: list[dict], rules_dir) -> None:
    from intake.secretariat.labels import direction_label

    table = Table("種類", "差出人", "件名", "受信", "自動返信しない理由", "送信元認証・署名", title="メール")
    for m in messages:
        shown = _security_line(m.get("security"), rules_dir)
        add_row(
            table,
            direction_label(m, rules_dir),
            m["from"],
            m["subject"],
            _when(m["received_at"]),
            code_label("no_reply_reasons", m["no_reply_reason"], rules_dir),
            shown,
        )
    out.print(table)


def _segments(out, messages: list[dict], texts: list[str], rules_dir) -> None:
    """Each message's text: an incoming one's quoted and forwarded parts labelled and indented, a
    reply's as it was written."""
    from intake.secretariat.labels import direction_label, segment_label

    for n, (m, text) in enumerate(zip(messages, texts, strict=True), start=1):
        if not (m.get("segments") or text):
            continue
        out.print(f"--- メール {n}（{direction_label(m, rules_dir)}）: {m['subject'] or ''}", markup=False)
        if not m.get("segments"):
            for line in text.splitlines():
                out.print(line, markup=False, highlight=False)
            continue
        for segment in m["segments"]:
            indent = "" if segment["kind"] == "new" else "  | "
            out.print(f"{indent}[{segment_label(segment, rules_dir)}]", markup=False)
            for line in segment["text"].splitlines():
                out.print(f"{indent}{line}", markup=False, highlight=False)


def _attached(out, attached: list[dict], label: dict[str, str]) -> None:
    """The messages sent as attachments: evidence, shown as what they are (their text is not the sender's)."""
    for m in attached:
        out.print(f"[bold]{escape(label['title'])}[/bold] ({escape(m['filename'] or '')})")
        out.print(label["note"], markup=False)
        for key in ("from", "date", "subject"):
            out.print(f"  {label[key]}: {m[key] or '-'}", markup=False)
        if m["attachments"]:
            out.print(f"  {label['files']}: {'、'.join(m['attachments'])}", markup=False)
        if m["problem"]:
            out.print(f"  {label['problem']}: {m['problem']}", markup=False)
        out.print(f"  {label['body']}:", markup=False)
        out.print(textwrap.indent(m["body"] or "-", "    "), markup=False)


AUTHENTICATION = {"pass": "成功", "fail": "失敗", "unknown": "不明"}
SIGNATURE = {"good": "正当", "bad": "不正", "unknown_key": "鍵が未登録"}


def _security_line(security: dict | None, rules_dir) -> str:
    """「送信元認証 失敗、PGP/MIME 復号済み、署名 正当 a@example.com」: one line per message, in the
    desk's words."""
    if not security:
        return ""
    verdict = security["authentication"]
    parts = [f"送信元認証 {AUTHENTICATION.get(verdict, verdict)}"]
    if security["protection"]:
        opened = (
            "復号済み" if security["decrypted"] else ("復号できず" if security["encrypted"] else "署名のみ")
        )
        parts.append(f"{code_label('protections', security['protection'], rules_dir)} {opened}")
    if security["signature"]:
        mismatch = "" if security["signer_matches_from"] is not False else "（差出人と不一致）"
        said = SIGNATURE.get(security["signature"], security["signature"])
        parts.append(f"署名 {said} {security['signer'] or '?'}{mismatch}")
    if security["problem"]:
        parts.append(f"`{security['problem']}`")
    return "、".join(parts)


def _attachments(out, attachments: list[dict], rules_dir) -> None:
    if not attachments:
        return
    table = Table("番号", "ファイル", "形式", "暗号化", "状態", "様式", "ウイルス検査", title="添付ファイル")
    for a in attachments:
        add_row(
            table,
            a["id"],
            a["filename"] or "（名前なし）",
            code_label("formats", a["format"], rules_dir),
            "あり" if a["encrypted"] else "なし",
            code_label("attachment_states", a["state"], rules_dir),
            code_label("unlock.documents", a["document"], rules_dir),
            _scan(a),
        )
    out.print(table)


def _scan(attachment: dict) -> str:
    """What ClamAV said, when it said anything (a clean file, or scanning off: nothing)."""
    if attachment["malware"]:
        return (
            "マルウェア検知 "
            + ", ".join(attachment["malware"])
            + "（デスクから ZIP で取り出せます。パスワード infected）"
        )
    return "未検査" if attachment["not_scanned"] else ""


def _fields(out, fields: dict, specs: FormSpecs, rules_dir: Path | None = None) -> None:
    """Grouped and named as on the form: the application's items, then one block per person."""
    if "application" in fields:
        spec = specs["application"]
        table = Table("項目", "内容", title=spec.name)
        for key, value in fields["application"].items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    add_row(table, spec.label(f"{key}.{sub}"), v)
            else:
                add_row(table, spec.label(key), value)
        out.print(table)
    staff = specs["staff_registration"]
    for n, person in enumerate(fields.get("staff", []), start=1):
        table = Table("項目", "内容", title=f"事務従事者{n}")
        for key, value in person.items():
            add_row(table, staff.label(key), value)
        out.print(table)
    if "incident" in fields:
        table = Table("項目", "内容", title="確認①②③")
        for key, value in fields["incident"].items():
            shown = value if not isinstance(value, dict) else _decision(value, rules_dir)
            if isinstance(value, str) and rules_dir is not None:
                shown = answer_label(key, value, rules_dir)
            add_row(table, INCIDENT_LABELS.get(key, key), shown)
        out.print(table)


INCIDENT_LABELS = {
    "secret_designation": "確認① 秘密指定の有無",
    "secret_detail": "確認① 詳細",
    "sharing_scope": "確認② 情報の共有範囲",
    "tlp": "確認② TLP",
    "external_coordination": "確認③ 協議会事務局外への対応調整の要否",
    "coordination_detail": "確認③ 詳細",
    "decision": "事務局の判断",
}


def _decision(decision: dict, rules_dir: Path | None) -> str:
    """「秘密指定: 指定しない / 共有範囲: 協議会構成員限り（tanaka 2026-04-01 10:15）」."""
    if rules_dir is None or not any(decision.values()):
        return "—"
    secret = code_label("decisions", decision.get("secret"), rules_dir) or "—"
    said = f"秘密指定: {secret} / 共有範囲: {decision.get('sharing_scope') or '—'}"
    return said + (f"（{decision['by']} {_when(decision.get('at'))}）" if decision.get("by") else "")


def _findings(out, findings: list[dict], rules_dir) -> None:
    if not findings:
        return
    table = Table("指摘", "重さ", "状態", "内容", title="指摘")
    for f in findings:
        state = "未解決" if f["open"] else f"解決 {_when(f['resolved_at'])}"
        said = short_label(f["code"], rules_dir)
        add_row(table, said, code_label("severities", f["severity"], rules_dir), state, f["message_ja"])
    out.print(table)


class Secrecy(StrEnum):
    secret = "secret"
    not_secret = "not_secret"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
CaseArg = Annotated[str, typer.Argument(metavar="CASE_ID")]


@app.command()
def note(ctx: typer.Context, case_id: CaseArg, text: Annotated[str, typer.Argument(metavar="TEXT")]) -> None:
    """Add a staff note to a case."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        actions.add_note(session, case_id, text, by=rt.by)
    rt.out.print(f"note added to {case_id}")


@app.command("set-status")
def set_status(
    ctx: typer.Context,
    case_id: CaseArg,
    status: Annotated[str, typer.Argument(metavar="STATUS", help=", ".join(STATUSES))],
    note_text: Annotated[str | None, typer.Option("--note", help="A note kept with the change.")] = None,
    confirm_unauthenticated: Annotated[
        bool,
        typer.Option(
            "--confirm-unauthenticated",
            help="Accept a register change whose sender failed authentication, confirmed another way (audited).",
        ),
    ] = False,
    override_missing: Annotated[
        bool,
        typer.Option("--override-missing", help="Accept although missing items are still open (audited)."),
    ] = False,
) -> None:
    """Move a case; accepting a membership application or staff registration updates the register
    (`intake accept CASE --dry-run` shows how first)."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        before = actions.get_case(session, case_id).status
        actions.set_status(
            session,
            case_id,
            status,
            by=rt.by,
            note=note_text,
            rules_dir=rt.config.rules_path,
            confirm_unauthenticated=confirm_unauthenticated,
            override_missing=override_missing,
            due=rt.config.sla,
        )
    rt.out.print(f"{case_id}: {before} → {status}")


@app.command()
def assign(
    ctx: typer.Context,
    case_id: CaseArg,
    user: Annotated[
        str | None, typer.Argument(metavar="[USER]", help="A desk user (intake user list).")
    ] = None,
    none: Annotated[bool, typer.Option("--none", help="Leave the case to nobody.")] = False,
) -> None:
    """Give a case to a desk user (担当者), or to nobody with --none; audited with --by (default: OS user)."""
    from intake.secretariat import owners

    if (user is None) == (not none):
        raise typer.BadParameter("give a USER or --none (not both)")
    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        owners.assign(session, case_id, None if none else user, by=rt.by)
    rt.out.print(f"{case_id}: 担当 {user or '未割当'}", markup=False)


@app.command()
def decide(
    ctx: typer.Context,
    case_id: CaseArg,
    secret: Annotated[Secrecy | None, typer.Option("--secret", help="Staff's secrecy decision.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Staff's sharing scope decision.")] = None,
) -> None:
    """Record staff's decision on an incident report (kept apart from what the reporter asked, Q22)."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        record = actions.record_incident_decision(
            session, case_id, secret=secret.value if secret else None, scope=scope, by=rt.by
        )
        decided = f"secret={record.decided_secret or '-'} scope={record.decided_scope or '-'}"
    rt.out.print(f"{case_id}: decided {decided}", markup=False)


@app.command()
def merge(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(metavar="CASE_ID")],
    second: Annotated[str | None, typer.Argument(metavar="[FROM_ID]")] = None,
    into: Annotated[str | None, typer.Option("--into", help="The case CASE_ID is merged into.")] = None,
) -> None:
    """Merge a case into another: `merge CASE_ID --into TARGET_ID` (or `merge INTO_ID FROM_ID`).
    Its mail, files, forms, notes and replies move there and it is checked again (no reply is sent);
    the merged case is closed and mail to it goes there. `intake split CASE_ID` undoes it."""
    from intake.secretariat import merging

    rt: Runtime = ctx.obj
    if (into is None) == (second is None):
        raise typer.BadParameter("give CASE_ID --into TARGET_ID, or INTO_ID FROM_ID")
    source, target = (first, into) if into is not None else (second, first)
    with rt.session_scope() as session:
        moved = merging.merge(session, source or "", into=target or "", by=rt.by, config=rt.config)
    rt.out.print(
        merge_text("merged", rt.config.rules_path, case=moved.source, into=moved.target), markup=False
    )
    _moved_lines(rt, moved)


@app.command()
def split(
    ctx: typer.Context,
    case_id: CaseArg,
    messages: Annotated[list[int] | None, typer.Argument(metavar="[MESSAGE_NUMBER]...")] = None,
) -> None:
    """Undo the merge of CASE_ID: exactly what moved goes back, it reopens in its status before.
    With MESSAGE_NUMBERs (the `id` of its messages in `show --json`): those messages, their files
    and forms and the replies to them leave CASE_ID for a new case (no reply is sent)."""
    from intake.secretariat import merging, separating

    rt: Runtime = ctx.obj
    with rt.session_scope() as session:
        if messages:
            moved = separating.split_off(session, case_id, messages, by=rt.by, config=rt.config)
        else:
            moved = merging.split(session, case_id, by=rt.by, config=rt.config)
    key = "split_off" if messages else "split"
    said = merge_text(key, rt.config.rules_path, case=moved.source, into=moved.target)
    rt.out.print(said, markup=False)
    _moved_lines(rt, moved)


def _moved_lines(rt: Runtime, moved) -> None:
    from intake.secretariat.labels import table_label

    for table, count in moved.counts().items():
        rt.out.print(f"  {table_label(table, rt.config.rules_path)}: {count}", markup=False)


@app.command()
def audit(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument(metavar="[CASE_ID]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The append-only record of staff actions (of one case, or all)."""
    from intake.secretariat import actions

    rt: Runtime = ctx.obj
    with rt.reading_session() as session:
        items = [_audit_item(e) for e in actions.audit_entries(session, case_id)]
    if as_json:
        rt.print_json(items)
        return
    table = Table("at", "by", "case", "action", "detail", title=f"audit: {len(items)} entries")
    for e in items:
        detail = e["detail"] if isinstance(e["detail"], str) else json.dumps(e["detail"], ensure_ascii=False)
        add_row(table, e["at"], e["by"], e["case_id"] or "", e["action"], detail)
    rt.out.print(table)


def _audit_item(entry) -> dict:
    try:
        detail = json.loads(entry.detail)
    except ValueError:
        detail = None
    return {
        "id": entry.id,
        "at": jst_iso(entry.at),
        "by": entry.by,
        "case_id": entry.case_id,
        "action": entry.action,
        "detail": detail if isinstance(detail, dict) else entry.detail,
    }


@app.command()
def digest(
    ctx: typer.Context,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Only queue; `intake send` sends later.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Queue today's digest (期限超過・本日期限の担当ケース) for each desk user with an e-mail, at
    most once a day each, then send the outbox. `intake run` does it daily with [sla] digest = true."""
    from intake.replies.sender import send_due
    from intake.secretariat.digest import queue_digests

    rt: Runtime = ctx.obj
    report = queue_digests(rt.ready_engine(), rt.config)
    sent = None if no_send or not report.queued else send_due(config=rt.config, engine=rt.engine)
    if as_json:
        rt.print_json(
            {
                "queued": report.queued,
                "nothing": report.nothing,
                "already": report.already,
                "stopped": report.stopped,
                "sent": sent.as_dict() if sent else None,
            }
        )
        return
    if report.stopped:
        rt.out.print(f"通知なし: {report.stopped}", markup=False)
    rt.out.print(
        f"通知を作成: {', '.join(report.queued) or 'なし'}；"
        f"該当ケースなし: {', '.join(report.nothing) or 'なし'}；"
        f"本日送信済み: {', '.join(report.already) or 'なし'}",
        markup=False,
    )
    if sent is not None:
        rt.out.print(
            f"送信 {len(sent.sent)} 件、再試行待ち {len(sent.retrying)} 件、失敗 {len(sent.failed)} 件"
        )
