"""Item analysis per blueprint with the definitions of Moodle's quiz statistics report."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from analytics import statistics as st
from exams.models import Attempt, AttemptItem, Blueprint, ItemSelection
from questions.models import QuestionVersion

from ..models import BlueprintStatistics, ItemStatistic
from .planner import planner_statistics_refresh


def blueprint_statistics_compute(*, blueprint_id: int, progress=None) -> BlueprintStatistics:
    """Recompute a blueprint's test and item statistics from its submitted attempts.

    `progress(percent, message)` is called along the way so a page can show it.
    """
    report = progress or (lambda percent, message: None)
    planner_statistics_refresh()
    blueprint = Blueprint.objects.get(pk=blueprint_id)
    finished = Attempt.objects.finished().filter(blueprint=blueprint)
    report(5, "Reading answers")
    rows = list(
        AttemptItem.objects.filter(attempt__in=finished, scored=True)
        .order_by("attempt_id", "position")
        .values_list("attempt_id", "question_id", "is_correct")
    )
    attempt_ids = sorted({r[0] for r in rows})
    question_ids = sorted({r[1] for r in rows})
    a_index = {a: i for i, a in enumerate(attempt_ids)}
    q_index = {q: i for i, q in enumerate(question_ids)}

    by_question = np.full((len(attempt_ids), len(question_ids)), np.nan)
    slots: dict[int, list[float]] = defaultdict(list)
    for attempt_id, question_id, is_correct in rows:
        value = 1.0 if is_correct else 0.0
        by_question[a_index[attempt_id], q_index[question_id]] = value
        slots[attempt_id].append(value)

    report(30, "Test statistics")
    # Random forms share no fixed item, so reliability is taken over answer slots (the n-th
    # scored question of each attempt), as Moodle does for random questions.
    width = min((len(v) for v in slots.values()), default=0)
    by_slot = np.array([slots[a][:width] for a in attempt_ids]) if width else np.zeros((0, 0))
    totals = by_slot.mean(axis=1) * 100 if width else np.array([])
    test = st.test_statistics(totals)
    rel = st.reliability(by_slot) if width else None

    report(50, "Item statistics")
    versions = {
        v.question_id: v
        for v in QuestionVersion.objects.filter(attempt_items__attempt__in=finished)
        .annotate(n_options=Count("options"))
        .order_by("question_id", "-number")
    }
    choices = [
        (
            versions[q].n_options
            if versions[q].select_count == 1
            else (versions[q].n_options, versions[q].select_count)
        )
        if q in versions
        else None
        for q in question_ids
    ]
    items = (
        st.item_statistics(by_question, option_choices=choices, item_ids=question_ids)
        if question_ids
        else []
    )

    report(80, "Option choices")
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for option_id, question_id, n in (
        ItemSelection.objects.filter(item__attempt__in=finished, item__scored=True)
        .values("option_id")
        .annotate(n=Count("id"))
        .values_list("option_id", "option__version__question_id", "n")
    ):
        counts[question_id][str(option_id)] = n

    now = timezone.now()
    # Reads above run outside a transaction so progress is visible; the write is all or nothing.
    with transaction.atomic():
        return _store(blueprint, finished, attempt_ids, items, counts, test, rel, now, report)


def _store(blueprint, finished, attempt_ids, items, counts, test, rel, now, report):
    ItemStatistic.objects.filter(blueprint=blueprint).delete()
    ItemStatistic.objects.bulk_create(
        ItemStatistic(
            blueprint=blueprint,
            question_id=item.item,
            attempts=item.attempts,
            facility=st.finite_or_none(item.facility),
            sd=st.finite_or_none(item.sd),
            random_guess=st.finite_or_none(item.random_guess_score),
            intended_weight=st.finite_or_none(item.intended_weight),
            effective_weight=st.finite_or_none(item.effective_weight),
            discrimination=st.finite_or_none(item.discrimination_index),
            efficiency=st.finite_or_none(item.discriminative_efficiency),
            flags=st.review_flags(item),
            option_counts=counts.get(item.item, {}),
            computed_at=now,
        )
        for item in items
    )
    stats, _ = BlueprintStatistics.objects.update_or_create(
        blueprint=blueprint,
        defaults={
            "attempts": len(attempt_ids),
            "last_attempt_id": finished.aggregate(m=Max("pk"))["m"],
            "mean": st.finite_or_none(test.mean),
            "median": st.finite_or_none(test.median),
            "sd": st.finite_or_none(test.sd),
            "skewness": st.finite_or_none(test.skewness),
            "kurtosis": st.finite_or_none(test.kurtosis),
            "alpha": st.finite_or_none(rel.alpha) if rel else None,
            "error_ratio": st.finite_or_none(rel.error_ratio) if rel else None,
            "standard_error": st.finite_or_none(rel.standard_error) if rel else None,
            "items_in_alpha": rel.items_used if rel else 0,
            "computed_at": now,
        },
    )
    report(100, "Done")
    return stats
