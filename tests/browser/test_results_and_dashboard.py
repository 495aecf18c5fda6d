"""Review screen, results (exam, practice, drill) and the student dashboard in Chromium."""

from __future__ import annotations

import random
import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from exams.models import Attempt, Blueprint
from exams.services import answer_save, attempt_start, attempt_submit, item_flag_set
from questions.bank import load_seed_bank
from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import C02_FOR, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKDOWN_STEM = (
    "A developer runs `aws s3 cp` with **this** policy:\n\n"
    '```json\n{{"Effect": "Deny", "Sid": "S{n}"}}\n```\n\nWhat happens?'
)


def log_in(page, live_server, user) -> None:
    """Give the browser a logged-in session cookie (the log-in form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


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


# A 1280 px window at 200 % zoom lays the page out in 640 CSS pixels.
ZOOM_200 = {"width": 640, "height": 400}


def at_both_widths(page, name: str, check=None) -> None:
    """Check axe-core at desktop and phone width; no sideways scroll on a phone or at 200 % zoom."""
    for label, viewport in (("desktop", ui.DESKTOP), ("phone", ui.PHONE), ("zoom200", ZOOM_200)):
        page.set_viewport_size(viewport)
        page.reload()
        if check:
            check()
        ui.screenshot(page, f"{name}-{label}")
        if viewport is not ZOOM_200:
            ui.assert_accessible(page)
        if viewport is not ui.DESKTOP:
            ui.assert_no_sideways_scroll(page)


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

    # The missed questions' links (the list), not the Anki download under it.
    missed = page.get_by_role("region", name="Recently missed").get_by_role("listitem")
    expect(missed.first).to_be_visible()
    for text in missed.all_inner_texts():
        assert "`" not in text and "**" not in text
        assert text.startswith("A developer runs aws s3 cp with this policy")

    def chart_ready():
        expect(page.get_by_role("img", name=re.compile("720 passing line"))).to_be_visible()
        # The dashboard draws several charts (the review forecast first): wait for the two read.
        page.wait_for_function(
            "() => ['score-history', 'domain-history'].every("
            "name => Chart.getChart(document.querySelector(`canvas[data-chart=${name}]`)))"
        )

    at_both_widths(page, "dashboard", chart_ready)
    left, right = reference_line_pixels(page, "canvas[data-chart=score-history]", 720)
    assert left > 10 and right > 10, (left, right)
    left, right = reference_line_pixels(page, "canvas[data-chart=domain-history]", 72)
    assert left > 10 and right > 10, (left, right)


# ---- Review screen ---------------------------------------------------------------------------


def in_first_screen(page, locator) -> bool:
    box = locator.bounding_box()
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= page.viewport_size["height"]
    )


def full_mock(student, *, submit: bool, flag=(7, 21, 44)) -> Attempt:
    load_seed_bank()
    blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
    if submit:
        return sit(student, blueprint, correct_every=2, flag=flag)
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(11))
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        if item.position % 5:
            first = item.option_order[: item.version.select_count]
            answer_save(
                user=student, attempt_id=attempt.pk, position=item.position, option_ids=first, seq=1
            )
        if item.position in flag:
            item_flag_set(user=student, attempt_id=attempt.pk, position=item.position, flagged=True)
    return attempt


def test_review_of_65_questions_is_compact_with_submit_and_back_at_the_top(page, live_server):
    student = UserFactory(role="Student")
    attempt = full_mock(student, submit=False)
    log_in(page, live_server, student)
    page.goto(f"/attempts/{attempt.pk}/q/12/")
    page.goto(f"/attempts/{attempt.pk}/review/")

    def top_actions():
        expect(page.get_by_role("heading", name="Review answers")).to_be_visible()
        assert in_first_screen(page, page.get_by_role("button", name="Submit exam"))
        assert in_first_screen(page, page.get_by_role("link", name="Back to question 12"))

    at_both_widths(page, "review", top_actions)
    page.set_viewport_size(ui.DESKTOP)
    page.reload()
    rows = page.locator(".review-list li")
    expect(rows).to_have_count(65)
    # Each row names its question and shows the start of its stem on one line.
    stem = rows.nth(0).locator(".review-stem")
    assert len(stem.inner_text()) > 20
    assert stem.bounding_box()["height"] < 30
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 1600, f"the review of 65 questions is {height}px tall"

    page.get_by_role("link", name="Flagged").click()
    expect(rows).to_have_count(3)
    page.get_by_role("link", name="Back to question 12").click()
    expect(page.get_by_role("heading", name="Question 12", exact=True)).to_be_visible()


# ---- Results ---------------------------------------------------------------------------------


def test_results_of_65_questions_filter_and_jump(page, live_server):
    student = UserFactory(role="Student")
    attempt = full_mock(student, submit=True)
    incorrect = attempt.items.filter(is_correct=False).count()
    log_in(page, live_server, student)
    page.goto(f"/attempts/{attempt.pk}/results/")

    def results_ready():
        expect(page.get_by_role("heading", name="Results by domain")).to_be_visible()
        expect(page.get_by_role("article")).to_have_count(65)

    at_both_widths(page, "results-exam", results_ready)
    # On a phone the domain table scrolls inside its own region, "Result" column included.
    page.set_viewport_size(ui.PHONE)
    region = page.get_by_role("region", name="Results by domain")
    region.scroll_into_view_if_needed()
    expect(region.get_by_role("columnheader", name="Result")).to_be_attached()
    region.evaluate("(el) => el.scrollLeft = el.scrollWidth")
    expect(region.get_by_role("columnheader", name="Result")).to_be_in_viewport()

    page.set_viewport_size(ui.DESKTOP)
    page.get_by_label("Show", exact=True).select_option("incorrect")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("article")).to_have_count(incorrect)
    expect(page.get_by_text(f"Showing {incorrect} of 65 questions.")).to_be_visible()
    for article in page.get_by_role("article").all()[:5]:
        expect(article.get_by_text(re.compile("^(Incorrect|Unanswered)$"))).to_be_visible()
    ui.screenshot(page, "results-incorrect-desktop")

    page.get_by_label("Show", exact=True).select_option("flagged")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("article")).to_have_count(3)

    page.get_by_label("Show", exact=True).select_option("all")
    security = attempt.items.filter(domain__name="Security").count()
    page.get_by_label("Domain", exact=True).select_option(label=f"Security ({security})")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("article")).to_have_count(security)

    jumps = page.get_by_role("navigation", name="Jump to question").get_by_role("link")
    expect(jumps).to_have_count(security)
    last = jumps.last
    target = last.get_attribute("href")
    last.click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    expect(page.locator(target)).to_be_in_viewport()


@pytest.mark.parametrize("mode", ["practice", "drill"])
def test_practice_and_drill_results_give_percent_correct(page, live_server, mode):
    load_seed_bank()
    student = UserFactory(role="Student")
    blueprint = (
        Blueprint.objects.get(slug="quick-practice")
        if mode == "practice"
        else Blueprint.objects.filter(mode="drill", drill_domain__name="Security").first()
    )
    attempt = sit(student, blueprint, correct_every=2)
    log_in(page, live_server, student)
    page.goto(f"/attempts/{attempt.pk}/results/")

    def percent_not_pass_fail():
        # The score card's label (the calibration table has a column of the same name).
        expect(
            page.get_by_role("paragraph").filter(has_text=re.compile(r"^Percent correct$"))
        ).to_be_visible()
        expect(page.locator("#percent-correct")).to_have_text(f"{attempt.percent:.0f}%")
        expect(page.get_by_text("FAIL", exact=True)).to_have_count(0)
        expect(page.get_by_text("Estimated scaled score", exact=True)).to_have_count(0)
        expect(page.get_by_role("heading", name="Results by domain")).to_be_visible()

    at_both_widths(page, f"results-{mode}", percent_not_pass_fail)


@pytest.mark.parametrize("mode", ["exam", "practice"])
def test_the_submitted_page_is_light_accessible_and_fits_a_phone(page, live_server, mode):
    load_seed_bank()
    student = UserFactory(role="Student")
    blueprint = (
        Blueprint.objects.get(slug="quick-practice")
        if mode == "practice"
        else Blueprint.objects.filter(mode="exam", is_active=True).order_by("pk").first()
    )
    attempt = sit(student, blueprint, correct_every=2)
    log_in(page, live_server, student)
    page.goto(f"/attempts/{attempt.pk}/submitted/")

    def score_and_link():
        expect(page.get_by_role("heading", name="Submitted — your score")).to_be_visible()
        if mode == "exam":
            expect(page.locator("#scaled-score")).to_have_text(str(attempt.scaled_score))
        else:
            expect(page.locator("#percent-correct")).to_have_text(f"{attempt.percent:.0f}%")
            expect(page.locator("#scaled-score")).to_have_count(0)
        expect(page.get_by_role("link", name="See the full review")).to_be_visible()
        expect(page.locator(".result-question")).to_have_count(0)

    at_both_widths(page, f"submitted-{mode}", score_and_link)
