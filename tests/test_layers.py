"""The direction of the code: every import points down the layers, and no module comes back to
itself through others — imports inside functions counted too, so none can hide a cycle.

Layers, lowest first (the README's layout table names the same rooms):

* foundation — errors, config, clock, resources, a message's time budget (and the package itself);
* libraries that take facts and return results — mail, documents, forms, checks;
* storage — the database (engine, tables, migrations, audit), the archive, and access to mail
  servers (TLS, passwords and tokens, server health);
* services on storage — mail sources, replies (outbox, sender, planning);
* case operations — ingest, threads, unlock, passwords phoned in ahead, refresh, facts;
* the runner (poll, service, quarantine) and the secretariat's work (staff actions, register, views,
  exports), which the command line and the desk share;
* tools, the command line (with its quick front for the read-only commands) and the desk (the web
  application `intake desk` starts).
"""

from __future__ import annotations

import ast
from pathlib import Path

import intake

PACKAGE = Path(intake.__file__).resolve().parent
LAYERS: tuple[tuple[str, ...], ...] = (
    ("intake", "intake.errors", "intake.config", "intake.clock", "intake.resources", "intake.budget"),
    ("intake.mail", "intake.documents", "intake.forms", "intake.checks"),
    ("intake.db", "intake.archive", "intake.access"),
    ("intake.sources", "intake.replies"),
    ("intake.cases",),
    ("intake.runner", "intake.secretariat"),
    ("intake.tools", "intake.cli", "intake.desk", "intake.quick", "intake.__main__"),
)


def _in_commands(module: str, *targets: str) -> dict[tuple[str, str], str]:
    """A command module's imports made inside its commands (tests/test_startup.py shows the effect)."""
    reason = "loaded by the command that uses it: --help and the other commands start without it"
    return {(module, target): reason for target in targets}


#: Imports made inside functions on purpose, each with its reason; anything else is moved up.
LAZY = {
    ("intake.sources.imap", "intake.sources.imap.reader"): "imapclient only when an IMAP mailbox is polled",
    ("intake.sources.imap", "intake.sources.imap.idle"): "the same for intake run's IDLE watcher",
    ("intake.sources.imap", "intake.sources.imap.probe"): "the same for intake doctor",
    (
        "intake.sources.graph",
        "intake.sources.graph.reader",
    ): "httpx and MSAL only when a Graph mailbox is polled",
    ("intake.sources.graph", "intake.sources.graph.probe"): "the same for intake doctor",
    (
        "intake.replies.sender",
        "intake.sources.graph.sender",
    ): "httpx and MSAL only when replies go through Graph",
    (
        "intake.cli.desk",
        "intake.desk.server",
    ): "the web stack (Starlette, uvicorn) loads only for intake desk",
    ("intake.cli.servers", "intake.tools.doctor"): "the doctor's checks load only for intake doctor",
    ("intake.cli", "intake.runner.poller"): "the wording of a database error, when a command meets one",
    ("intake.quick", "intake.cli"): "the full command line only when the running service did not answer",
    (
        "intake.quick",
        "intake.quick.queue",
    ): "rich and the labels only when the queue is read from the database",
    ("intake.quick", "intake.quick.outbox"): "rich only when the outbox is read from the database",
    ("intake.quick", "intake.quick.status"): "rich only when the status is read from the database",
    (
        "intake.quick",
        "intake.quick.show",
    ): "rich and the mail parser only when a case is read from the database",
    ("intake.quick", "intake.quick.audit"): "rich only when the audit log is read from the database",
    ("intake.quick", "intake.quick.direct"): "sqlite3 only when no service answered",
    ("intake.cli.answering", "intake.cli.app"): "the application, once the service starts answering",
    **_in_commands("intake.cli.mail", "intake.cli.answering"),
    **_in_commands("intake.cli.desk", "intake.cli.answering"),
    ("intake.cli.runtime", "intake.config"): "the configuration (pydantic) when a command first reads it",
    ("intake.cli.runtime", "intake.db"): "the database (SQLAlchemy) when a command first opens it",
    **_in_commands("intake.cli.backup", "intake.db", "intake.tools.backup"),
    **_in_commands(
        "intake.cli.cases",
        "intake.secretariat.views",
        "intake.secretariat.labels",
        "intake.secretariat.servers",
        "intake.secretariat.actions",
        "intake.secretariat.merging",
        "intake.secretariat.separating",
        "intake.forms",
    ),
    **_in_commands(
        "intake.cli.cases", "intake.secretariat.owners", "intake.secretariat.digest", "intake.replies.sender"
    ),
    **_in_commands("intake.cli.desk", "intake.secretariat.users"),
    **_in_commands("intake.cli.report", "intake.secretariat.report", "intake.secretariat.report_tables"),
    **_in_commands(
        "intake.cli.mail",
        "intake.checks.rules",
        "intake.db",
        "intake.secretariat.views",
        "intake.runner.poller",
        "intake.runner.quarantine",
        "intake.runner.service",
        "intake.replies.staff_templates",
    ),
    **_in_commands(
        "intake.cli.register",
        "intake.cases.organisations",
        "intake.secretariat.exports",
        "intake.secretariat.register",
    ),
    **_in_commands(
        "intake.cli.replies",
        "intake.db.tables",
        "intake.secretariat.views",
        "intake.replies.outbox",
        "intake.replies.sender",
        "intake.replies.staff",
        "intake.replies.staff_templates",
        "intake.secretariat.replying",
    ),
    **_in_commands(
        "intake.cli.servers",
        "intake.access.oauth",
        "intake.access.tokens",
        "intake.secretariat.servers",
        "intake.secretariat.labels",
    ),
    **_in_commands("intake.cli.servers", "intake.secretariat.views", "intake.config"),
    **_in_commands(
        "intake.cli.privacy",
        "intake.db.tables",
        "intake.secretariat.privacy.erasure",
        "intake.secretariat.privacy.matching",
        "intake.secretariat.privacy.person",
        "intake.secretariat.privacy.retention",
    ),
    **_in_commands("intake.cli.search", "intake.cases.indexing", "intake.secretariat.search"),
    **_in_commands("intake.cli.service", "intake.config", "intake.tools.service"),
    **_in_commands(
        "intake.cli.tools",
        "intake.secretariat.users",
        "intake.tools.demo",
        "intake.tools.demo_serve",
        "intake.tools.service",
        "intake.desk.server",
        "intake.db.tables",
        "intake.tools.containers_corpus",
        "intake.tools.forms_corpus",
        "intake.tools.office_corpus",
        "intake.tools.sweep",
    ),
    **_in_commands(
        "intake.cli.unlock",
        "intake.cases.expected",
        "intake.cases.organisations",
        "intake.cases.password_mail",
        "intake.cases.unlock",
        "intake.db.tables",
    ),
    (
        "intake.secretariat.views",
        "intake.archive",
    ): "the mail parser for a case's messages, not for the queue",
    (
        "intake.secretariat.views",
        "intake.cases.formrows",
    ): "the forms library for a case's fields, not the queue",
    (
        "intake.secretariat.views",
        "intake.cases.scans",
    ): "what ClamAV said of a case's files (the checks' facts), not the queue",
    (
        "intake.secretariat.actions",
        "intake.secretariat.register",
    ): "the register and its checks when a case is accepted",
    (
        "intake.secretariat.accepting",
        "intake.secretariat.register",
    ): "the same, to show or undo an acceptance",
    **_in_commands("intake.cli.accepting", "intake.secretariat.accepting", "intake.secretariat.actions"),
    **_in_commands("intake.cli.accepting", "intake.secretariat.labels"),
    **_in_commands("intake.cli.cases", "intake.secretariat.accepting"),
    (
        "intake.archive",
        "intake.mail.readable",
    ): "the keys and the configuration to read a message, not to keep one",
    ("intake.cases.unlock", "intake.archive"): "the mail parser to open a file, not to list what waits",
    ("intake.cases.unlock", "intake.cases.refresh"): "the checks and replies to open a file, not to list",
    ("intake.cases.password_mail", "intake.archive"): "the mail parser to read a password, not to place mail",
    ("intake.cases.password_mail", "intake.cases.refresh"): "the checks and replies once a file is opened",
    (
        "intake.secretariat.views",
        "intake.cases.password_mail",
    ): "the mails carrying a password, on a case's page",
    ("intake.forms.writer", "intake.forms.wordxml"): "python-docx only when a form is written (tests, demo)",
    ("intake.replies.outbox", "intake.replies.compose"): "Jinja2 to write a reply, not to list the outbox",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts or p.name == "env.py"
}


def layer(module: str) -> int:
    best = max((prefix for group in LAYERS for prefix in group if _within(module, prefix)), key=len)
    return next(i for i, group in enumerate(LAYERS) if best in group)


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".") and prefix != "intake"


def imports(module: str) -> list[tuple[str, bool]]:
    """The intake modules ``module`` imports, each with whether it is imported inside a function;
    ``if TYPE_CHECKING:`` blocks are left out (they never run)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []
    _visit(tree, module, inside_function=False, found=found)
    return found


def _visit(node: ast.AST, module: str, *, inside_function: bool, found: list[tuple[str, bool]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            continue
        if isinstance(child, ast.Import):
            found += [(a.name, inside_function) for a in child.names if a.name.startswith("intake")]
        elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("intake"):
            found += [(_target(child.module, a.name), inside_function) for a in child.names]
        function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        _visit(child, module, inside_function=inside_function or function, found=found)


def _target(package: str, name: str) -> str:
    """``from intake.x import y``: the module intake.x.y when there is one, else intake.x."""
    return f"{package}.{name}" if f"{package}.{name}" in MODULES else package


def graph() -> dict[str, set[str]]:
    return {m: {target for target, _ in imports(m) if target in MODULES} for m in MODULES}


def test_every_module_has_a_layer():
    assert all(layer(m) >= 0 for m in MODULES)
    assert layer("intake.cases.ingest") > layer("intake.db.tables") > layer("intake.mail.parse")


def test_imports_point_down_the_layers():
    upward = [
        f"{m} (layer {layer(m)}) imports {t} (layer {layer(t)})"
        for m, targets in graph().items()
        for t in targets
        if layer(t) > layer(m)
    ]
    assert upward == []


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_imports_inside_functions_are_only_the_listed_lazy_ones():
    inside = {(m, t) for m in MODULES for t, in_function in imports(m) if in_function}
    assert inside == set(LAZY)


def test_the_top_of_the_package_holds_few_modules_and_every_subpackage_says_what_lives_there():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top
    for init in PACKAGE.rglob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        summary = doc.split("\n\n")[0]
        assert summary and len(summary.splitlines()) <= 2, f"{init}: {summary!r}"
