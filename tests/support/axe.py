"""axe-core in the page, under the desk's strict CSP: the engine vendored by ``axe-playwright-python``
is evaluated through Playwright (``page.evaluate`` is not a page script, so ``script-src 'self'``
still holds), then run over the whole document with the WCAG 2.x A/AA rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import axe_playwright_python
from playwright.sync_api import Page

RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}


@cache
def axe_source() -> str:
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Violation:
    page: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page}: {self.rule} ({self.impact}) {self.help} — {', '.join(self.targets[:3])}"


def violations(page: Page, name: str) -> list[Violation]:
    """The serious and critical violations axe finds on the page as it stands."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations', 'passes']})",
        RULE_TAGS,
    )
    assert found["passes"] or found["violations"], f"axe checked nothing on {name}"
    return [
        Violation(
            name,
            item["id"],
            item["impact"],
            item["help"],
            tuple(str(node["target"]) for node in item["nodes"]),
        )
        for item in found["violations"]
        if item["impact"] in BLOCKING
    ]
