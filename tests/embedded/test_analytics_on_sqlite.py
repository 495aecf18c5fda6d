"""`make run` computes analytics on SQLite: the nightly recompute's SQL must be portable."""

from __future__ import annotations

from .conftest import run_python

SCRIPT = """
import random
from django.contrib.auth.models import Group
from accounts.models import User
from analytics.models import AttemptDomainResult, ItemStatistic
from analytics.services.nightly import nightly_recompute
from exams.models import Blueprint
from exams.services import attempt_start, attempt_submit

students = [User.objects.create_user(f"s{n}", password="x") for n in range(3)]
for student in students:
    student.groups.add(Group.objects.get(name="Student"))
blueprint = Blueprint.objects.get(slug="dva-c01-full-mock")
for n, student in enumerate(students):
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(n))
    attempt_submit(user=student, attempt_id=attempt.pk)
nightly_recompute()
print("domain rows", AttemptDomainResult.objects.count())
print("item statistics", ItemStatistic.objects.filter(blueprint=blueprint).count())
"""


def test_the_nightly_recompute_runs_on_the_embedded_database(sqlite_db):
    result = run_python(["manage.py", "shell", "-c", SCRIPT], sqlite_db)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines() if line)
    assert int(lines["domain rows"]) >= 3 * 3  # three attempts over the guide's domains
    assert int(lines["item statistics"]) > 0
