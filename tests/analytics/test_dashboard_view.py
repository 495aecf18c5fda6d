"""The student dashboard page: which guide it opens on, bad input, plain-text snippets."""

import random

import pytest
from django.urls import reverse

from exams.models import Blueprint
from exams.services import answer_save, attempt_start, attempt_submit
from tests.factories.exams import short_blueprint
from tests.factories.questions import C02_FOR, make_bank, make_question

pytestmark = pytest.mark.django_db(transaction=True)


def sit_all_wrong(user, blueprint):
    attempt = attempt_start(user=user, blueprint=blueprint, rng=random.Random(5))
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        wrong = [o.pk for o in item.version.options.all() if not o.is_correct][:1]
        answer_save(
            user=user, attempt_id=attempt.pk, position=item.position, option_ids=wrong, seq=1
        )
    return attempt_submit(user=user, attempt_id=attempt.pk)


def current_guide(body: str) -> str:
    marker = 'aria-current="page">'
    return body.split(marker, 1)[1].split("<", 1)[0]


def test_a_student_who_only_sat_c02_gets_the_c02_dashboard(client, student):
    make_bank(per_domain=3, guide="DVA-C02")
    sit_all_wrong(student, short_blueprint(guide="DVA-C02", question_count=8))
    client.force_login(student)
    body = client.get(reverse("analytics:dashboard")).content.decode()
    assert current_guide(body) == "DVA-C02"
    assert "No submitted DVA-C02 attempts" not in body
    # Asking for a guide still shows that guide.
    body = client.get(reverse("analytics:dashboard"), {"guide": "DVA-C01"}).content.decode()
    assert current_guide(body) == "DVA-C01"
    assert "No submitted DVA-C01 attempts yet" in body


def test_the_latest_attempt_decides_between_guides(client, student):
    make_bank(per_domain=3, guide="DVA-C01")
    sit_all_wrong(student, short_blueprint(slug="c02", guide="DVA-C02", question_count=5))
    sit_all_wrong(student, short_blueprint(slug="c01", guide="DVA-C01", question_count=5))
    client.force_login(student)
    assert current_guide(client.get(reverse("analytics:dashboard")).content.decode()) == "DVA-C01"


def test_a_new_student_and_an_unknown_guide(client, student):
    client.force_login(student)
    response = client.get(reverse("analytics:dashboard"))
    assert response.status_code == 200
    assert current_guide(response.content.decode()) == "DVA-C01"
    response = client.get(reverse("analytics:dashboard"), {"guide": "DVA-X99<script>"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is no exam guide “DVA-X99&lt;script&gt;”" in body
    assert "<script>" not in body.split("</nav>", 1)[1].split("<script src", 1)[0]


def test_recently_missed_shows_plain_text_not_markdown(client, student):
    for n in range(10):
        make_question(
            domain=list(C02_FOR)[n % 5],
            stem=f'Run `aws s3 ls` and **check**:\n\n```json\n{{"n": {n}}}\n```',
        )
    sit_all_wrong(student, short_blueprint(question_count=5))
    client.force_login(student)
    body = client.get(reverse("analytics:dashboard")).content.decode()
    missed = body.split('id="h-missed"', 1)[1].split("</section>", 1)[0]
    assert "Run aws s3 ls and check: {&quot;n&quot;:" in missed
    assert "`" not in missed and "**" not in missed


def test_drills_in_the_history_show_percent_correct_not_a_scaled_score(client, student):
    make_bank(per_domain=4)
    drill = Blueprint.objects.get(slug="drill-dva-c01-security")
    Blueprint.objects.filter(pk=drill.pk).update(question_count=4)
    drill.refresh_from_db()
    sit_all_wrong(student, drill)
    exam = sit_all_wrong(student, short_blueprint(question_count=5))
    client.force_login(student)
    response = client.get(reverse("analytics:dashboard"))
    history = response.content.decode().split('id="t-history"', 1)[1].split("</table>", 1)[0]
    assert "0% correct (domain drill)" in history
    assert history.count("fail") == 1  # the exam only
    assert response.context["chart"]["scores"] == [None, exam.scaled_score]
