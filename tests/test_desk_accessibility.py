"""Every page of the desk is usable by everyone: axe-core (WCAG 2.x A/AA and best practice) finds no
serious or critical violation on any page a signed-in person can reach, in a real headless Chromium
under the desk's strict CSP; every table has a caption and header cells; and the keyboard alone reaches every control, with a visible focus.

The pages are not listed by hand: the test follows every link of the desk from the queue, so a new
page is checked as soon as it is linked. Case pages count once per kind of case (their shape, not
their number), and downloads and sign-out are not followed.
"""

from __future__ import annotations

import mailbox
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, sync_playwright

from support.axe import violations
from support.desk import CHROMIUM, CHROMIUM_ARGS, STAFF, STAFF_PASSWORD, add_staff, desk_server
from support.mailfactory import make_mail
from support.unlocking import PASSWORD, deliver_application, new_mailbox, poll

pytestmark = pytest.mark.e2e

NOT_FOLLOWED = re.compile(r"/logout|/file$|\.zip$|/exports/|/static/|\.(csv|xlsx|eml|docx)$")
MAX_PAGES = 60


def _shape(url: str) -> str:
    """A page's kind: /cases/KYOGIKAI-2026-0001 and /cases/KYOGIKAI-2026-0002 are one shape,
    /?tab=mine and /?tab=robots are two."""
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path + "?" + parts.query)


def _links(page: Page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    inside = (h.split("#")[0] for h in hrefs if h.startswith(origin))
    return [h for h in inside if not NOT_FOLLOWED.search(urlsplit(h).path)]


def _sign_in(page: Page, url: str) -> None:
    page.goto(url + "/")
    page.fill("input[name=name]", STAFF)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(url + "/")


@pytest.fixture
def desk_with_cases(workspace):
    path = new_mailbox(workspace)
    deliver_application(path)
    deliver_application(path, password="another-Pass-2026")
    mailbox.Maildir(path, create=False).add(make_mail(subject="加入申込書の件", body="添付を忘れました。"))
    poll(workspace)
    config = workspace.config()
    add_staff(config)
    with desk_server(config) as desk:
        yield desk


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        yield context.new_page()
        browser.close()


def test_no_page_of_the_desk_has_a_serious_or_critical_accessibility_violation(desk_with_cases, page):
    url = desk_with_cases.url
    page.goto(url + "/")
    found = violations(page, "/login")
    _sign_in(page, url)
    # open the first encrypted form, so the case page shows its fields too
    page.click("table.queue td.id a >> nth=0")
    unlock = page.locator("form[action$='/unlock'] input[name=password]")
    if unlock.count():
        unlock.first.fill(PASSWORD)
        unlock.first.press("Enter")
        page.wait_for_load_state()
    seen: set[str] = set()
    untitled: list[str] = []  # tables without a caption or without header cells
    todo = [url + "/", page.url]
    while todo and len(seen) < MAX_PAGES:
        target = todo.pop(0)
        shape = _shape(target)
        if shape in seen:
            continue
        seen.add(shape)
        page.goto(target)
        found += violations(page, urlsplit(target).path)
        bare = page.eval_on_selector_all(
            "table", "ts => ts.filter(t => !t.querySelector('caption') || !t.querySelector('th')).length"
        )
        untitled += [urlsplit(target).path] * bare
        todo += _links(page, url)
    for missing in ("/cases/NO-SUCH-CASE", "/no-such-page"):
        page.goto(url + missing)
        found += violations(page, missing)
    assert len(seen) >= 9, seen  # the queue's tabs, a case, the outbox, the register, the account
    assert found == [], "\n".join(map(str, found))
    assert untitled == []


def test_the_keyboard_alone_reaches_every_control_of_a_case_with_a_visible_focus(desk_with_cases, page):
    url = desk_with_cases.url
    _sign_in(page, url)
    page.click("table.queue td.id a >> nth=0")
    controls = page.eval_on_selector_all(
        "a[href], button, input:not([type=hidden]), select, textarea, summary",
        "els => els.filter(e => e.offsetParent !== null && !e.disabled).length",
    )
    reached, unmarked = set(), []
    page.locator("body").focus()
    for _ in range(controls + 5):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => { const e = document.activeElement; if (!e || e === document.body) return null;
                 const s = getComputedStyle(e);
                 const marked = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                                || s.boxShadow !== 'none';
                 const key = e.tagName + '|' + (e.name || '') + '|' + (e.getAttribute('href') || '')
                             + '|' + (e.textContent || '').trim().slice(0, 20) + '|' + e.closest('form')?.action;
                 return {key, marked}; }"""
        )
        if focus is None:
            continue
        reached.add(focus["key"])
        if not focus["marked"]:
            unmarked.append(focus["key"])
    assert len(reached) >= controls * 0.9, (len(reached), controls)
    assert unmarked == []


def test_the_check_itself_finds_an_unlabelled_control_and_low_contrast(page):
    page.set_content(
        '<html lang="ja"><head><title>t</title></head><body><main><h1>見出し</h1>'
        '<form><input type="text" name="x"></form>'
        '<p style="color:#ccc;background:#fff">読みにくい文字</p></main></body></html>'
    )
    assert {v.rule for v in violations(page, "sample")} == {"label", "color-contrast"}
