"""A scheduled sitting in Chromium: the instructor schedules it from the cohort page, the
student sees it on the Exams page, disabled until it opens, then starts with the form drawn
ahead. Things are found by role and name; every page passes axe-core."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exams.models import Attempt, PreparedForm, Sitting
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    log_in,
)
from tests.factories.accounts import CohortFactory, UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page):
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page)
        if size == PHONE:
            assert_no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)


def test_an_instructor_schedules_a_sitting_and_the_student_starts_it_when_it_opens(
    browser, page, live_server
):
    make_bank(per_domain=6)
    short_blueprint(slug="friday-mock", title="Friday mock")
    instructor = UserFactory(role="Instructor")
    student = UserFactory(role="Student")
    cohort = CohortFactory(name="Evening class", instructors=[instructor], students=[student])

    log_in(page, instructor)
    page.goto(f"/cohorts/{cohort.pk}/")
    page.get_by_role("link", name="Scheduled sittings").click()
    expect(page.get_by_role("heading", name="Scheduled sittings · Evening class")).to_be_visible()
    expect(page.get_by_text("No sittings scheduled yet.")).to_be_visible()
    check(page)

    # A time in the past is refused on the form, with the reason by the field.
    schedule = page.get_by_role("form", name="Schedule a sitting")
    schedule.get_by_label("Blueprint").select_option(label="Friday mock")
    schedule.get_by_label("Opens at").fill("2020-01-01T09:00")
    schedule.get_by_role("button", name="Schedule sitting").click()
    expect(page.get_by_text("The opening time must be in the future.")).to_be_visible()
    check(page)

    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
    schedule = page.get_by_role("form", name="Schedule a sitting")
    schedule.get_by_label("Blueprint").select_option(label="Friday mock")
    schedule.get_by_label("Opens at").fill(tomorrow)
    schedule.get_by_role("button", name="Schedule sitting").click()
    expect(
        page.get_by_text(re.compile("Scheduled “Friday mock” for Evening class"))
    ).to_be_visible()
    sittings = page.get_by_role("region", name="Sittings of Evening class")
    row = sittings.get_by_role("row").filter(has_text="Friday mock")
    # Without a broker the preparation ran at once: the one member's form is drawn.
    expect(row.get_by_role("cell", name="1 / 1")).to_be_visible()
    expect(
        row.get_by_role("button", name=re.compile("^Cancel the sitting of Friday mock"))
    ).to_be_visible()
    check(page)
    sitting = Sitting.objects.get()
    form = PreparedForm.objects.get(sitting=sitting, user=student)

    student_page = browser.new_context(base_url=live_server.url, viewport=DESKTOP).new_page()
    log_in(student_page, student)
    student_page.goto("/exams/")
    expect(student_page.get_by_role("heading", name="Scheduled sittings")).to_be_visible()
    waiting = student_page.get_by_role(
        "button", name=re.compile(r"^Start the sitting of Friday mock \(opens")
    )
    expect(waiting).to_be_disabled()
    check(student_page)

    # It opens: the Start button works and the attempt has the form drawn ahead.
    Sitting.objects.filter(pk=sitting.pk).update(opens_at=timezone.now() - timedelta(minutes=1))
    student_page.reload()
    student_page.get_by_role("button", name="Start the sitting of Friday mock", exact=True).click()
    expect(student_page).to_have_url(re.compile(r"/attempts/\d+/q/1/$"))
    attempt = Attempt.objects.get(user=student)
    assert list(attempt.items.order_by("position").values_list("question_id", flat=True)) == [
        d["question_id"] for d in form.items
    ]
    student_page.goto("/exams/")
    expect(
        student_page.get_by_role("button", name="Resume the sitting of Friday mock")
    ).to_be_visible()

    # The instructor sees the start counted, and cancels the sitting.
    page.reload()
    row = (
        page.get_by_role("region", name="Sittings of Evening class")
        .get_by_role("row")
        .filter(has_text="Friday mock")
    )
    expect(row.get_by_role("cell", name="1", exact=True)).to_be_visible()
    row.get_by_role("button", name=re.compile("^Cancel the sitting")).click()
    expect(row.get_by_text("Cancelled")).to_be_visible()
    student_page.context.close()
