"""A sweep over a folder of .docx files: the check boxes and content controls intake reads.

Used on real-world files (``scripts/check_docx_corpus.py FOLDER``) to see, file by file, every
legacy form check box and content-control check box with its state and the text next to it,
every text content control, and any error. Nothing raises: a file that cannot be read is
reported with its error (e.g. Strict Open XML is reported as unsupported).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from intake.errors import DocumentError
from intake.forms.docxml import Block, Paragraph, iter_tables, read_body
from intake.forms.extract import open_docx
from intake.forms.inline import Box, Piece

_SKIP_SUFFIXES = {".tsv", ".md", ".txt"}
_DETAILED = ("legacy_field", "content_control")


@dataclass
class BoxSeen:
    """One check box: style, state, and the text that follows it."""

    style: str
    ticked: bool
    label: str


@dataclass
class FileReport:
    """What one file holds (or why it could not be read)."""

    name: str
    error: str | None = None
    boxes: list[BoxSeen] = field(default_factory=list)
    text_controls: list[tuple[str, str, bool]] = field(default_factory=list)  # kind, text, placeholder
    legacy_text_fields: int = 0
    tables: int = 0

    def count(self, style: str) -> int:
        return sum(1 for b in self.boxes if b.style == style)


def corpus_report(folder: Path) -> list[FileReport]:
    """One report per file of ``folder`` (sorted by name; .tsv/.md/.txt files skipped)."""
    files = sorted(
        p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() not in _SKIP_SUFFIXES
    )
    return [report_file(path) for path in files]


def report_file(path: Path) -> FileReport:
    """The report of one file; errors are caught and reported, never raised."""
    report = FileReport(path.name)
    try:
        body = read_body(open_docx(path.read_bytes()))
    except DocumentError as exc:
        report.error = str(exc)
        return report
    except Exception as exc:  # a sweep must go on: report what broke
        report.error = f"internal error: {type(exc).__name__}: {exc}"
        return report
    report.boxes = list(_boxes(body.blocks))
    for control in body.controls:
        if control.kind == "legacy_text":
            report.legacy_text_fields += 1
        elif control.kind not in ("checkbox", "legacy_checkbox"):
            report.text_controls.append((control.kind, control.text.strip(), control.placeholder))
    report.tables = sum(1 for _ in iter_tables(body.blocks))
    return report


def _boxes(blocks: list[Block]) -> Iterator[BoxSeen]:
    for pieces in _piece_lists(blocks):
        for i, piece in enumerate(pieces):
            if isinstance(piece, Box):
                yield BoxSeen(piece.style, piece.ticked, _label_for(pieces, i))


def _piece_lists(blocks: list[Block]) -> Iterator[list[Piece]]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.pieces
            continue
        for row in block.rows:
            for cell in row.cells:
                yield cell.pieces
                yield from _piece_lists(list(cell.tables))


def _label_for(pieces: list[Piece], index: int) -> str:
    """The text after the box (up to the next box); if none, ``"← "`` and the text before it."""
    after = _text_until_box(pieces[index + 1 :])
    if after:
        return after[:40]
    before = _text_until_box(reversed(pieces[:index]), reverse=True)
    return f"← {before[-40:]}" if before else ""


def _text_until_box(pieces: Iterable[Piece], reverse: bool = False) -> str:
    text: list[str] = []
    for piece in pieces:
        if isinstance(piece, Box):
            break
        text.append(piece)
    joined = "".join(reversed(text) if reverse else text)
    return " ".join(joined.split())


def format_report(reports: list[FileReport]) -> str:
    """Human-readable text: one section per file, then totals."""
    lines: list[str] = []
    for r in reports:
        lines.append(f"== {r.name}")
        if r.error:
            lines.append(f"   ERROR: {r.error}")
            continue
        lines.append(
            f"   tables {r.tables}; legacy check boxes {r.count('legacy_field')}, content-control check boxes "
            f"{r.count('content_control')}, glyph boxes {r.count('glyph')}, symbol boxes {r.count('symbol')}; "
            f"text controls {len(r.text_controls)}; legacy text fields {r.legacy_text_fields}"
        )
        for box in r.boxes:
            if box.style in _DETAILED:
                mark = "☑" if box.ticked else "☐"
                lines.append(f"   {box.style:<15} {mark} {box.label!r}")
        for kind, text, placeholder in r.text_controls:
            shown = "(placeholder) " if placeholder else ""
            lines.append(f"   text control    {kind:<12} {shown}{text[:50]!r}")
    lines.append(_totals(reports))
    return "\n".join(lines)


def _totals(reports: list[FileReport]) -> str:
    ok = [r for r in reports if not r.error]
    boxes = [b for r in ok for b in r.boxes if b.style in _DETAILED]
    ticked = sum(1 for b in boxes if b.ticked)
    controls = sum(len(r.text_controls) for r in ok)
    return (
        f"-- {len(reports)} files, {len(ok)} read, {len(reports) - len(ok)} with errors; "
        f"{len(boxes)} legacy/content-control check boxes ({ticked} ticked, {len(boxes) - ticked} not); "
        f"{controls} text content controls"
    )
