"""Review screen, results (exam, practice, drill) and the student dashboard in Chromium."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from exams.models import Attempt, Blueprint
from exams.services import answer_save, attempt_start, attempt_submit, item_flag_set
from tests.browser.conftest import (
    AXE_SCRIPT,
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
)
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import C02_FOR, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/f_shots")
MARKDOWN_STEM = (
    "A developer runs `aws s3 cp` with **this** policy:\n\n"
    '```json\n{{"Effect": "Deny", "Sid": "S{n}"}}\n```\n\nWhat happens?'
)


@pytest.fixture
def page(browser, live_server):
    """A page with axe-core preloaded: the site's CSP (rightly) refuses an injected script tag."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE_SCRIPT))
    yield context.new_page()
    context.close()


def log_in(page, live_server, user) -> None:
    """Give the browser a logged-in session cookie (the log-in form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sit(user, blueprint, *, correct_every=2, flag=(), seed=7) -> Attempt:
    """Start, answer (every `correct_every`-th item right, the rest wrong), flag and submit."""
    attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(seed))
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        options = {o.pk: o for o in item.version.options.all()}
        keyed = [o for o in item.option_order if options[o].is_correct]
        wrong = [o for o in item.option_order if not options[o].is_correct][:1]
        chosen = keyed if item.position % correct_every == 0 else wrong
        answer_save(
            user=user, attempt_id=attempt.pk, position=item.position, option_ids=chosen, seq=1
        )
        if item.position in flag:
            item_flag_set(user=user, attempt_id=attempt.pk, position=item.position, flagged=True)
    return attempt_submit(user=user, attempt_id=attempt.pk)


def at_both_widths(page, name: str, check=None) -> None:
    """Check axe-core at DESKTOP and PHONE, and no sideways scroll at PHONE; save screenshots."""
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.reload()
        if check:
            check()
        shot(page, f"{name}-{label}")
        assert_accessible(page)
        if viewport is PHONE:
            assert_no_sideways_scroll(page)


# ---- Dashboard -------------------------------------------------------------------------------


def reference_line_pixels(page, canvas_selector: str, value: float) -> tuple[int, int]:
    """Count the reference line's grey pixels in the left and right thirds of the plot."""
    return tuple(
        page.evaluate(
            """([selector, value]) => {
                const canvas = document.querySelector(selector);
                const chart = Chart.getChart(canvas);
                const area = chart.chartArea;
                const ratio = canvas.width / canvas.clientWidth;
                const y = Math.round(chart.scales.y.getPixelForValue(value) * ratio);
                const ctx = canvas.getContext('2d');
                const grey = (x) => {
                    for (let dy = -2; dy <= 2; dy++) {
                        const [r, g, b, a] = ctx.getImageData(x, y + dy, 1, 1).data;
                        if (a > 200 && Math.abs(r - 108) < 25 && Math.abs(g - 117) < 25
                            && Math.abs(b - 125) < 25) return true;
                    }
                    return false;
                };
                const left = Math.round(area.left * ratio), right = Math.round(area.right * ratio);
                const third = Math.round((right - left) / 3);
                let inLeft = 0, inRight = 0;
                for (let x = left; x < left + third; x++) inLeft += grey(x);
                for (let x = right - third; x < right; x++) inRight += grey(x);
                return [inLeft, inRight];
            }""",
            [canvas_selector, value],
        )
    )


def c02_exam_with_markdown_stems() -> Blueprint:
    for n in range(15):
        domain = list(C02_FOR)[n % len(C02_FOR)]
        make_question(domain=domain, stem=MARKDOWN_STEM.format(n=n))
    return short_blueprint(slug="c02-short", guide="DVA-C02", title="DVA-C02 short mock")


def test_dashboard_opens_on_the_latest_guide_with_a_720_line_and_plain_snippets(page, live_server):
    student = UserFactory(role="Student")
    sit(student, c02_exam_with_markdown_stems(), correct_every=3)
    log_in(page, live_server, student)
    page.goto("/dashboard/")

    guides = page.get_by_role("group", name="Exam guide")
    expect(guides.get_by_role("link", name="DVA-C02")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No submitted DVA-C02 attempts")).to_have_count(0)

    missed = page.get_by_role("region", name="Recently missed").get_by_role("link")
    expect(missed.first).to_be_visible()
    for text in missed.all_inner_texts():
        assert "`" not in text and "**" not in text
        assert text.startswith("A developer runs aws s3 cp with this policy")

    def chart_ready():
        expect(page.get_by_role("img", name=re.compile("720 passing line"))).to_be_visible()
        page.wait_for_function("() => Chart.getChart(document.querySelector('canvas'))")

    at_both_widths(page, "dashboard", chart_ready)
    left, right = reference_line_pixels(page, "canvas[data-chart=score-history]", 720)
    assert left > 10 and right > 10, (left, right)
    left, right = reference_line_pixels(page, "canvas[data-chart=domain-history]", 72)
    assert left > 10 and right > 10, (left, right)
