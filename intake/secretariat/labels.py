"""Short Japanese labels (``rules/labels.toml``) for finding codes in the review queue, the names
the desk shows for a case's status and kind, its history's actions and its messages' directions,
what the desk says about sign-in and sessions, and about merging cases."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=4)
def _labels(rules_dir: Path) -> dict[str, object]:
    path = rules_dir / "labels.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def short_label(code: str, rules_dir: Path) -> str:
    """「未記入 poc.email」 for ``required_field:poc.email``; the code itself when unlabelled."""
    family, _, field = code.partition(":")
    label = _labels(rules_dir).get(family)
    if not isinstance(label, str):
        return code
    return f"{label} {field}" if field else label


def status_label(status: str, rules_dir: Path) -> str:
    """「確認待ち」 for ``ready_for_review``; the code itself when unlabelled."""
    return str(_table("statuses", rules_dir).get(status, status))


def kind_label(kind: str, rules_dir: Path) -> str:
    """「加入申込書」 for ``membership_application``; the code itself when unlabelled."""
    return str(_table("kinds", rules_dir).get(kind, kind))


def action_label(action: str, rules_dir: Path) -> str:
    """「メール受信」 for ``message_received`` in the case history; the code itself when unlabelled."""
    return str(_table("actions", rules_dir).get(action, action))


def direction_label(message: dict, rules_dir: Path) -> str:
    """「受信」, 「自動返信」, 「事務局からの返信」 for a staff reply (its author is kept as the sender's
    name), or 「返信（メールソフトから送信）」 for a reply read from the sent folder."""
    key = message["direction"]
    if message.get("sent_elsewhere"):
        key = "sent_elsewhere"
    elif key == "out" and message.get("from_name"):
        key = "staff"
    return str(_table("directions", rules_dir).get(key, key))


def server_state_label(state: str, rules_dir: Path) -> str:
    """「接続できません」 for a mail server's ``failing`` state (``[server_states]``); the code
    itself when unlabelled."""
    return str(_table("server_states", rules_dir).get(state, state))


def _table(name: str, rules_dir: Path) -> dict[str, object]:
    """A table of labels.toml (``[statuses]``, ``[merge]``…); empty when it is missing."""
    return _within(_labels(rules_dir), name)


def _within(table: dict[str, object], name: str) -> dict[str, object]:
    """The table nested under ``name`` (``[merge.tables]`` in ``[merge]``); empty when it is missing."""
    inner = table.get(name)
    return inner if isinstance(inner, dict) else {}


def answer_label(item: str, value: str, rules_dir: Path) -> str:
    """「秘密指定は不要」 for ``not_requested`` under 確認①; the value itself when unlabelled."""
    return str(_within(_table("answers", rules_dir), item).get(value, value))


def desk_text(key: str, rules_dir: Path, **values: object) -> str:
    """What the desk says (``[desk]`` in labels.toml), the numbers filled in; the key if unlabelled."""
    return _section_text("desk", key, rules_dir, values)


def desk_page_text(key: str, rules_dir: Path, **values: object) -> str:
    """What the desk says on its ways back and its forms for the command line's case work
    (``[desk_pages]`` in labels.toml), the values filled in; the key itself when unlabelled."""
    return _section_text("desk_pages", key, rules_dir, values)


def search_text(key: str, rules_dir: Path, **values: object) -> str:
    """What the search says (``[search]`` in labels.toml: where a case matched, the words around
    the results), the values filled in; the key itself when unlabelled."""
    return _section_text("search", key, rules_dir, values)


def _section_text(section: str, key: str, rules_dir: Path, values: dict[str, object]) -> str:
    text = _table(section, rules_dir).get(key)
    return str(text).format(**values) if isinstance(text, str) else key


def segment_label(segment: dict, rules_dir: Path) -> str:
    """「引用（事務局からのメール）」 for a quote of ours, 「転送されたメール…」 for a forward, and a
    forward's or quote's 差出人/日時/件名 after it; the kind itself when unlabelled."""
    table = _table("segments", rules_dir)
    kind = segment["kind"]
    key = "quote_ours" if kind == "quote" and segment.get("origin") == "ours" else kind
    parts = [str(table.get(key, kind))]
    for name in ("sender", "date", "subject"):
        if segment.get(name):
            parts.append(f"{table.get(name, name)}: {segment[name]}")
    return "  ".join(parts)


_ATTACHED_KEYS = ("title", "note", "from", "date", "subject", "body", "files", "problem")


def attached_labels(rules_dir: Path) -> dict[str, str]:
    """The words shown around an attached message (``[attached]`` in labels.toml); the key when unlabelled."""
    table = _table("attached", rules_dir)
    return {key: str(table.get(key, key)) for key in _ATTACHED_KEYS}


def merge_text(key: str, rules_dir: Path, **values: object) -> str:
    """What is said about a merge (``[merge]`` in labels.toml), the case ids filled in; the key if unlabelled."""
    text = _table("merge", rules_dir).get(key)
    return str(text).format(**values) if isinstance(text, str) else key


def table_label(table: str, rules_dir: Path) -> str:
    """「メール」 for ``message``: what a merge moves (``[merge.tables]``); the name when unlabelled."""
    return str(_within(_table("merge", rules_dir), "tables").get(table, table))


def case_status_label(status: str, merged_into: str | None, rules_dir: Path) -> str:
    """A case's status as staff read it: 「統合済み（→ KYOGIKAI-2026-0001）」 for a merged case."""
    if merged_into:
        return merge_text("merged_into", rules_dir, into=merged_into)
    return status_label(status, rules_dir)


def report_text(key: str, rules_dir: Path, **values: object) -> str:
    """What the 状況 page and ``intake report`` say (``[report]`` in labels.toml), the values
    filled in; the key itself when unlabelled."""
    return _section_text("report", key, rules_dir, values)


def accept_text(key: str, rules_dir: Path, **values: object) -> str:
    """What is said about accepting a case, its confirmation and its undoing (``[accept]`` in
    labels.toml), the values filled in; the key itself when unlabelled."""
    return _section_text("accept", key, rules_dir, values)


def accept_label(table: str, key: str, rules_dir: Path) -> str:
    """「法人番号」 for the register's ``corporate_number`` (``[accept.fields]``), 「廃止」 for a
    person's ``removed`` (``[accept.person_status]``); the key itself when unlabelled."""
    return str(_within(_table("accept", rules_dir), table).get(key, key))
