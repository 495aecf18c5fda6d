"""The nightly recompute's set-based statements agree with the per-row definitions."""

import math
from collections import defaultdict

import numpy as np
import pytest

from analytics import statistics as st
from analytics.models import AttemptDomainResult, ItemStatistic, StudentDomainStanding
from analytics.services import blueprint_statistics_compute, recompute_everything
from exams.models import AttemptItem
from exams.services import attempt_start
from questions.models import QuestionVersion
from tests.analytics.test_pipeline import sit
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db(transaction=True)


def _reference_items(blueprint):
    """The item statistics by the pure function over a matrix built row by row (the old way)."""
    rows = list(
        AttemptItem.objects.filter(attempt__blueprint=blueprint, scored=True)
        .exclude(attempt__state="in_progress")
        .order_by("attempt_id", "position")
        .values_list("attempt_id", "question_id", "is_correct", "version_id")
    )
    attempts = sorted({r[0] for r in rows})
    questions = sorted({r[1] for r in rows})
    matrix = np.full((len(attempts), len(questions)), np.nan)
    slots = defaultdict(list)
    for attempt_id, question_id, ok, _ in rows:
        matrix[attempts.index(attempt_id), questions.index(question_id)] = 1.0 if ok else 0.0
        slots[attempt_id].append(1.0 if ok else 0.0)
    versions = {r[1]: QuestionVersion.objects.get(pk=r[3]) for r in rows}
    choices = [
        versions[q].options.count()
        if versions[q].select_count == 1
        else (versions[q].options.count(), versions[q].select_count)
        for q in questions
    ]
    width = min(len(v) for v in slots.values())
    by_slot = np.array([slots[a][:width] for a in attempts])
    return (
        st.item_statistics(matrix, option_choices=choices, item_ids=questions),
        st.test_statistics(by_slot.mean(axis=1) * 100),
        st.reliability(by_slot),
    )


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_item_statistics_from_the_one_aggregate_agree_with_the_pure_functions():
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    for n in range(8):
        sit(UserFactory(role="Student"), blueprint, set(range(1, n + 2)) | {9}, seed=n)
    # An unscored item in one attempt: slots then differ in length (reliability's width).
    item = AttemptItem.objects.filter(attempt__blueprint=blueprint, position=10).order_by("pk")[0]
    AttemptItem.objects.filter(pk=item.pk).update(scored=False)
    stats = blueprint_statistics_compute(blueprint_id=blueprint.pk)
    items, test, rel = _reference_items(blueprint)
    stored = {s.question_id: s for s in ItemStatistic.objects.filter(blueprint=blueprint)}
    assert sorted(stored) == sorted(i.item for i in items)
    for item in items:
        row = stored[item.item]
        assert row.attempts == item.attempts
        for field, ours in [
            ("facility", item.facility),
            ("sd", item.sd),
            ("random_guess", item.random_guess_score),
            ("intended_weight", item.intended_weight),
            ("effective_weight", item.effective_weight),
            ("discrimination", item.discrimination_index),
            ("efficiency", item.discriminative_efficiency),
        ]:
            assert _same(getattr(row, field), ours), (item.item, field)
        assert row.flags == st.review_flags(item)
    assert stats.attempts == 8
    for field in ("mean", "median", "sd", "skewness", "kurtosis"):
        assert _same(getattr(stats, field), getattr(test, field)), field
    assert _same(stats.alpha, rel.alpha) and stats.items_in_alpha == rel.items_used == 9


def test_random_guess_counts_each_option_once_whatever_the_number_of_attempts():
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    for _ in range(3):
        sit(UserFactory(role="Student"), blueprint, {1, 2}, seed=1)  # the same form thrice
    blueprint_statistics_compute(blueprint_id=blueprint.pk)
    for stat in ItemStatistic.objects.filter(blueprint=blueprint):
        version = stat.question.current_version
        n = version.options.count()
        expected = 100 / math.comb(n, version.select_count)
        assert stat.random_guess == pytest.approx(expected)


def test_recompute_writes_only_the_difference_and_repairs_every_kind_of_drift():
    make_bank(per_domain=6)
    blueprint = short_blueprint()
    attempts = [
        sit(UserFactory(role="Student"), blueprint, set(range(1, n + 1)), seed=n) for n in (3, 6)
    ]
    rows = sorted(AttemptDomainResult.objects.values_list("attempt_id", "domain_id", "correct"))
    standings = sorted(StudentDomainStanding.objects.values_list("user_id", "domain_id", "correct"))
    summary = recompute_everything()
    assert summary["domain_rows"] == len(rows)
    assert summary["domain_rows_written"] == summary["domain_rows_deleted"] == 0

    first = AttemptDomainResult.objects.filter(attempt=attempts[0]).order_by("pk")
    changed = first[0]
    AttemptDomainResult.objects.filter(pk=changed.pk).update(correct=0, total=99)
    first[1].delete()
    # A row for an attempt still in progress (derived rows cover finished attempts only).
    open_attempt = attempt_start(user=UserFactory(role="Student"), blueprint=blueprint)
    AttemptDomainResult.objects.create(
        attempt=open_attempt, domain=changed.domain, correct=0, total=0
    )
    StudentDomainStanding.objects.filter(user=attempts[1].user).update(correct=0)
    summary = recompute_everything()
    assert summary["domain_rows_written"] == 2
    assert summary["domain_rows_deleted"] == 1
    assert (
        sorted(AttemptDomainResult.objects.values_list("attempt_id", "domain_id", "correct"))
        == rows
    )
    assert (
        sorted(StudentDomainStanding.objects.values_list("user_id", "domain_id", "correct"))
        == standings
    )
