"""rules/labels.toml is complete: every code staff could read — a status, a kind, an attachment's
state and format, a reply's state, a finding and its severity, an audit action and the parts of its
detail, a reason for no automatic reply, an error — has its Japanese label there.

The codes are taken from the code itself (its constants, its tables' documented values, and its
source read as a syntax tree: the actions it records, the states it sets, the labels its errors
carry), so a new code without a label fails here, not in front of staff.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import string
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

import intake
from intake.cases.scans import DETECTED, NOT_SCANNED
from intake.checks.base import SEVERITIES
from intake.config import KINDS
from intake.db.tables import Attachment, OutboxReply, RegisteredPerson
from intake.errors import IntakeError
from intake.mail import robots
from intake.secretariat import labels
from intake.secretariat.actions import DECISIONS
from intake.secretariat.statuses import STATUSES
from support.checks_builders import RULES

PACKAGE = Path(intake.__file__).resolve().parent
LABELS = RULES / "labels.toml"

# Modules whose refusals staff meet on the desk and on the command line: each error they raise
# names its wording in [errors] (``label=``), so none reaches staff as an English line alone.
STAFF_FACING = (
    "secretariat/actions.py",
    "secretariat/owners.py",
    "secretariat/merging.py",
    "secretariat/separating.py",
    "secretariat/register/accepting.py",
    "secretariat/register/file.py",
    "secretariat/users.py",
    "secretariat/privacy/matching.py",
    "replies/outbox.py",
    "cases/unlock.py",
    "cases/password_mail.py",
)
# States that are set in the code but never shown to staff as words: a quarantine entry's (the
# quarantine page lists only open ones), a server's ``ok``/``never`` (only a failing one is said, by
# [server_states]) and a doctor's check (an operator's tool, in English).
NOT_SHOWN_STATES = {"open", "reprocessed", "erased", "ok", "never", "fail"}


@cache
def table() -> dict:
    return tomllib.loads(LABELS.read_text(encoding="utf-8"))


def section(name: str) -> dict:
    found = table()
    for part in name.split("."):
        found = found.get(part, {})
    return found


def unlabelled(codes, name: str) -> list[str]:
    return sorted(set(codes) - set(section(name)))


@cache
def sources() -> dict[str, ast.Module]:
    """Every module of the package as a syntax tree, by its path under intake/."""
    return {
        str(path.relative_to(PACKAGE)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def constants(node: ast.AST | None) -> Iterator[str]:
    """The strings an expression can be: a constant, either side of ``a if c else b``, a tuple's."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from constants(node.body)
        yield from constants(node.orelse)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from constants(element)


def calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    """Calls of ``name`` or ``something.name``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called == name:
                yield node


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


# -- statuses, kinds, states, formats -------------------------------------------------------------


def test_every_status_and_kind_has_a_label() -> None:
    assert unlabelled(STATUSES, "statuses") == []
    assert unlabelled(KINDS, "kinds") == []


def _documented(cls, column: str) -> set[str]:
    """The values a table's column documents in its comment (``state: str = ...  # a | b | c``)."""
    line = next(line for line in inspect.getsource(cls).splitlines() if line.strip().startswith(f"{column}:"))
    return set(re.findall(r"[a-z_]+", line.split("#", 1)[1]))


def _states_set_in_code() -> dict[str, set[str]]:
    """Every string the code sets a ``.state`` to, compares one with, or passes as ``state=``."""
    found: dict[str, set[str]] = defaultdict(set)
    for path, tree in sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    pairs = (
                        zip(target.elts, node.value.elts, strict=False)
                        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                        else [(target, node.value)]
                    )
                    for one, value in pairs:
                        if isinstance(one, ast.Attribute) and one.attr == "state":
                            for code in constants(value):
                                found[code].add(path)
            elif (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Attribute)
                and node.left.attr == "state"
            ):
                for code in (c for comparator in node.comparators for c in constants(comparator)):
                    found[code].add(path)
            elif isinstance(node, ast.keyword) and node.arg == "state":
                for code in constants(node.value):
                    found[code].add(path)
    return found


def test_every_attachment_state_and_format_has_a_label() -> None:
    assert unlabelled(_documented(Attachment, "state"), "attachment_states") == []
    assert unlabelled(_documented(Attachment, "format"), "formats") == []
    triage = sources()["documents/triage.py"]
    made = {
        code for call in calls(triage, "Triage") for code in constants(call.args[0] if call.args else None)
    }
    assert made and unlabelled(made, "formats") == []


def test_every_reply_state_and_register_person_status_has_a_label() -> None:
    assert unlabelled(_documented(OutboxReply, "state"), "reply_states") == []
    assert unlabelled(_documented(RegisteredPerson, "status"), "person_statuses") == []


def test_every_state_the_code_sets_is_labelled_or_never_shown() -> None:
    shown = set(section("attachment_states")) | set(section("reply_states")) | set(section("server_states"))
    found = _states_set_in_code()
    assert found, "the scan found no states at all"
    missing = {code: sorted(paths) for code, paths in found.items() if code not in shown | NOT_SHOWN_STATES}
    assert missing == {}


# -- findings ------------------------------------------------------------------------------------


def test_every_finding_code_and_severity_has_a_label() -> None:
    catalogue = tomllib.loads((RULES / "findings.toml").read_text(encoding="utf-8"))
    finding_labels = {k for k, v in table().items() if isinstance(v, str)}
    assert sorted(set(catalogue) - finding_labels) == []
    severities = {entry["severity"] for entry in catalogue.values()} | set(SEVERITIES)
    assert unlabelled(severities, "severities") == []


# -- mail and replies ----------------------------------------------------------------------------


def test_every_reason_for_no_automatic_reply_has_a_label() -> None:
    reasons = {reason for reason, _ in robots._CHECKS} | robots.AUTOMATED
    assert unlabelled(reasons, "no_reply_reasons") == []


def test_every_protection_decision_and_password_source_has_a_label() -> None:
    crypto = sources()["mail/crypto/__init__.py"]
    schemes = {code for call in calls(crypto, "_signed") for code in constants(call.args[1])}
    schemes |= {code for node in ast.walk(crypto) if isinstance(node, ast.keyword) and node.arg == "scheme"
                for code in constants(node.value)}  # fmt: skip
    assert schemes and unlabelled(schemes, "protections") == []
    assert unlabelled(DECISIONS, "decisions") == []
    vias = {code for tree in sources().values() for node in ast.walk(tree)
            if isinstance(node, ast.keyword) and node.arg == "via" for code in constants(node.value)}  # fmt: skip
    vias |= {"staff"}  # open_attachment's default
    assert unlabelled(vias, "via") == []


def test_every_line_opening_a_file_can_say_has_a_label() -> None:
    unlock = sources()["cases/unlock.py"]
    keys = set()
    for function in _functions(unlock):
        for call in (c for name in ("Said", "said") for c in calls(function, name)):
            first = call.args[0]
            keys |= set(constants(first)) | set(
                _resolve(first.id, function, unlock) or [] if isinstance(first, ast.Name) else []
            )
    assert {"fields_read", "people_read", "macro"} <= keys
    assert unlabelled(keys, "unlock") == []
    assert unlabelled(("application", "staff_registration"), "unlock.documents") == []


# -- the audit log -------------------------------------------------------------------------------


def _module_constants(tree: ast.Module) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                values = (
                    node.value.elts if isinstance(node.value, ast.Tuple) and len(names) > 1 else [node.value]
                )
                for name, value in zip(
                    names, values * len(names) if len(values) == 1 else values, strict=False
                ):
                    if isinstance(name, ast.Name):
                        found[name.id] = list(constants(value))
    return found


def _imported(tree: ast.Module, name: str) -> list[str]:
    """A constant imported from another module of the package."""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("intake."):
            if any(alias.name == name for alias in node.names):
                path = node.module.removeprefix("intake.").replace(".", "/")
                other = sources().get(f"{path}.py") or sources().get(f"{path}/__init__.py")
                return _module_constants(other).get(name, []) if other else []
    return []


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef]:
    yield from (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef))


def _resolve(name: str, function: ast.FunctionDef, tree: ast.Module) -> list[str] | None:
    """The strings a name can hold where ``audit.record`` is called: a local assignment, a parameter
    (what the module's calls of the function pass), a constant of the module or imported."""
    local = [
        code
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        for code in constants(node.value)
    ]
    if local:
        return local
    parameters = [a.arg for a in function.args.args]
    if name in parameters:
        position = parameters.index(name)
        passed = []
        for caller in _functions(tree):
            for call in calls(caller, function.name):
                value = keyword(call, name)
                value = (
                    value
                    if value is not None
                    else (call.args[position] if position < len(call.args) else None)
                )
                passed += list(constants(value))
                if isinstance(value, ast.Name) and caller is not function:  # passed on from the caller's own
                    passed += _resolve(value.id, caller, tree) or []
        return passed or None
    return _module_constants(tree).get(name) or _imported(tree, name) or None


def recorded_actions() -> tuple[set[str], list[str]]:
    """The actions of every ``audit.record(...)`` call, and the calls whose action the scan could
    not resolve (``path:line``)."""
    actions: set[str] = set()
    unresolved: list[str] = []
    for path, tree in sources().items():
        for function in _functions(tree):
            for call in calls(function, "record"):
                if not (
                    isinstance(call.func, ast.Attribute) and getattr(call.func.value, "id", "") == "audit"
                ):
                    continue
                value = keyword(call, "action")
                found = list(constants(value))
                if not found and isinstance(value, ast.Name):
                    found = _resolve(value.id, function, tree) or []
                if found:
                    actions |= set(found)
                else:
                    unresolved.append(f"{path}:{call.lineno}")
    return actions, unresolved


def test_every_audit_action_recorded_has_a_label() -> None:
    actions, unresolved = recorded_actions()
    # ClamAV's verdicts carry their action with them (scanning.record's loop): they are these two
    assert unresolved == ["cases/scanning.py:77"]
    actions |= {DETECTED, NOT_SCANNED}
    assert {"message_received", "unlock_refused", "status", "unlocked", "assigned", "taken"} <= actions
    allowed_unshown = {
        # entries with no case: never in a case's history (intake audit lists them with their codes)
        "desk_user_added",
        "desk_user_password",
        "desk_user_disabled",
        "desk_sign_in_refused",
        "register.import",
        "retention.person",
    }
    assert unlabelled(actions - allowed_unshown, "actions") == []


def _detail_keys() -> set[str]:
    """The keys of the JSON objects the audit log's details are made of."""
    keys: set[str] = set()
    for tree in sources().values():
        for function in _functions(tree):
            records = [c for c in calls(function, "record") if keyword(c, "detail") is not None]
            dicts: list[ast.Dict] = []
            for call in records:
                value = keyword(call, "detail")
                if isinstance(value, ast.Dict):
                    dicts.append(value)
                elif isinstance(value, ast.Name):
                    dicts += [
                        node.value
                        for node in ast.walk(function)
                        if isinstance(node, ast.Assign)
                        and isinstance(node.value, ast.Dict)
                        and any(isinstance(t, ast.Name) and t.id == value.id for t in node.targets)
                    ]
            for call in calls(function, "_audit"):  # the unlock's entries, filled in by its helper
                dicts += [arg for arg in call.args if isinstance(arg, ast.Dict)]
            for node in dicts:
                keys |= {
                    k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
                }
        for function in _functions(tree):  # what a merge's and an unlock's lines write of themselves
            if function.name == "as_detail":
                for node in ast.walk(function):
                    if isinstance(node, ast.Dict):
                        keys |= {k.value for k in node.keys if isinstance(k, ast.Constant)}
    return keys


def test_every_part_of_an_audit_detail_has_a_name() -> None:
    keys = _detail_keys()
    assert {"message", "source", "attachment", "via", "attempt", "read", "from", "to", "said"} <= keys
    allowed_unnamed = {"person_id", "removed_at"}  # retention.person: an entry with no case
    assert unlabelled(keys - allowed_unnamed, "details") == []


def test_every_section_a_detail_value_is_said_by_exists() -> None:
    for key, name in section("details.values").items():
        assert section(name), f"[details.values] {key} names [{name}], which is not in labels.toml"
    for key, name in section("errors.values").items():
        assert section(name), f"[errors.values] {key} names [{name}], which is not in labels.toml"


# -- errors --------------------------------------------------------------------------------------


@cache
def error_classes() -> list[type[IntakeError]]:
    """Every error class of the package (every module imported, then the subclasses walked)."""
    for module in pkgutil.walk_packages([str(PACKAGE)], prefix="intake."):
        if ".migrations." not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, todo = [], [IntakeError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted(set(found), key=lambda c: c.__name__)


def test_every_error_class_has_a_wording() -> None:
    classes = error_classes()
    assert len(classes) > 20  # the walk found the package's errors, not only intake.errors'
    assert [c.__name__ for c in classes if c.__name__ not in section("errors")] == []


def _labelled_raises() -> dict[tuple[str, str], set[str]]:
    """(section, label) of every error raised with a label, with the values its raises give."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for tree in sources().values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            label = keyword(node, "label")
            if name == "MergeRefused" and node.args:
                for code in constants(node.args[0]):
                    found[("merge", code)] |= {k.arg for k in node.keywords if k.arg}
            elif label is not None:
                for code in constants(label):
                    found[("errors", code)] |= {k.arg for k in node.keywords if k.arg and k.arg != "label"}
    return found


def test_every_error_label_has_a_wording_and_fills_in_only_what_is_given() -> None:
    raised = _labelled_raises()
    assert ("errors", "no_case") in raised and ("merge", "refused_itself") in raised
    for (name, label), given in sorted(raised.items()):
        wording = section(name).get(label)
        assert isinstance(wording, str), f"[{name}] {label}: no wording"
        wanted = {field for _, field, _, _ in string.Formatter().parse(wording) if field}
        assert wanted <= given, f"[{name}] {label} names {wanted - given}, which its raise does not give"


@pytest.mark.parametrize("path", STAFF_FACING)
def test_every_refusal_staff_meet_says_its_wording(path: str) -> None:
    tree = sources()[path]
    bare = [
        f"{path}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and getattr(node.exc.func, "id", "")
        not in ("ValueError", "TypeError", "AssertionError", "MergeRefused")
        and keyword(node.exc, "label") is None
    ]
    assert bare == []


def test_an_error_is_said_in_japanese_and_falls_back_to_its_class() -> None:
    from intake.errors import NotFound, WrongPassword
    from intake.secretariat.actions import get_case  # noqa: F401  (the raise the wording belongs to)

    said = labels.error_text(NotFound("no case X", label="no_case", case="KYOGIKAI-2026-0001"), RULES)
    assert said == "案件 KYOGIKAI-2026-0001 はありません。"
    moved = IntakeError("x", label="status_not_allowed", case="C", before="new", after="accepted",
                        allowed=["ready_for_review", "closed"])  # fmt: skip
    assert (
        labels.error_text(moved, RULES)
        == "C を「新規」から「受理」に変えることはできません（変更できる状態: 確認待ち、完了）。"
    )
    assert labels.error_text(WrongPassword("wrong"), RULES) == "パスワードが違います。"


def test_the_desk_says_only_what_desk_text_has() -> None:
    said = {
        code
        for path, tree in sources().items()
        if path.startswith("desk/")
        for call in calls(tree, "text")
        if isinstance(call.func, ast.Attribute) and getattr(call.func.value, "id", "") == "desk"
        for code in constants(call.args[0] if call.args else None)
    }
    said |= {  # desk.refuse(request, status, key): a refusal page
        code
        for path, tree in sources().items()
        if path.startswith("desk/")
        for call in calls(tree, "refuse")
        for code in constants(call.args[2] if len(call.args) > 2 else None)
    }
    assert {"status_changed", "opened", "sign_in_again"} <= said
    assert unlabelled(said, "desk") == []


# -- the test itself fails on a missing label ----------------------------------------------------


def test_a_missing_label_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove one label of each kind: each test above then names it."""
    text = LABELS.read_text(encoding="utf-8")
    for line in (
        'unlock_refused = "開封を拒否"\n',
        'held = "保留（確認待ち）"\n',
        'no_case = "案件 {case} はありません。"\n',
    ):
        assert line in text
        text = text.replace(line, "")
    monkeypatch.setitem(globals(), "LABELS", tmp_path / "labels.toml")
    (tmp_path / "labels.toml").write_text(text, encoding="utf-8")
    table.cache_clear()
    try:
        actions, _ = recorded_actions()
        assert "unlock_refused" in unlabelled(actions, "actions")
        assert "held" in unlabelled(_documented(OutboxReply, "state"), "reply_states")
        with pytest.raises(AssertionError, match="no_case"):
            test_every_error_label_has_a_wording_and_fills_in_only_what_is_given()
    finally:
        table.cache_clear()
