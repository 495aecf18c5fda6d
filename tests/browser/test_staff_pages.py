"""Staff pages in Chromium: no axe-core violations, no sideways scroll on a phone, readable
charts and tables. The data is the simulated demo cohort, so every report has figures."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Cohort, User
from demo.data import DEMO_COHORT, DEMO_PASSWORD, demo_accounts_ensure, demo_cohort_ensure
from exams.models import Blueprint
from questions.bank import load_seed_bank
from questions.models import Question
from tests.browser import conftest as ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    from analytics.tasks import recompute_all_analytics

    demo_accounts_ensure()
    load_seed_bank()
    demo_cohort_ensure(students=3)
    recompute_all_analytics.apply()
    return {
        "cohort": Cohort.objects.get(name=DEMO_COHORT),
        "blueprint": Blueprint.objects.get(slug="dva-c01-full-mock"),
    }


def demo_log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def check(page, name, size):
    """Assert the page has no axe violations (and, on a phone, no sideways scroll)."""
    page.set_viewport_size(size)
    ui.screenshot(page, f"{name}-{size['width']}")
    ui.assert_accessible(page)
    if size == ui.PHONE:
        ui.assert_no_sideways_scroll(page)


def open_form_with_errors(page):
    page.goto("/questions/new/")
    page.get_by_label(re.compile(r"^\s*Stem")).fill("Which service stores objects?")
    page.get_by_label(re.compile(r"^\s*DVA-C01 domain")).select_option("Security")
    for n, text in enumerate(["Amazon S3", "Amazon EBS", "Amazon EFS", "AWS Glue"]):
        page.locator(f"#id_options-{n}-text").fill(text)
    page.get_by_label("Save as").select_option("published")
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_role("heading", name=re.compile("was not saved"))).to_be_visible()


def test_instructor_pages_are_accessible_and_fit_desktop_and_phone(page, demo):
    demo_log_in(page, "instructor")
    for size in (ui.DESKTOP, ui.PHONE):
        check_instructor_pages(page, demo, size)


def check_instructor_pages(page, demo, size):
    question = Question.objects.order_by("pk").first()
    pages = {
        "bank": "/questions/",
        "question": f"/questions/{question.pk}/",
        "question-form": "/questions/new/",
        "delete": f"/questions/{question.pk}/delete/",
        "item-index": "/analytics/items/",
        "items": f"/analytics/items/{demo['blueprint'].pk}/",
        "cohorts": "/analytics/cohorts/",
        "cohort": f"/analytics/cohorts/{demo['cohort'].pk}/?blueprint={demo['blueprint'].pk}",
        "blueprints": "/blueprints/",
        "blueprint-form": f"/blueprints/{demo['blueprint'].pk}/",
        "coverage": "/questions/coverage/",
        "cohort-detail": f"/cohorts/{demo['cohort'].pk}/",
    }
    for name, url in pages.items():
        page.goto(url)
        check(page, name, size)
    open_form_with_errors(page)
    check(page, "question-form-errors", size)
    page.goto(f"/analytics/cohorts/{demo['cohort'].pk}/?blueprint={demo['blueprint'].pk}")
    page.get_by_role("region", name="Students × domains (percent correct)").get_by_role(
        "link"
    ).first.click()
    expect(
        page.get_by_role("heading", name=re.compile("Finished DVA-C01 attempts"))
    ).to_be_visible()
    check(page, "cohort-student", size)


def test_admin_pages_are_accessible_and_fit_and_tables_scroll_in_regions(page, demo):
    demo_log_in(page, "admin")
    for size in (ui.DESKTOP, ui.PHONE):
        for name, url in {
            "people": "/staff/people/",
            "audit": "/staff/audit/",
            "audit-save": "/staff/audit/?kind=save",
            "cohort-list": "/cohorts/",
        }.items():
            page.goto(url)
            check(page, name, size)
    # On a phone, wide tables scroll inside a named, focusable region, not the page.
    page.set_viewport_size(ui.PHONE)
    for url, name in [
        ("/questions/", "Questions"),
        ("/staff/people/", "People"),
        ("/staff/audit/", "Audit events"),
        (f"/analytics/items/{demo['blueprint'].pk}/", "Item statistics"),
    ]:
        page.goto(url)
        region = page.get_by_role("region", name=name)
        expect(region).to_be_visible()
        assert region.get_attribute("tabindex") == "0"
        assert region.evaluate("r => r.scrollWidth > r.clientWidth"), url
        ui.assert_no_sideways_scroll(page)


def test_item_analysis_histogram_and_at_risk_links(page, demo):
    demo_log_in(page, "instructor")
    check_item_analysis_flags_and_sticky_header(page, demo)
    check_histogram_counts_whole_attempts(page, demo)
    check_at_risk_students_link_to_their_results(page, demo)


def check_item_analysis_flags_and_sticky_header(page, demo):
    """At 1280 px the review flags are in view, and the header stays up as the table scrolls."""
    page.set_viewport_size(ui.DESKTOP)
    page.goto(f"/analytics/items/{demo['blueprint'].pk}/")
    region = page.get_by_role("region", name="Item statistics")
    header = region.get_by_role("columnheader", name="Review")
    expect(header).to_be_visible()
    box, frame = header.bounding_box(), region.bounding_box()
    assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    # Scrolled down the table, the column headers stay at its top.
    region.evaluate("r => { r.scrollTop = 600; }")
    moved = header.bounding_box()
    assert abs(moved["y"] - frame["y"]) < 3, (moved, frame)
    expect(region.get_by_role("link").first).not_to_have_text(re.compile(r"-[0-9a-f]{6}$"))


def check_histogram_counts_whole_attempts(page, demo):
    page.goto(f"/analytics/cohorts/{demo['cohort'].pk}/?blueprint={demo['blueprint'].pk}")
    expect(page.get_by_role("img", name="Histogram of scaled scores")).to_be_visible()
    ticks = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart=histogram]'))"
        ".scales.y.ticks.map((t) => t.value)"
    )
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def check_at_risk_students_link_to_their_results(page, demo):
    page.goto(f"/analytics/cohorts/{demo['cohort'].pk}/?blueprint={demo['blueprint'].pk}")
    at_risk = page.get_by_role("region", name="Students at risk").get_by_role("link")
    assert at_risk.count() > 0, "the simulated cohort should have someone below 720"
    name = at_risk.first.inner_text()
    student_id = int(re.search(r"/students/(\d+)/", at_risk.first.get_attribute("href")).group(1))
    at_risk.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    # Whoever is first depends on the simulated answers; the link says whose page it opens.
    student = User.objects.get(pk=student_id)
    expect(page.get_by_role("table").first.get_by_role("row")).to_have_count(
        1
        + student.attempts.filter(blueprint__guide__code="DVA-C01")
        .exclude(state="in_progress")
        .count()
    )
