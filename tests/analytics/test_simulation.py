"""Issue 12's proof by simulation at test size, through the same simulator as `make sim`.

bench/simulate.py sits simulees with known θ on real drawn DVA-C02 forms (attempt_start,
answers, attempt_submit), runs the real calibration task and equating, and reads readiness.
`make sim` does it with 2,000 calibration attempts against the issue's thresholds
(bench/SIMULATION.md); here 300 calibration attempts, so the thresholds are the ones that
size supports (stated with each assertion):

- recovery: corr(true b, estimated b) ≥ 0.85 over the 2PL items (about 0.93 at this size)
  and ≥ 0.85 over the pretest items (about 140 responses each); corr(true a, estimated a)
  ≥ 0.3 (about 0.5: a needs more responses than b);
- equating: over the ten ability deciles, the mean |easy − hard| equated difference is
  below the linear map's (which is about 100 scaled points for forms ~12 points apart);
- readiness: every chance of passing is within [0, 1] and its Brier score against passing a
  fresh full form is below the base-rate Brier.
"""

from __future__ import annotations

import random
import statistics

import pytest
from django.utils import timezone

from analytics.models import AttemptEquating, CalibrationRun, ItemCalibration
from bench import simulate
from demo.data import per_submit_analytics_off, sit_with_model
from exams.models import AttemptEvent, ItemSelection
from questions.bank import load_seed_bank

pytestmark = pytest.mark.django_db(transaction=True)


def test_bulk_answers_write_the_rows_answer_save_writes():
    load_seed_bank()
    world = simulate.world_build(seed=3, pretest=30)
    (one, theta), (two, _) = simulate.students_create(world, [0.4, 0.4], prefix="same")
    started = timezone.now()
    sat = {}
    with per_submit_analytics_off():
        for user, answers in ((one, "service"), (two, "bulk")):
            sat[answers] = sit_with_model(
                user=user,
                blueprint=world.blueprint,
                theta=theta,
                truth=world.truth,
                rng=random.Random(5),
                started=started,
                answers=answers,
            )

    def rows(attempt):
        items = {
            i.position: (i.version_id, i.answer_seq, i.answered_at, i.is_correct, i.scored)
            for i in attempt.items.all()
        }
        chosen = {}
        for position, option in ItemSelection.objects.filter(item__attempt=attempt).values_list(
            "item__position", "option_id"
        ):
            chosen.setdefault(position, set()).add(option)
        saves = sorted(
            (e.detail["position"], tuple(e.detail["options"]), e.detail["seq"], e.actor_id)
            for e in AttemptEvent.objects.filter(attempt=attempt, kind=AttemptEvent.Kind.SAVE)
        )
        return items, chosen, [(p, o, s) for p, o, s, _ in saves], {a for *_, a in saves}

    service, bulk = rows(sat["service"]), rows(sat["bulk"])
    assert service[0] == bulk[0]  # same form, same answer_seq / answered_at / grading
    assert service[1] == bulk[1]  # same selections
    assert service[2] == bulk[2] and len(service[2]) == 65  # one SAVE event per answer
    assert service[3] == {one.pk} and bulk[3] == {two.pk}
    assert sat["service"].current_position == sat["bulk"].current_position == 65
    assert sat["service"].scaled_score == sat["bulk"].scaled_score
    assert sat["service"].items.filter(scored=False, question__is_pretest=True).count() == 15


def test_simulated_cohort_recovers_parameters_equates_forms_and_predicts_passing():
    load_seed_bank()
    result = simulate.simulate(
        calibration_attempts=300,
        equating_per_cell=4,
        readiness_students=120,
        # Candidate forms (seeds 0..79) to pick the easiest and hardest from: with 40, the
        # spread depended on the question ids earlier tests left behind (7.4 points alone,
        # over 8 after the rest of the suite); seeds 0..39 are among these, so it only widens.
        forms=80,
        pretest=30,
        seed=12,
        answers="bulk",
    )
    run = result["run"]

    # A calibration run is stored, with item parameters per version and equated attempts.
    run.refresh_from_db()
    assert run.status == CalibrationRun.Status.DONE and run.attempts_used == 300
    assert run.responses_used == 300 * 65 and run.converged
    assert ItemCalibration.objects.filter(run=run).count() >= len(result["world"].truth)
    assert AttemptEquating.objects.filter(run=run).count() >= 300
    assert result["theta_cut"] is not None and -3 < result["theta_cut"] < 3

    rec = result["recovery"]
    assert rec["corr_b"] >= 0.85, rec
    assert rec["pretest_items"] == 30 and rec["pretest_corr_b"] >= 0.85, rec
    assert rec["corr_a"] >= 0.3, rec

    forms = result["forms"]
    assert forms["easy_percent"] - forms["hard_percent"] >= 8
    rows = result["equating"]["rows"]
    assert len(rows) == 10
    equated = statistics.fmean(abs(r["equated_gap"]) for r in rows)
    linear = statistics.fmean(abs(r["linear_gap"]) for r in rows)
    assert equated < linear, (equated, linear)
    assert linear > 40  # the hard form really is harder on the linear scale

    rel = result["readiness"]
    assert rel["n"] == 120
    assert all(0 <= r["mean_p"] <= 1 for r in rel["table"])
    assert rel["brier"] < rel["base_brier"], rel
