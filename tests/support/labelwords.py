"""Codes staff must not meet as words: every code rules/labels.toml gives a label for, and how to
find one standing alone in what a page or a command shows (a browser's visible text outside
``<code>``; a terminal's outside backquotes)."""

from __future__ import annotations

import re
import tomllib

from support.checks_builders import RULES

# Sections of labels.toml that are sentences and words of the page, not codes.
SENTENCES = {"desk", "desk_pages", "merge", "search", "segments", "attached", "report", "accept"}
# An ASCII word standing alone: not part of an address, a file name, a path or an identifier.
WORD = re.compile(r"(?<![A-Za-z0-9_.@/:-])[A-Za-z][A-Za-z0-9_.]*(?![A-Za-z0-9_.@/:-])")
# The page's text outside <code> (and outside what is never shown: scripts, styles).
VISIBLE_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.closest("code, script, style")) parts.push(node.textContent);
  }
  return parts.join(" ");
}"""


def label_codes() -> set[str]:
    """Every code labels.toml gives a label for: finding codes, statuses, kinds, states, formats,
    severities, actions, the parts of a detail, errors' labels and classes…"""
    table = tomllib.loads((RULES / "labels.toml").read_text(encoding="utf-8"))
    codes: set[str] = set()

    def walk(name: str, value: object) -> None:
        if isinstance(value, dict):
            codes.update(k for k, v in value.items() if not isinstance(v, dict))
            for key, inner in value.items():
                walk(f"{name}.{key}", inner)

    codes.update(k for k, v in table.items() if isinstance(v, str))  # the finding codes
    for name, value in table.items():
        if isinstance(value, dict) and name not in SENTENCES:
            walk(name, value)
    return codes


def code_words(text: str) -> set[str]:
    """The codes of labels.toml that stand as words in ``text``."""
    return set(WORD.findall(text)) & label_codes()
