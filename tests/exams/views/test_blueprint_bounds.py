"""Blueprint numbers stay in sane ranges, so one typo cannot make every start fail."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from exams.models import Attempt, Blueprint
from exams.services import attempt_start
from tests.factories.exams import blueprint_form_data, short_blueprint
from tests.factories.questions import make_bank

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, instructor):
    client.force_login(instructor)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration_minutes", "9999999999999", "less than or equal to 600"),
        ("duration_minutes", "601", "less than or equal to 600"),
        ("duration_minutes", "0", "greater than or equal to 1"),
        ("question_count", "9999999999999", "less than or equal to 200"),
        ("question_count", "0", "greater than or equal to 1"),
        ("unscored_count", "9999999999999", "less than or equal to 199"),
        ("passing_score", "9999999999999", "less than or equal to 1000"),
        ("cut_percent", "9999999999999", "Ensure"),
        ("duration_minutes", "²", "whole number"),
    ],
)
def test_out_of_range_numbers_are_form_errors(staff, field, value, message):
    response = staff.post(reverse("exams:blueprint_new"), blueprint_form_data(**{field: value}))
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not Blueprint.objects.filter(slug="a-new-mock").exists()


def test_the_longest_allowed_exam_still_starts(staff, student):
    response = staff.post(
        reverse("exams:blueprint_new"), blueprint_form_data(duration_minutes="600")
    )
    blueprint = Blueprint.objects.get(slug="a-new-mock")
    assert response.url == reverse("exams:blueprint_edit", args=[blueprint.pk])
    make_bank(per_domain=2)
    attempt = attempt_start(user=student, blueprint=blueprint)
    assert (attempt.deadline - attempt.started_at).total_seconds() == 600 * 60
    assert Attempt.objects.filter(blueprint=blueprint).count() == 1


def test_the_model_refuses_a_duration_past_the_bound():
    blueprint = short_blueprint()
    blueprint.duration_minutes = 601
    with pytest.raises(ValidationError) as info:
        blueprint.full_clean()
    assert "duration_minutes" in info.value.message_dict


def test_a_blueprint_saved_before_the_bound_is_refused_plainly_at_start(client, student):
    make_bank(per_domain=2)
    blueprint = short_blueprint(question_count=5)
    Blueprint.objects.filter(pk=blueprint.pk).update(duration_minutes=32767)
    client.force_login(student)
    response = client.post(reverse("exams:start", args=[blueprint.slug]), follow=True)
    assert response.status_code == 200
    assert "time limit is out of range" in response.content.decode()
    assert not Attempt.objects.exists()


@pytest.mark.parametrize("field", ["unscored_count", "question_count", "duration_minutes"])
def test_editing_a_blueprint_with_a_huge_number_is_a_form_error(staff, field):
    make_bank(per_domain=2)
    blueprint = short_blueprint(question_count=5)
    url = reverse("exams:blueprint_edit", args=[blueprint.pk])
    post = blueprint_form_data(title=blueprint.title, slug=blueprint.slug, **{field: "9" * 30})
    response = staff.post(url, post)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    blueprint.refresh_from_db()
    assert (blueprint.question_count, blueprint.unscored_count) == (5, 0)
