"""Question reports in Chromium: a student reports from the results page, an instructor
rejects one with a reply and accepts another (landing on the edit page), the student reads the
replies on their dashboard. axe-core on each page; screenshots at 1280 and 390 px."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import ItemStatistic
from questions.models import QuestionReport
from tests.browser import conftest as ui
from tests.browser.test_results_and_dashboard import log_in, sit
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def report_from_results(page, position: int, category: str, details: str) -> None:
    form = page.locator(f"#report-{position}")
    form.get_by_text("Report a problem with this question").click()
    form.get_by_role("radio", name=category).check()
    form.get_by_label("Details").fill(details)
    form.get_by_role("button", name="Send report").click()
    expect(
        page.get_by_text(f"your report on question {position} is with the instructors")
    ).to_be_visible()
    # Back at the question (the page scrolls there), which now says it was reported.
    expect(form.get_by_text("You reported a problem with this question")).to_be_in_viewport()


def test_a_report_goes_from_the_results_to_the_queue_and_its_answer_back(
    page, browser, live_server
):
    make_bank(per_domain=3)
    student = UserFactory(role="Student")
    instructor = UserFactory(role="Instructor")
    blueprint = short_blueprint(question_count=5)
    attempt = sit(student, blueprint)
    first = attempt.items.get(position=1)
    ItemStatistic.objects.update_or_create(  # as if a cohort had sat it (the submit ran one)
        blueprint=blueprint,
        question_id=first.question_id,
        defaults={
            "attempts": 30,
            "facility": 27.0,
            "discrimination": -8.0,
            "option_counts": {str(o): 5 for o in first.option_order},
            "computed_at": timezone.now(),
        },
    )

    # The student reports two questions from their results page.
    log_in(page, live_server, student)
    page.goto(f"/attempts/{attempt.pk}/results/")
    report_from_results(page, 1, "The key is wrong", "Option B is also correct since 2024.")
    report_from_results(page, 2, "Typo", "“recieve” in the stem.")
    ui.check_both_widths(page, "question-report-results", reload=True)
    # Keyboard: the disclosure opens with Enter and the first category takes focus with Tab.
    summary = page.locator("#report-3 summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#report-3").get_by_role("radio", name="Typo")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("#report-3").get_by_role("radio").first).to_be_focused()
    ui.assert_accessible(page)
    card = page.locator("article").filter(has=page.locator("#report-3"))
    for label, viewport in (("desktop", ui.DESKTOP), ("phone", ui.PHONE)):
        page.set_viewport_size(viewport)
        card.screenshot(path=str(ui.SCREENSHOTS / f"question-report-form-open-{label}.png"))
    page.set_viewport_size(ui.DESKTOP)

    reports = {r.question_id: r for r in QuestionReport.objects.all()}
    key_report = reports[first.question_id]
    typo_report = reports[attempt.items.get(position=2).question_id]

    # The instructor's queue: both questions, statistics beside the reports.
    context = browser.new_context(base_url=live_server.url, viewport=ui.DESKTOP)
    staff = context.new_page()
    log_in(staff, live_server, instructor)
    staff.goto("/analytics/items/")
    staff.get_by_role("link", name="Question reports from students").click()
    expect(staff.get_by_role("heading", name="Question reports", exact=True)).to_be_visible()
    expect(staff.get_by_text("Option B is also correct since 2024.")).to_be_visible()
    expect(staff.get_by_text(re.compile(r"facility \(p-value\) 27\.0%"))).to_be_visible()
    ui.check_both_widths(staff, "question-report-queue", reload=True)

    # Reject the typo report with a reply.
    item = staff.locator(f"#report-{typo_report.pk}")
    item.get_by_label("Reply to the student").fill(
        "Fixed the spelling in the next edition; thanks!"
    )
    item.get_by_role("button", name="Reject with this reply").click()
    expect(staff.get_by_text(f"Report {typo_report.pk} rejected")).to_be_visible()

    # Accept the key report: the edit page opens, naming the report.
    item = staff.locator(f"#report-{key_report.pk}")
    item.get_by_label("Reply to the student").fill("You are right; the key is corrected.")
    item.get_by_role("button", name="Accept and edit the question").click()
    expect(staff).to_have_url(re.compile(rf"/questions/{first.question_id}/edit/"))
    expect(staff.get_by_text(f"Report {key_report.pk} accepted")).to_be_visible()
    ui.screenshot(staff, "question-report-accepted-edit")
    context.close()

    # The student reads both answers on the dashboard, marked new once.
    page.goto("/dashboard/")
    panel = page.locator("#your-reports")
    expect(panel.get_by_role("heading", name=re.compile("Your reports"))).to_be_visible()
    expect(panel.get_by_text("2 new answers")).to_be_visible()
    expect(panel.get_by_text("You are right; the key is corrected.")).to_be_visible()
    expect(panel.get_by_text("Fixed the spelling in the next edition; thanks!")).to_be_visible()
    ui.screenshot(page, "question-report-dashboard-new-desktop")
    ui.assert_accessible(page)
    ui.check_both_widths(page, "question-report-dashboard", reload=True)
    expect(panel.get_by_text("new answer")).to_have_count(0)
    expect(panel.get_by_text("You are right; the key is corrected.")).to_be_visible()
