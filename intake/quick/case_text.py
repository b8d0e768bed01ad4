"""``intake show CASE`` as staff read it: one drawing of a case's plain values (its ``--json``
shape, each message's text, its history), whether the full command line, the running service or
the database read directly answers — so the three paths print the same, in the Japanese of
``rules/labels.toml``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import NamedTuple

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from intake.forms.spec import FormSpecs
from intake.quick.printing import add_row
from intake.quick.tables import due_text
from intake.secretariat.labels import (
    action_label,
    answer_label,
    attached_labels,
    case_status_label,
    code_label,
    detail_lines,
    direction_label,
    kind_label,
    merge_text,
    segment_label,
    short_label,
)

#: the forms' items: form id → (the form's name, item key → how the form names it)
FormNames = dict[str, tuple[str, dict[str, str]]]
FORMS = ("application", "staff_registration")


class HistoryRow(NamedTuple):
    """One line of a case's history: when (JST), who, what (in words), its detail (in words)."""

    at: str
    by: str
    action: str
    detail: str


def history_row(at: str | None, by: str, action: str, detail: str, rules: Path) -> HistoryRow:
    """An audit entry as the history shows it; ``detail`` as :func:`history_detail` gives it."""
    return HistoryRow(when(at), by, action_label(action, rules), _detail(action, detail, rules))


def draw_case(
    out: Console, case: dict, texts: list[str], history: list[HistoryRow], forms: FormNames, rules: Path
) -> None:
    """Print the case ``case`` (``intake show --json``'s shape, its messages' ``segments``
    included), ``texts`` (each message's text) and its ``history`` on ``out``."""
    kind, status = (
        kind_label(case["kind"], rules),
        case_status_label(case["status"], case["merged_into"], rules),
    )
    out.print(f"[bold]{case['id']}[/bold]  {escape(kind)}  [bold]{escape(status)}[/bold]")
    out.print(
        f"送信者 {case['sender']}  組織 {case['org_name'] or '-'}  受信 {when(case['received_at'])}",
        markup=False,
    )
    out.print(f"件名: {case['subject']}", markup=False)
    out.print(f"担当: {case['owner'] or '未割当'}  期限: {due_text(case) or 'なし'}", markup=False)
    _merges(out, case, rules)
    _messages(out, case["messages"], rules)
    _segments(out, case["messages"], texts, rules)
    _attachments(out, case["attachments"], rules)
    _attached(out, case["attached_messages"], attached_labels(rules))
    _fields(out, case["fields"], forms, rules)
    _findings(out, case["findings"], rules)
    for n in case["notes"]:
        out.print(f"メモ {when(n['at'])} {n['by']}: {n['text']}", markup=False)
    history_table = Table("日時", "担当", "操作", "詳細", title="履歴")
    for row in history:
        add_row(history_table, *row)
    out.print(history_table)


def form_names(specs: FormSpecs) -> FormNames:
    """Each form's name and how it names its items, as :func:`draw_case` prints them."""
    return {
        form: (specs[form].name, {f.key: specs[form].label(f.key) for f in specs[form].fields})
        for form in FORMS
    }


def when(iso: str | None) -> str:
    """「2026-04-01 10:15」: a JST time as the desk shows it."""
    return (iso or "")[:16].replace("T", " ")


def _detail(action: str, detail: str, rules: Path) -> str:
    """An audit entry's detail as 「名前: 値」 parts (labels.toml ``[details]``); a machine's words
    (a source, a server's error) in backquotes, as the desk sets them as code."""
    lines = []
    for name, value, technical in detail_lines(action, detail, rules):
        said = f"`{value}`" if technical else value
        lines.append(f"{name}: {said}" if name else said)
    return "\n".join(lines)


def _merges(out: Console, case: dict, rules: Path) -> None:
    """Where a merged case went, and which cases were merged into this one."""
    if case.get("merged_into"):
        out.print(merge_text("merged_note", rules, into=case["merged_into"]), markup=False)
    if case.get("merged_from"):
        out.print(merge_text("merged_from", rules, cases="、".join(case["merged_from"])), markup=False)


def _messages(out: Console, messages: list[dict], rules: Path) -> None:
    table = Table("種類", "差出人", "件名", "受信", "自動返信しない理由", "送信元認証・署名", title="メール")
    for m in messages:
        add_row(
            table,
            direction_label(m, rules),
            m["from"],
            m["subject"],
            when(m["received_at"]),
            code_label("no_reply_reasons", m["no_reply_reason"], rules),
            security_line(m.get("security"), rules),
        )
    out.print(table)


def _segments(out: Console, messages: list[dict], texts: list[str], rules: Path) -> None:
    """Each message's text: an incoming one's quoted and forwarded parts labelled and indented, a
    reply's as it was written."""
    for n, (m, text) in enumerate(zip(messages, texts, strict=True), start=1):
        if not (m.get("segments") or text):
            continue
        out.print(f"--- メール {n}（{direction_label(m, rules)}）: {m['subject'] or ''}", markup=False)
        if not m.get("segments"):
            for line in text.splitlines():
                out.print(line, markup=False, highlight=False)
            continue
        for segment in m["segments"]:
            indent = "" if segment["kind"] == "new" else "  | "
            out.print(f"{indent}[{segment_label(segment, rules)}]", markup=False)
            for line in segment["text"].splitlines():
                out.print(f"{indent}{line}", markup=False, highlight=False)


def _attached(out: Console, attached: list[dict], label: dict[str, str]) -> None:
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


def security_line(security: dict | None, rules: Path) -> str:
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
        parts.append(f"{code_label('protections', security['protection'], rules)} {opened}")
    if security["signature"]:
        mismatch = "" if security["signer_matches_from"] is not False else "（差出人と不一致）"
        said = SIGNATURE.get(security["signature"], security["signature"])
        parts.append(f"署名 {said} {security['signer'] or '?'}{mismatch}")
    if security["problem"]:
        parts.append(f"`{security['problem']}`")
    return "、".join(parts)


def _attachments(out: Console, attachments: list[dict], rules: Path) -> None:
    if not attachments:
        return
    table = Table("番号", "ファイル", "形式", "暗号化", "状態", "様式", "ウイルス検査", title="添付ファイル")
    for a in attachments:
        add_row(
            table,
            a["id"],
            a["filename"] or "（名前なし）",
            code_label("formats", a["format"], rules),
            "あり" if a["encrypted"] else "なし",
            code_label("attachment_states", a["state"], rules),
            code_label("unlock.documents", a["document"], rules),
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


def _fields(out: Console, fields: dict, forms: FormNames, rules: Path) -> None:
    """Grouped and named as on the form: the application's items, then one block per person."""
    if "application" in fields:
        name, labels = forms["application"]
        table = Table("項目", "内容", title=name)
        for key, value in fields["application"].items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    add_row(table, labels.get(f"{key}.{sub}", f"{key}.{sub}"), v)
            else:
                add_row(table, labels.get(key, key), value)
        out.print(table)
    if fields.get("staff"):
        labels = forms["staff_registration"][1]
        for n, person in enumerate(fields["staff"], start=1):
            table = Table("項目", "内容", title=f"事務従事者{n}")
            for key, value in person.items():
                add_row(table, labels.get(key, key), value)
            out.print(table)
    if "incident" in fields:
        table = Table("項目", "内容", title="確認①②③")
        for key, value in fields["incident"].items():
            shown = answer_label(key, value, rules) if isinstance(value, str) else value
            add_row(
                table,
                INCIDENT_LABELS.get(key, key),
                _decision(value, rules) if isinstance(value, dict) else shown,
            )
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


def _decision(decision: dict, rules: Path) -> str:
    """「秘密指定: 指定しない / 共有範囲: 協議会構成員限り（tanaka 2026-04-01 10:15）」."""
    if not any(decision.values()):
        return "—"
    secret = code_label("decisions", decision.get("secret"), rules) or "—"
    said = f"秘密指定: {secret} / 共有範囲: {decision.get('sharing_scope') or '—'}"
    return said + (f"（{decision['by']} {when(decision.get('at'))}）" if decision.get("by") else "")


def _findings(out: Console, findings: list[dict], rules: Path) -> None:
    if not findings:
        return
    table = Table("指摘", "重さ", "状態", "内容", title="指摘")
    for f in findings:
        state = "未解決" if f["open"] else f"解決 {when(f['resolved_at'])}"
        add_row(
            table,
            short_label(f["code"], rules),
            code_label("severities", f["severity"], rules),
            state,
            f["message_ja"],
        )
    out.print(table)
