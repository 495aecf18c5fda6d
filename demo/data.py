"""Demo data for `make run`: one user per role and a demo cohort, clearly marked as demo."""

import math
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Cohort, User
from accounts.roles import Role
from accounts.services import user_set_role
from exams.models import Attempt, Blueprint, ItemSelection
from exams.services import attempt_start, attempt_submit

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


# ---- Simulated cohort ---------------------------------------------------------------------

DEMO_COHORT = "Demo cohort (simulated students)"
DIFFICULTY_OFFSET = {"easy": -0.9, "medium": 0.0, "hard": 0.9}


def _simulate_attempt(*, user, blueprint, ability: float, domain_skill: dict, started, rng):
    """Sit one attempt with answers drawn from a logistic model of the student's ability."""
    attempt = attempt_start(user=user, blueprint=blueprint, rng=rng, now=started)
    items = list(
        attempt.items.select_related("version", "question", "domain").prefetch_related(
            "version__options"
        )
    )
    selections = []
    for item in items:
        if rng.random() < 0.02:
            continue  # now and then a question is left unanswered
        theta = ability + domain_skill.get(item.domain.name, 0.0)
        b = DIFFICULTY_OFFSET.get(item.question.difficulty, 0.0)
        p_correct = 1 / (1 + math.exp(-(theta - b)))
        options = {o.pk: o for o in item.version.options.all()}
        keyed = [o for o in item.option_order if options[o].is_correct]
        if rng.random() < p_correct:
            chosen = keyed
        else:
            wrong = [o for o in item.option_order if not options[o].is_correct]
            chosen = rng.sample(wrong, 1) + keyed[: len(keyed) - 1]
        selections += [ItemSelection(item=item, option_id=o) for o in chosen]
    ItemSelection.objects.bulk_create(selections)
    minutes = rng.randint(70, 125) if blueprint.duration_minutes else rng.randint(10, 30)
    attempt = attempt_submit(
        user=user, attempt_id=attempt.pk, now=started + timedelta(minutes=minutes)
    )
    Attempt.objects.filter(pk=attempt.pk).update(is_demo=True)
    return attempt


@transaction.atomic
def demo_cohort_ensure(*, students: int = 30, seed: int = 2026) -> int:
    """Create a cohort of simulated students with plausible attempts (once); return attempts."""
    if Attempt.objects.filter(is_demo=True).exists():
        return 0
    rng = random.Random(seed)
    c01 = Blueprint.objects.get(slug="dva-c01-full-mock")
    c02 = Blueprint.objects.get(slug="dva-c02-full-mock")
    domains = list(c01.guide.domains.values_list("name", flat=True))
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
    for user in people:
        ability = rng.gauss(0.9, 0.8)
        skill = {d: rng.gauss(0, 0.5) for d in domains}
        plan = [c01, c02, c01] if user != demo_student else [c01, c01]
        start = now - timedelta(days=rng.randint(30, 42))
        for index, blueprint in enumerate(plan):
            started = start + timedelta(days=index * rng.randint(5, 12), hours=rng.randint(8, 20))
            _simulate_attempt(
                user=user,
                blueprint=blueprint,
                ability=ability + 0.25 * index,
                domain_skill=skill,
                started=started,
                rng=rng,
            )
            count += 1
    return count
