"""Instructors open an at-risk student's results from their cohort report, and no one else's."""

import pytest
from django.urls import reverse

from exams.models import Blueprint
from tests.analytics.test_reports import populate
from tests.factories.accounts import CohortFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_at_risk_students_link_to_their_results_for_the_cohorts_instructor_only(client):
    instructor, other_instructor = UserFactory(role="Instructor"), UserFactory(role="Instructor")
    cohort = CohortFactory(instructors=[instructor])
    CohortFactory(instructors=[other_instructor])
    blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
    users, attempts = populate(cohort, blueprint, students=6, attempts_each=3)
    client.force_login(instructor)
    report = client.get(reverse("analytics:cohort", args=[cohort.pk]))
    at_risk = report.context["r"].at_risk
    assert at_risk
    student = at_risk[0][0]
    url = reverse("analytics:cohort_student", args=[cohort.pk, student.pk])
    body = report.content.decode()
    section = body.split('id="h-risk"')[1]
    assert f'href="{url}?guide=DVA-C01"' in section

    page = client.get(url, {"guide": "DVA-C01"})
    assert page.status_code == 200
    history = page.context["d"].history
    assert {a.pk for a in history} == {a.pk for a in attempts if a.user_id == student.pk}
    assert str(history[0].scaled_score) in page.content.decode()

    # Another instructor's cohort, a student outside the cohort, a student: no way in.
    client.force_login(other_instructor)
    assert client.get(url).status_code == 404
    client.force_login(instructor)
    stranger = UserFactory(role="Student")
    assert (
        client.get(reverse("analytics:cohort_student", args=[cohort.pk, stranger.pk])).status_code
        == 404
    )
    client.force_login(users[1])
    assert client.get(url).status_code == 403
