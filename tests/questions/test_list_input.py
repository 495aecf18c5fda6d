"""Bank list, export and bulk actions: malformed query and form values never reach a query."""

import pytest
from django.urls import reverse

from questions.models import Domain, Question
from tests.factories.questions import make_question

pytestmark = pytest.mark.django_db

BAD_IDS = ["²", "99999999999999999999", "9" * 5000, "0", "1.5"]


@pytest.mark.parametrize("domain", BAD_IDS)
def test_bad_domain_on_the_list_is_a_400_with_a_message(client, instructor, domain):
    make_question()
    client.force_login(instructor)
    response = client.get(reverse("questions:list"), {"domain": domain})
    assert response.status_code == 400
    assert "Check the filters: domain:" in response.content.decode()
    assert list(response.context["page"]) == []


@pytest.mark.parametrize("domain", BAD_IDS)
def test_bad_domain_on_the_export_is_a_400(client, instructor, domain):
    make_question()
    client.force_login(instructor)
    response = client.get(reverse("questions:export"), {"domain": domain, "format": "csv"})
    assert response.status_code == 400
    assert response.content.decode().startswith("Cannot export: domain:")


def test_unknown_export_format_is_a_400(client, instructor):
    client.force_login(instructor)
    response = client.get(reverse("questions:export"), {"format": "docx"})
    assert response.status_code == 400
    assert "format" in response.content.decode()


def test_good_filters_still_list_and_export(client, instructor):
    security = make_question(domain="Security")
    make_question(domain="Deployment")
    domain = Domain.objects.get(guide__code="DVA-C01", name="Security")
    client.force_login(instructor)
    page = client.get(reverse("questions:list"), {"domain": domain.pk}).context["page"]
    assert [q.key for q in page] == [security.key]
    body = client.get(reverse("questions:export"), {"domain": domain.pk, "format": "csv"})
    assert body.status_code == 200 and security.key in body.content.decode()


@pytest.mark.parametrize("selected", ["²", "99999999999999999999", "abc"])
def test_bad_selection_on_bulk_is_a_message_and_changes_nothing(client, admin_user, selected):
    question = make_question(status=Question.Status.DRAFT)
    client.force_login(admin_user)
    response = client.post(
        reverse("questions:bulk"),
        {"action": "retire", "selected": [str(question.pk), selected], "query": "status=draft"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Choose questions from the list" in response.content.decode()
    question.refresh_from_db()
    assert question.status == Question.Status.DRAFT


def test_bulk_redirect_keeps_only_the_query_parameters(client, admin_user):
    question = make_question(status=Question.Status.DRAFT)
    client.force_login(admin_user)
    response = client.post(
        reverse("questions:bulk"),
        {"action": "retire", "selected": [question.pk], "query": "status=draft\r\nX-Evil: 1"},
    )
    assert response.status_code == 302
    assert "\n" not in response["Location"] and "\r" not in response["Location"]
    question.refresh_from_db()
    assert question.status == Question.Status.RETIRED
