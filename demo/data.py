"""Demo data for `make run`: one user per role and a demo cohort, clearly marked as demo."""

import math
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Cohort, User
from accounts.roles import Role
from accounts.services import user_set_role
from exams.models import Attempt, AttemptEvent, Blueprint, ItemSelection
from exams.services import answer_save, attempt_start, attempt_submit
from exams.signals import attempt_finished

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed on purpose for local demos
DEMO_EMAIL_DOMAIN = "@demo.dva-mock.local"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    first_name: str


DEMO_ACCOUNTS = (
    DemoAccount("student", Role.STUDENT, "Sam"),
    DemoAccount("instructor", Role.INSTRUCTOR, "Ines"),
    DemoAccount("admin", Role.ADMIN, "Ada"),
)


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create (or reset) the demo accounts; running it twice changes nothing."""
    users = {}
    for account in DEMO_ACCOUNTS:
        user, _ = User.objects.get_or_create(
            username=account.username,
            defaults={
                "email": f"{account.username}{DEMO_EMAIL_DOMAIN}",
                "first_name": account.first_name,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.is_staff = account.role == Role.ADMIN
        user.is_superuser = account.role == Role.ADMIN
        user.save()
        user_set_role(user=user, role=account.role)
        users[account.role] = user
    cohort, _ = Cohort.objects.get_or_create(name="Demo cohort", defaults={"is_demo": True})
    cohort.instructors.add(users[Role.INSTRUCTOR])
    cohort.students.add(users[Role.STUDENT])
    return list(DEMO_ACCOUNTS)


# ---- Simulated students answering from a known IRT model ------------------------------------
#
# Shared by the demo cohort below and by the simulator (bench/simulate.py): every item version
# gets a true (a, b, c) and a simulee of ability θ answers correctly with probability
# P = c + (1 - c) / (1 + exp(-a (θ - b))), the model `analytics.irt` calibrates. c is the floor
# the calibration fixes (1 / options for multiple choice, 0 for multiple response).


@dataclass(frozen=True)
class TrueItem:
    a: float
    b: float
    c: float

    def p(self, theta: float) -> float:
        return self.c + (1 - self.c) / (1 + math.exp(-self.a * (theta - self.b)))


def true_items(
    version_ids, *, rng: random.Random, b_sd: float = 0.7, log_a_sd: float = 0.3
) -> dict[int, TrueItem]:
    """Known parameters per question version: b = the author's difficulty as the calibration's
    prior mean (easy −1, medium 0, hard +1) + N(0, b_sd²), log a ~ N(0, log_a_sd²) (a within
    0.35..2.5), c = the floor the calibration assumes for the version."""
    from analytics.services.calibration import _version_priors  # the calibration's own c, μ_b

    priors = _version_priors(sorted(version_ids))
    out = {}
    for version_id in sorted(priors):
        c, mean_b = priors[version_id]
        a = min(max(math.exp(rng.gauss(0.0, log_a_sd)), 0.35), 2.5)
        b = min(max(mean_b + rng.gauss(0.0, b_sd), -3.0), 3.0)
        out[version_id] = TrueItem(a=a, b=b, c=c)
    return out


def model_selection(item, *, correct: bool, rng: random.Random) -> list[int]:
    """The options a simulee picks: the key when `correct`, else a wrong answer of the same
    size (multiple choice: one distractor; multiple response: the key with one keyed option
    swapped for a distractor). `item` is an AttemptItem with its version's options loaded."""
    options = {o.pk: o for o in item.version.options.all()}
    keyed = [o for o in item.option_order if options[o].is_correct]
    if correct:
        return keyed
    wrong = [o for o in item.option_order if not options[o].is_correct]
    return [*keyed[: len(keyed) - 1], rng.choice(wrong)]


def _answers_bulk(*, attempt, user, chosen: dict, now) -> None:
    """Write what `answer_save` writes for a first answer to each item (its selections, the
    item's answer_seq and answered_at, a SAVE event, the attempt's current position), in a few
    statements instead of a locked transaction per answer."""
    items = list(attempt.items.order_by("position"))
    ItemSelection.objects.bulk_create(
        ItemSelection(item=item, option_id=o) for item in items for o in chosen[item.position]
    )
    attempt.items.filter(position__in=[p for p, o in chosen.items() if o]).update(
        answer_seq=1, answered_at=now
    )
    attempt.items.filter(position__in=[p for p, o in chosen.items() if not o]).update(answer_seq=1)
    AttemptEvent.objects.bulk_create(
        AttemptEvent(
            attempt=attempt,
            kind=AttemptEvent.Kind.SAVE,
            actor=user,
            detail={"position": item.position, "options": chosen[item.position], "seq": 1},
        )
        for item in items
        if chosen[item.position]
    )
    if items:
        Attempt.objects.filter(pk=attempt.pk).update(current_position=items[-1].position)


def sit_with_model(
    *,
    user,
    blueprint,
    theta: float,
    truth: dict[int, TrueItem],
    rng: random.Random,
    started,
    minutes: int = 90,
    answers: str = "service",
    form_rng: random.Random | None = None,
):
    """Start an attempt (real assembly), answer every item from the IRT model and submit.

    `answers="service"` saves each answer through `exams.services.answer_save`; "bulk" writes
    the same rows in bulk (`_answers_bulk`). `form_rng` draws the form (default `rng`), so a
    new student with a given seed gets a reproducible form.
    """
    attempt = attempt_start(user=user, blueprint=blueprint, rng=form_rng or rng, now=started)
    items = list(
        attempt.items.select_related("version")
        .prefetch_related("version__options")
        .order_by("position")
    )
    chosen = {
        item.position: model_selection(
            item, correct=rng.random() < truth[item.version_id].p(theta), rng=rng
        )
        for item in items
    }
    answered = started + timedelta(minutes=1)
    if answers == "service":
        for position, option_ids in chosen.items():
            answer_save(
                user=user,
                attempt_id=attempt.pk,
                position=position,
                option_ids=option_ids,
                seq=1,
                now=answered,
            )
    elif answers == "bulk":
        with transaction.atomic():
            _answers_bulk(attempt=attempt, user=user, chosen=chosen, now=answered)
    else:
        raise ValueError(f"answers must be 'service' or 'bulk', not {answers!r}")
    return attempt_submit(
        user=user, attempt_id=attempt.pk, now=started + timedelta(minutes=minutes)
    )


@contextmanager
def per_submit_analytics_off():
    """Leave out analytics' per-submit receiver (domain rows, standings, debounced item
    statistics, the equating of that one attempt) while many attempts are simulated in one go:
    run eagerly, it would recompute the blueprint's item statistics after every submit. The
    caller runs the nightly recompute and a calibration (which equates every attempt) after."""
    from analytics.receivers import queue_attempt_analytics

    uid = "analytics.queue_attempt_analytics"
    attempt_finished.disconnect(dispatch_uid=uid)
    try:
        yield
    finally:
        attempt_finished.connect(queue_attempt_analytics, dispatch_uid=uid)


# ---- Simulated cohort ---------------------------------------------------------------------

DEMO_COHORT = "Demo cohort (simulated students)"
DEMO_SEED = 2026
# Full mocks each simulated student sits, oldest first (DVA-C02 mostly: readiness is about it).
DEMO_PLAN = ("dva-c01-full-mock",) + ("dva-c02-full-mock",) * 7
DEMO_STUDENT_PLAN = ("dva-c01-full-mock", "dva-c02-full-mock", "dva-c02-full-mock")
# DVA-C02 questions made pretest items for the demo: fewer than the 15 unscored slots, so every
# DVA-C02 form carries all of them and each collects 200+ responses (enough to promote).
DEMO_PRETEST_ITEMS = 12
DEMO_GROWTH = 0.08  # θ gained per attempt (they study between attempts)


def demo_truth(seed: int = DEMO_SEED) -> dict[int, TrueItem]:
    """The demo's known item parameters for every published question's current version."""
    from questions.models import Question

    versions = Question.objects.published().values_list("current_version_id", flat=True)
    return true_items([v for v in versions if v], rng=random.Random(seed), b_sd=0.5, log_a_sd=0.25)


def demo_pretest_mark(*, rng: random.Random, count: int = DEMO_PRETEST_ITEMS) -> list[int]:
    """Make `count` published DVA-C02 questions pretest items (unless some already are)."""
    from questions.models import Question

    published = Question.objects.published().filter(domain_links__guide__code="DVA-C02")
    if published.filter(is_pretest=True).exists():
        return []
    chosen = rng.sample(sorted(published.values_list("pk", flat=True).distinct()), count)
    Question.objects.filter(pk__in=chosen).update(is_pretest=True)
    return chosen


@transaction.atomic
def demo_cohort_ensure(*, students: int = 30, seed: int = DEMO_SEED) -> int:
    """Create a cohort of simulated students (once): each has a known ability θ ~ N(0.3, 0.9²)
    (+DEMO_GROWTH per attempt) and sits the full mocks of DEMO_PLAN over six weeks (the demo
    student sits DEMO_STUDENT_PLAN), answering from the known IRT model
    (`demo_truth`) through the real services; return the number of attempts."""
    if Attempt.objects.filter(is_demo=True).exists():
        return 0
    rng = random.Random(seed)
    demo_pretest_mark(rng=random.Random(seed))
    truth = demo_truth(seed)
    blueprints = {b.slug: b for b in Blueprint.objects.filter(slug__in=set(DEMO_PLAN))}
    cohort, _ = Cohort.objects.get_or_create(name=DEMO_COHORT, defaults={"is_demo": True})
    cohort.instructors.add(User.objects.get(username="instructor"))
    now = timezone.now()
    people = []
    for n in range(1, students + 1):
        user, _ = User.objects.get_or_create(
            username=f"demo{n:02d}",
            defaults={
                "first_name": "Demo",
                "last_name": f"Student {n:02d}",
                "email": f"demo{n:02d}{DEMO_EMAIL_DOMAIN}",
            },
        )
        user.set_unusable_password()
        user.save()
        user_set_role(user=user, role=Role.STUDENT)
        cohort.students.add(user)
        people.append(user)
    demo_student = User.objects.get(username="student")
    cohort.students.add(demo_student)
    people.append(demo_student)

    count = 0
    with per_submit_analytics_off():
        for user in people:
            theta = rng.gauss(0.3, 0.9)
            plan = DEMO_PLAN if user != demo_student else DEMO_STUDENT_PLAN
            day = rng.randint(38, 45)
            for index, slug in enumerate(plan):
                started = now - timedelta(days=day, hours=rng.randint(0, 10))
                day = max(day - rng.randint(4, 7), 1)
                attempt = sit_with_model(
                    user=user,
                    blueprint=blueprints[slug],
                    theta=theta + DEMO_GROWTH * index,
                    truth=truth,
                    rng=rng,
                    started=started,
                    minutes=rng.randint(70, 125),
                    answers="bulk",
                )
                Attempt.objects.filter(pk=attempt.pk).update(is_demo=True)
                count += 1
    return count
