"""The review screen and the results page: compact rows, filters, practice percentages."""

import random

import pytest
from django.urls import reverse

from exams.models import Blueprint
from exams.services import answer_save, attempt_start, attempt_submit, item_flag_set
from questions.models import Domain
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank, make_question

pytestmark = pytest.mark.django_db


def answer_some(user, attempt, *, right=(), wrong=(), flag=()):
    """Answer the given positions right or wrong and flag some; leave the rest unanswered."""
    for item in attempt.items.select_related("version").prefetch_related("version__options"):
        options = item.version.options.all()
        if item.position in right or item.position in wrong:
            keyed = item.position in right
            chosen = [o.pk for o in options if o.is_correct == keyed]
            chosen = chosen if keyed else chosen[:1]
            answer_save(
                user=user, attempt_id=attempt.pk, position=item.position, option_ids=chosen, seq=1
            )
        if item.position in flag:
            item_flag_set(user=user, attempt_id=attempt.pk, position=item.position, flagged=True)


@pytest.fixture
def attempt(student):
    make_bank(per_domain=4)
    attempt = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(2))
    answer_some(student, attempt, right={1, 2, 3}, wrong={4, 5}, flag={2, 5, 9})
    return attempt


def test_review_lists_each_question_with_a_short_plain_stem_and_acts_at_the_top(client, student):
    for n in range(10):
        make_question(
            domain=["Deployment", "Security", "Development with AWS Services"][n % 3]
            if n < 9
            else "Refactoring",
            stem=f"Which `aws` call {n}? " + "Long words " * 30,
        )
    make_bank(per_domain=2)
    attempt = attempt_start(user=student, blueprint=short_blueprint(), rng=random.Random(1))
    client.force_login(student)
    client.get(reverse("exams:question", args=[attempt.pk, 4]))
    body = client.get(reverse("exams:review", args=[attempt.pk])).content.decode()
    submit = body.index("Submit exam</a>")
    back = body.index("Back to question 4</a>")
    first_row = body.index("Question 1</a>")
    assert submit < first_row and back < first_row
    assert body.count("Submit exam</a>") == 1
    rows = body.split('class="review-list', 1)[1].split("</ul>", 1)[0]
    assert rows.count('class="review-stem') == 10
    assert "`" not in rows  # never the raw Markdown
    drawn = attempt.items.filter(version__stem__startswith="Which `aws` call").count()
    assert rows.count("Which aws call") == drawn > 0
    assert "Long words Long words" in rows
    assert "Long words " * 12 not in body  # cut short


def test_review_filter_rejects_an_unknown_value_with_a_message(client, student, attempt):
    client.force_login(student)
    response = client.get(reverse("exams:review", args=[attempt.pk]), {"show": "bogus"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Show all, unanswered or flagged questions." in body
    assert body.count('class="review-row') == 10
    flagged = client.get(reverse("exams:review", args=[attempt.pk]), {"show": "flagged"})
    assert flagged.content.decode().count('class="review-row') == 3


def article_positions(body: str) -> list[int]:
    import re

    return [int(n) for n in re.findall(r'<h3 class="[^"]*" id="q(\d+)"', body)]


def test_results_filter_incorrect_flagged_and_domain(client, student, attempt):
    attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    client.force_login(student)
    url = reverse("exams:results", args=[attempt.pk])
    assert article_positions(client.get(url).content.decode()) == list(range(1, 11))

    body = client.get(url, {"show": "incorrect"}).content.decode()
    assert article_positions(body) == [4, 5, 6, 7, 8, 9, 10]  # wrong or unanswered
    assert "Showing 7 of 10 questions." in body
    assert 'href="#q4"' in body and 'href="#q1"' not in body  # jump links for what is shown

    body = client.get(url, {"show": "flagged"}).content.decode()
    assert article_positions(body) == [2, 5, 9]

    domain = attempt.items.get(position=1).domain
    expected = sorted(attempt.items.filter(domain=domain).values_list("position", flat=True))
    body = client.get(url, {"domain": domain.pk}).content.decode()
    assert article_positions(body) == expected
    both = client.get(url, {"domain": domain.pk, "show": "incorrect"}).content.decode()
    assert article_positions(both) == [p for p in expected if p >= 4]


@pytest.mark.parametrize(
    "query, message",
    [
        ({"show": "everything"}, "Show all, incorrect or flagged questions."),
        ({"domain": "abc"}, "That domain is not in this attempt."),
        ({"domain": "999999"}, "That domain is not in this attempt."),
        ({"domain": "9" * 40}, "That domain is not in this attempt."),
        ({"domain": "1\x00", "show": "flagged\x00"}, "That domain is not in this attempt."),
    ],
)
def test_results_filters_refuse_bad_input_with_a_message(client, student, attempt, query, message):
    attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    client.force_login(student)
    response = client.get(reverse("exams:results", args=[attempt.pk]), query)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert article_positions(body) == list(range(1, 11))


def test_a_domain_of_another_guide_is_refused(client, student, attempt):
    attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    other = Domain.objects.filter(guide__code="DVA-C02").first()
    client.force_login(student)
    response = client.get(reverse("exams:results", args=[attempt.pk]), {"domain": other.pk})
    assert response.status_code == 400


@pytest.mark.parametrize("slug", ["quick-practice", "drill"])
def test_practice_and_drills_report_percent_correct_not_a_scaled_score(client, student, slug):
    make_bank(per_domain=5)
    if slug == "drill":
        blueprint = Blueprint.objects.filter(mode="drill", guide__code="DVA-C01").first()
        Blueprint.objects.filter(pk=blueprint.pk).update(question_count=5)
    else:
        blueprint = Blueprint.objects.get(slug=slug)
        Blueprint.objects.filter(pk=blueprint.pk).update(question_count=5)
    blueprint.refresh_from_db()
    attempt = attempt_start(user=student, blueprint=blueprint, rng=random.Random(4))
    answer_some(student, attempt, right={1, 2, 3}, wrong={4})
    attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    client.force_login(student)
    body = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert 'id="percent-correct">60%<' in body
    assert "3 of 5 correct" in body
    assert "Results by domain" in body
    for exam_only in ("FAIL", "PASS", "Estimated scaled score", 'id="scaled-score"'):
        assert exam_only not in body
    attempts = client.get(reverse("exams:attempts")).content.decode()
    assert "60% correct" in attempts and "fail" not in attempts


def test_a_full_exam_still_reports_the_scaled_score(client, student, attempt):
    attempt = attempt_submit(user=student, attempt_id=attempt.pk)
    client.force_login(student)
    body = client.get(reverse("exams:results", args=[attempt.pk])).content.decode()
    assert f'id="scaled-score">{attempt.scaled_score}<' in body
    assert "FAIL" in body
