import pytest
from django.core.management import call_command

from accounts.models import Cohort, User
from analytics.models import AttemptDomainResult, BlueprintStatistics
from demo.data import DEMO_COHORT, DEMO_PASSWORD
from exams.models import Attempt
from questions.models import Question

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_accounts_bank_and_a_simulated_cohort_once(capsys):
    call_command("seed_demo")
    counts = (User.objects.count(), Question.objects.count(), Attempt.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Question.objects.count(), Attempt.objects.count()) == counts
    out = capsys.readouterr().out
    for username, role in (
        ("student", "Student"),
        ("instructor", "Instructor"),
        ("admin", "Admin"),
    ):
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(DEMO_PASSWORD)
        assert f"username: {username}" in out
    cohort = Cohort.objects.get(name=DEMO_COHORT)
    assert cohort.is_demo and cohort.students.count() == 31
    assert cohort.instructors.filter(username="instructor").exists()
    finished = Attempt.objects.finished()
    assert finished.count() == 92 and not Attempt.objects.in_progress().exists()
    assert set(finished.values_list("is_demo", flat=True)) == {True}
    scores = list(finished.values_list("scaled_score", flat=True))
    assert min(scores) < 720 < max(scores)  # varied ability: some pass, some fail
    assert AttemptDomainResult.objects.values("attempt").distinct().count() == 92
    assert BlueprintStatistics.objects.get(blueprint__slug="dva-c01-full-mock").attempts == 62
    assert Question.objects.published().count() >= 150
