"""Key-correction pages: the link on the question page, preview, apply, what students read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from exams.models import KeyCorrection
from exams.services.regrade import correction_create, correction_run
from tests.factories.regrade import change_key, finished_attempts

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = finished_attempts(4)
    change_key(world.question, correct="B")
    return world


def test_question_page_links_to_the_correction_only_when_the_key_changed(client, instructor):
    plain = finished_attempts(1, slug="plain")
    client.force_login(instructor)
    page = client.get(reverse("questions:detail", args=[plain.question.pk])).content.decode()
    assert "key-correction-offer" not in page
    change_key(plain.question, correct="B")
    page = client.get(reverse("questions:detail", args=[plain.question.pk])).content.decode()
    assert "Preview and apply a key correction" in page
    assert reverse("exams:key_correction", args=[plain.question.pk]) in page


def test_preview_page_shows_before_and_after_and_explains_the_policies(client, instructor, world):
    client.force_login(instructor)
    url = reverse("exams:key_correction", args=[world.question.pk])
    page = client.get(url).content.decode()
    assert "no one loses" in page and "lose it" in page
    assert "Preview" in page and "Apply to" not in page
    response = client.get(url, {"policy": "corrected", "reason": "B is right", "preview": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "change score" in page and "→" in page
    assert "Apply to 4 attempts" in page
    assert not KeyCorrection.objects.exists()  # a dry run


def test_preview_without_a_reason_says_so(client, instructor, world):
    client.force_login(instructor)
    url = reverse("exams:key_correction", args=[world.question.pk])
    response = client.get(url, {"policy": "corrected", "reason": " ", "preview": "1"})
    assert response.status_code == 400
    assert "Say why the key is corrected" in response.content.decode()


def test_apply_queues_the_regrade_and_the_page_shows_it(client, instructor, world):
    client.force_login(instructor)
    url = reverse("exams:key_correction_apply", args=[world.question.pk])
    data = {"policy": "either", "reason": "B is right too"}
    stale = client.post(url, {**data, "version": world.question.current_version_id - 1})
    assert stale.status_code == 302 and not KeyCorrection.objects.exists()
    response = client.post(url, {**data, "version": world.question.current_version_id})
    correction = KeyCorrection.objects.get()
    assert response.url == reverse("exams:key_correction_detail", args=[correction.pk])
    # Tests run tasks eagerly but pytest-django's transaction never commits: run it here.
    correction_run(correction_id=correction.pk)
    page = client.get(response.url).content.decode()
    assert "Done" in page and "B is right too" in page
    poll = client.get(response.url, HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"


def test_student_reads_the_regrade_on_results_and_dashboard(client, instructor, world):
    correction = correction_create(
        question=world.question, policy="corrected", reason="Option B is right", actor=instructor
    )
    correction_run(correction_id=correction.pk)
    attempt = world.attempts[1]  # chose B: gains the mark
    attempt.refresh_from_db()
    record = attempt.regrades.get()
    assert record.new_scaled > record.old_scaled
    position = attempt.items.get(question=world.question).position
    client.force_login(attempt.user)
    page = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    expected = (
        f"{record.old_scaled} → {record.new_scaled}, because question {position}'s key "
        "was corrected: Option B is right"
    )
    assert "Regraded on " in page and expected in page
    dashboard = client.get(reverse("analytics:dashboard")).content.decode()
    assert expected in dashboard
    # A student whose score did not change reads nothing.
    unchanged = world.attempts[2]  # left it blank
    client.force_login(unchanged.user)
    page = client.get(reverse("exams:results", args=[unchanged.pk])).content.decode()
    assert "Regraded on" not in page


def test_students_cannot_reach_the_pages(student_client, world):
    url = reverse("exams:key_correction", args=[world.question.pk])
    assert student_client.get(url).status_code == 403
    apply = reverse("exams:key_correction_apply", args=[world.question.pk])
    assert student_client.post(apply, {"policy": "either", "reason": "x"}).status_code == 403
    assert not KeyCorrection.objects.exists()


def test_a_practice_attempt_is_shown_by_percent_without_a_pass_or_fail(client, instructor, world):
    """Only full mocks carry a scaled score and a verdict; a practice set changes percent."""
    from exams.models import Attempt, Blueprint

    # The first student answered A, the old key: under the corrected key (B) they lose it.
    practice = world.attempts[0]
    Attempt.objects.filter(pk=practice.pk).update(mode=Blueprint.Mode.PRACTICE)
    client.force_login(instructor)
    page = client.get(
        reverse("exams:key_correction", args=[world.question.pk]),
        {"policy": "corrected", "reason": "B is right", "preview": "1"},
    ).content.decode()
    rows = page.split("<tbody>")[-1].split("</tbody>")[0].split("<tr>")[1:]
    (row,) = [r for r in rows if f">{practice.user.username}<" in r]
    assert "percent only (not a full mock)" in row
    assert "Pass" not in row and "Fail" not in row
    assert all("Pass" in r or "Fail" in r for r in rows if r is not row)


@pytest.mark.parametrize(
    ("policy", "old_key_badge"), [("corrected", None), ("either", "Also accepted")]
)
def test_the_review_shows_the_key_in_force(client, instructor, world, policy, old_key_badge):
    """After a correction the results page marks the corrected key, as the grading counts it."""
    correction = correction_create(
        question=world.question, policy=policy, reason="Option B is right", actor=instructor
    )
    correction_run(correction_id=correction.pk)
    attempt = world.attempts[1]  # answered B, the corrected key
    item = attempt.items.get(question=world.question)
    options = {o.position: o for o in item.version.options.all()}
    client.force_login(attempt.user)

    page = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()

    review = page.split(f'id="q{item.position}"', 1)[1].split("</ul>", 1)[0]
    rows = {
        o.position: review.split(o.text_html, 1)[0].rsplit("<li", 1)[1] for o in options.values()
    }
    assert "Key (corrected)" in rows[1]  # B
    assert "Key" not in rows[0]  # A, the version's own key
    if old_key_badge:
        assert old_key_badge in rows[0]
    else:
        assert "Also accepted" not in review
