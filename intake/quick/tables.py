"""The tables staff read from ``intake queue``, ``intake outbox``, ``intake status`` and
``intake audit``: one
drawing, whether the full command line, the running service or the database read directly
answers (so the three paths print the same, in the Japanese of ``rules/labels.toml``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table

from intake.clock import jst_iso
from intake.quick.printing import add_row
from intake.secretariat.labels import (
    case_status_label,
    code_label,
    kind_label,
    server_state_label,
    short_label,
)


def queue_table(items: list[dict], total: int, rules: Path, *, robots: bool) -> Table:
    """The review queue, one row per case (overdue ones in red and said in words)."""
    shown = f"{total} 件" if total == len(items) else f"{len(items)} 件（全 {total} 件。すべては --all）"
    title = f"自動送信メール: {shown}" if robots else shown
    table = Table(
        "案件", "種別", "状態", "担当", "期限", "組織", "送信者", "経過", "未解決の指摘", title=title
    )
    for column in table.columns:  # Japanese has no spaces to wrap at: fold, never cut to 「相 …」
        column.overflow = "fold"
    table.columns[0].no_wrap = True  # the case id stays whole on a narrow terminal
    table.columns[0].min_width = 18
    table.columns[4].min_width = 5  # a due day (12/21) on one line
    for c in items:
        add_row(
            table,
            c["id"],
            kind_label(c["kind"], rules),
            case_status_label(c["status"], c.get("merged_into"), rules),
            c["owner"] or "",
            due_text(c),
            c["org_name"] or "",
            c["sender"],
            age_text(c["received_at"]),
            "、".join(short_label(code, rules) for code in c["open_findings"]),
            style="red" if c["overdue"] else None,
        )
    return table


def due_text(item: dict) -> str:
    """「期限超過 12/04」 for an overdue case (said in words, not only in red), 「今日」 for one due today."""
    if not item["due_at"]:
        return ""
    day = item["due_at"][5:].replace("-", "/")
    if item["overdue"]:
        return f"期限超過 {day}"
    return f"今日 {day}" if item["due_today"] else day


def age_text(iso: str | None) -> str:
    """How long ago a case came: 「5分」, 「3時間」, 「2日」."""
    if not iso:
        return ""
    seconds = (datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds()
    if seconds < 3600:
        return f"{max(0, int(seconds // 60))}分"
    if seconds < 86400:
        return f"{int(seconds // 3600)}時間"
    return f"{int(seconds // 86400)}日"


def outbox_table(items: list[dict], rules: Path) -> Table:
    """The outbox, newest first; a reply's state in words (``[reply_states]``)."""
    table = Table(
        "番号", "案件", "宛先", "状態", "試行", "ひな形", "作成者", "件名", "最後のエラー", title="返信"
    )
    for r in items:
        add_row(
            table,
            r["id"],
            r["case_id"],
            r["to"],
            code_label("reply_states", r["state"], rules),
            r["attempts"],
            r["template"],
            r["author"] or "",
            r["subject"],
            r["last_error"] or "",
        )
    return table


def servers_table(items: list[dict], rules: Path) -> Table:
    """Each mail server: how it signs in, its state in words, its last success and error."""
    table = Table(
        "サーバー", "種類", "認証", "状態", "最終成功", "未処理", "最後のエラー", title="メールサーバー"
    )
    for i in items:
        error = f"{i['last_error']}（{i['failing_since']} から）" if i["last_error"] else ""
        add_row(
            table,
            i["name"],
            i["kind"],
            i["auth"],
            server_state_label(i["state"], rules),
            i["last_success_at"] or server_state_label("never", rules),
            i["backlog"],
            error,
        )
    return table


def counts_line(counts: dict, rules: Path) -> str:
    """「返信: 送信済み 3、送信待ち 1。隔離: 0 件」."""
    outbox = "、".join(
        f"{code_label('reply_states', state, rules)} {n}" for state, n in sorted(counts["outbox"].items())
    )
    return f"返信: {outbox or 'なし'}。隔離: {counts['quarantine']} 件"


def overdue_line(overdue: int) -> str:
    return f"期限超過のケース: {overdue} 件"


def audit_item(
    entry_id: int | None, at: datetime | None, by: str, case_id: str | None, action: str, detail: str
) -> dict:
    """An audit entry as ``intake audit --json`` gives it: its detail as an object when it is one."""
    try:
        said = json.loads(detail)
    except ValueError:
        said = None
    return {
        "id": entry_id,
        "at": jst_iso(at),
        "by": by,
        "case_id": case_id,
        "action": action,
        "detail": said if isinstance(said, dict) else detail,
    }


def audit_table(items: list[dict]) -> Table:
    """The audit log, oldest first, one row per entry."""
    table = Table("at", "by", "case", "action", "detail", title=f"audit: {len(items)} entries")
    for e in items:
        detail = e["detail"] if isinstance(e["detail"], str) else json.dumps(e["detail"], ensure_ascii=False)
        add_row(table, e["at"], e["by"], e["case_id"] or "", e["action"], detail)
    return table
