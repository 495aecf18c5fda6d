"""The cohort CSV export writes no cell a spreadsheet would run as a formula."""

import csv
import io

import pytest
from django.urls import reverse

from exams.models import Blueprint
from tests.analytics.test_reports import populate
from tests.factories.accounts import CohortFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_cohort_name_blueprint_title_and_usernames_are_neutralised(client):
    instructor = UserFactory(role="Instructor")
    cohort = CohortFactory(instructors=[instructor], name='=HYPERLINK("http://evil.test","x")')
    blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
    Blueprint.objects.filter(pk=blueprint.pk).update(title="@SUM(1+1)")
    users, _ = populate(cohort, blueprint, students=3)
    for n, user in enumerate(users):
        user.username = f"+1+{n}"
        user.save(update_fields=["username"])
    client.force_login(instructor)
    response = client.get(
        reverse("analytics:cohort_csv", args=[cohort.pk]), {"blueprint": blueprint.pk}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    summary = {r[1]: r[2] for r in rows if r[0] == "summary"}
    assert summary["cohort"] == '\'=HYPERLINK("http://evil.test","x")'
    assert summary["blueprint"] == "'@SUM(1+1)"
    at_risk = [r[1] for r in rows if r[0] == "at risk"]
    assert at_risk and all(name.startswith("'+1+") for name in at_risk)
    dangerous = [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
