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
    return _section_text("merge", key, rules_dir, values)


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


def code_label(section: str, code: str | None, rules_dir: Path) -> str:
    """A code as staff read it, from one section of labels.toml (``[attachment_states]``,
    ``[formats]``, ``[reply_states]``, ``[severities]``, ``[no_reply_reasons]``, ``[decisions]``…);
    the code itself when unlabelled, nothing for no code."""
    if not code:
        return ""
    first, *rest = section.split(".")
    table = _table(first, rules_dir)
    for name in rest:  # a nested section: "merge.tables"
        table = _within(table, name)
    return str(table.get(code, code))


def error_text(error: Exception, rules_dir: Path) -> str:
    """What staff read of an error: its label's wording (``[errors]``, or the section the error's
    class names, such as ``[merge]``) filled in with its values; else its class's wording in
    ``[errors]`` (the nearest labelled class of its family)."""
    label, values = getattr(error, "label", None), getattr(error, "values", {}) or {}
    section = _table(getattr(type(error), "labels_section", "errors"), rules_dir)
    if label and isinstance(section.get(label), str):
        return _filled(str(section[label]), values, rules_dir)
    errors = _table("errors", rules_dir)
    for cls in type(error).__mro__:
        if isinstance(errors.get(cls.__name__), str):
            return _filled(str(errors[cls.__name__]), {"message": str(error)}, rules_dir)
    return str(error)


def _filled(text: str, values: dict, rules_dir: Path) -> str:
    """``text`` with its ``{names}`` filled in, each value that is a code (a status, a kind…) said
    by the section ``[errors.values]`` names for it."""
    sections = _within(_table("errors", rules_dir), "values")
    said = {}
    for name, value in values.items():
        section = sections.get(name)
        if isinstance(section, str) and isinstance(value, list | tuple):
            said[name] = "、".join(code_label(section, str(v), rules_dir) for v in value) or "なし"
        elif isinstance(section, str) and isinstance(value, str):
            said[name] = code_label(section, value, rules_dir)
        else:
            said[name] = value
    try:
        return text.format(**said)
    except (KeyError, IndexError):  # a wording edited to name a value the error does not carry
        return text


def text(section: str, key: str, rules_dir: Path, **values: object) -> str:
    """A sentence of one section of labels.toml (``[desk]``, ``[unlock]``, ``[show]``…), filled in;
    the key itself when unlabelled."""
    return _section_text(section, key, rules_dir, values)


# Parts of a detail that are a machine's words, shown as they are (the desk sets them as code): where
# a message was read from, a server's or a scanner's error, a template's or a signature's name.
TECHNICAL = frozenset({"source", "error", "address", "template", "signature", "reason"})


def detail_lines(action: str, detail: str, rules_dir: Path) -> list[tuple[str, str, bool]]:
    """An audit entry's detail as staff read it in the case history: a JSON object as
    (name, value, technical) triples, each key named by ``[details]`` and each value that is a code
    said by the section ``[details.values]`` names for it (``technical``: a machine's words, see
    :data:`TECHNICAL`); any other text as it is (a note's words)."""
    import json

    try:
        data = json.loads(detail) if detail.startswith("{") else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return [("", detail, False)] if detail else []
    names = _table("details", rules_dir)
    return [
        (str(names.get(key, key)), _detail_value(action, key, value, rules_dir), key in TECHNICAL)
        for key, value in data.items()
        if value not in (None, "", [], {})
    ]


def _value_section(action: str, key: str, rules_dir: Path) -> str | None:
    sections = _within(_table("details", rules_dir), "values")
    section = sections.get(f"{action}.{key}", sections.get(key))
    return section if isinstance(section, str) else None


def _detail_value(action: str, key: str, value: object, rules_dir: Path) -> str:
    section = _value_section(action, key, rules_dir)
    if isinstance(value, dict) and "said" in value:  # a line of what opening a file found
        return unlock_text(value, rules_dir)
    if isinstance(value, dict):
        parts = (
            f"{code_label(section, k, rules_dir) if section else k} {_plain(v)}" for k, v in value.items()
        )
        return "、".join(parts)
    if isinstance(value, list):
        return "、".join(_detail_value(action, key, item, rules_dir) for item in value)
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if section and isinstance(value, str):
        return code_label(section, value, rules_dir)
    return str(value)


def _plain(value: object) -> str:
    """A value inside a detail's object: a list of ids as 「1、2」."""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def unlock_text(said: dict, rules_dir: Path) -> str:
    """One line of what opening a file found (``[unlock]``): the form named, the counts, the state."""
    values = {k: v for k, v in said.items() if k != "said"}
    if "document" in values:
        values["document"] = code_label("unlock.documents", str(values["document"]), rules_dir)
    if "format" in values:
        values["format"] = code_label("formats", str(values["format"]), rules_dir)
    if "state" in values:
        values["state"] = code_label("attachment_states", str(values["state"]), rules_dir)
    template = _table("unlock", rules_dir).get(str(said.get("said")))
    if not isinstance(template, str):
        return str(said.get("said"))
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
