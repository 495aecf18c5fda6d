"""Chromium through Playwright against pytest-django's live server."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories.accounts import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"

# A loaded 2-core CI machine can take more than Playwright's default 5 s for a page.
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    from tests.plugin import require

    require("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def axe_violations(page, *, disable=()):
    """Run axe-core (WCAG 2.x A/AA and best practices) over the page; return its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the pages' strict CSP (script-src
        # 'self') does not govern; an inline <script> tag would be blocked by it.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (disabled) => {
            const rules = Object.fromEntries(disabled.map((id) => [id, {enabled: false}]));
            const r = await axe.run(document, {rules});
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
            }));
        }""",
        list(disable),
    )
    return result


def assert_accessible(page, *, disable=()):
    """Fail with axe-core's findings when the page has any violation."""
    violations = axe_violations(page, disable=disable)
    assert violations == [], f"axe-core violations on {page.url}: {violations}"


def horizontal_overflow(page):
    """Return by how many CSS pixels the page is wider than the viewport (0: no sideways scroll)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def assert_no_sideways_scroll(page):
    """Fail when the page scrolls sideways, naming the widest elements that stick out."""
    overflow = horizontal_overflow(page)
    if overflow > 0:
        culprits = page.evaluate(
            """() => {
                const w = document.documentElement.clientWidth;
                return [...document.querySelectorAll('body *')]
                  .filter((el) => el.getBoundingClientRect().right > w + 1)
                  .slice(0, 8)
                  .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                       + (el.className && typeof el.className === 'string'
                          ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
            }"""
        )
        raise AssertionError(f"{page.url} scrolls sideways by {overflow}px: {culprits}")


def screenshot(page, name: str) -> None:
    """Keep a picture of the page under var/screenshots/ for a person to look at.

    A very tall page (a 65-question score report) keeps its first screens only.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tall = page.evaluate("() => document.documentElement.scrollHeight") > 6000
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=not tall)


def log_in(page, user):
    """Sign in through the login form as a person does, with the factories' password."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def check_both_widths(page, name: str, *, reload: bool = False, check=None) -> None:
    """At desktop and phone width: (reload,) run `check`, screenshot, run axe-core, and on the
    phone require no sideways scroll; then return to desktop width."""
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        if reload:
            page.reload()
        if check:
            check()
        screenshot(page, f"{name}-{label}")
        assert_accessible(page)
        if viewport is PHONE:
            assert_no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)
