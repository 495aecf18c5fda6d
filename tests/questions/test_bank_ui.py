import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions.models import Question
from tests.factories.questions import (
    bank_as_data,
    make_question,
    question_data,
    question_form_post,
)

pytestmark = pytest.mark.django_db


def test_students_cannot_reach_the_bank(client, student):
    client.force_login(student)
    for name in (
        "questions:list",
        "questions:create",
        "questions:import",
        "questions:coverage",
        "questions:export",
    ):
        assert client.get(reverse(name)).status_code == 403, name


def test_list_filters_by_domain_kind_status_tag_and_text(client, instructor):
    a = make_question(domain="Security", kind="multiple_choice", stem="Rotate KMS keys safely?")
    b = make_question(domain="Deployment", kind="multiple_response")
    c = make_question(domain="Security", status="draft")
    client.force_login(instructor)
    url = reverse("questions:list")

    def keys(**params):
        return {q.key for q in client.get(url, params).context["page"]}

    assert keys() == {a.key, b.key, c.key}
    assert keys(kind="multiple_response") == {b.key}
    assert keys(status="draft") == {c.key}
    assert keys(q="kms keys") == {a.key}
    security = a.domain_links.get(guide__code="DVA-C01").domain_id
    assert keys(domain=security) == {a.key, c.key}
    assert keys(tag="S3", guide="DVA-C02") == {a.key, b.key, c.key}


def test_create_shows_rule_violations_inline_and_writes_nothing(client, instructor):
    client.force_login(instructor)
    data = question_data(kind="multiple_response")
    data["stem"] = data["stem"].replace("(Select TWO.)", "(Select THREE.)")
    response = client.post(reverse("questions:create"), question_form_post(data))
    assert response.status_code == 200
    assert "Select THREE" in response.content.decode()
    assert not Question.objects.exists()

    data = question_data()
    data["options"][1]["text"] = data["options"][2]["text"]
    response = client.post(reverse("questions:create"), question_form_post(data))
    assert "have the same text" in response.content.decode()
    assert not Question.objects.exists()


def test_publishing_requires_an_explanation(client, instructor):
    client.force_login(instructor)
    data = question_data()
    data["explanation"] = ""
    response = client.post(
        reverse("questions:create"), question_form_post(data, status="published")
    )
    assert response.status_code == 200
    assert "explanation" in response.content.decode().lower()
    response = client.post(reverse("questions:create"), question_form_post(data, status="draft"))
    assert response.status_code == 302
    assert Question.objects.get().status == "draft"


def test_edit_makes_a_new_version_and_history_shows_the_diff(client, instructor):
    question = make_question(stem="Which service stores objects?")
    client.force_login(instructor)
    data = question_data()
    data["stem"] = "Which AWS service stores objects durably?"
    data["domains"] = {"DVA-C01": "Deployment", "DVA-C02": "Deployment"}
    response = client.post(
        reverse("questions:edit", args=[question.pk]),
        question_form_post(data, change_note="Clarify the stem"),
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.versions.count() == 2
    detail = client.get(reverse("questions:detail", args=[question.pk])).content.decode()
    assert "Clarify the stem" in detail and "Diff v1 → v2" in detail
    diff = client.get(reverse("questions:diff", args=[question.pk]) + "?a=1&b=2")
    body = diff.content.decode()
    # Word level: only the words that changed are marked, inside the one edited line.
    assert '<ins><span class="visually-hidden">[added: </span> AWS<' in body
    assert '<ins><span class="visually-hidden">[added: </span> durably<' in body
    lines = body.split('<div class="diff-line')[1:]
    stem_line = next(line for line in lines if "stores objects" in line)
    assert "diff-changed" in stem_line and "<del>" not in stem_line


def test_bulk_publish_and_retire(client, instructor):
    drafts = [make_question(status="draft") for _ in range(3)]
    client.force_login(instructor)
    client.post(
        reverse("questions:bulk"), {"action": "publish", "selected": [q.pk for q in drafts]}
    )
    assert set(Question.objects.values_list("status", flat=True)) == {"published"}
    client.post(reverse("questions:bulk"), {"action": "retire", "selected": [drafts[0].pk]})
    drafts[0].refresh_from_db()
    assert drafts[0].status == "retired"


GIFT = """// Two questions written for the project's tests.
$CATEGORY: $course$/DVA-C01/Security

::iam-deny::An IAM policy allows s3:GetObject, and a second attached policy denies it. What
happens when the user calls GetObject? {
=The request is denied, because an explicit deny always wins.#Explicit deny overrides allow.
~The request is allowed, because one policy allows it.#An allow cannot override a deny.
~The policy that was attached last decides.#Order of attachment does not matter.
~AWS returns an error until one of the policies is removed.#Both policies stay valid.
####Policy evaluation starts from an implicit deny; any explicit deny wins.
}
"""

AIKEN_BROKEN = """Which service is a managed NoSQL database?
A) Amazon DynamoDB
B) Amazon RDS
C) Amazon Redshift
D) Amazon EMR

Which command configures credentials for the AWS CLI?
A) aws configure
B) aws init
C) aws login
"""


def test_import_gift_then_broken_aiken_is_refused_with_line_numbers(client, instructor):
    client.force_login(instructor)
    upload = SimpleUploadedFile("bank.gift", GIFT.encode())
    response = client.post(
        reverse("questions:import"), {"file": upload, "status": "draft", "format": ""}
    )
    assert response.status_code == 200
    question = Question.objects.get()
    assert question.domain_links.get(guide__code="DVA-C01").domain.name == "Security"

    upload = SimpleUploadedFile("more.txt", AIKEN_BROKEN.encode())
    response = client.post(
        reverse("questions:import"),
        {
            "file": upload,
            "status": "draft",
            "format": "aiken",
            "default_domain": "Development with AWS Services",
        },
    )
    body = response.content.decode()
    assert "Nothing was imported" in body
    assert "Question 1" in body and "line" in body.lower()
    assert Question.objects.count() == 1


def test_oversized_upload_is_refused(client, instructor):
    client.force_login(instructor)
    upload = SimpleUploadedFile("huge.json", b" " * (2 * 1024 * 1024 + 1))
    response = client.post(reverse("questions:import"), {"file": upload, "status": "draft"})
    assert "larger than 2 MB" in response.content.decode()
    assert not Question.objects.exists()


def test_export_json_round_trips_through_import(client, instructor):
    make_question(domain="Security")
    make_question(domain="Refactoring", kind="multiple_response")
    before = bank_as_data()
    client.force_login(instructor)
    body = client.get(reverse("questions:export"), {"format": "json"}).content
    for question in Question.objects.all():
        client.post(reverse("questions:delete", args=[question.pk]))
    assert not Question.objects.exists()
    upload = SimpleUploadedFile("export.json", body)
    client.post(reverse("questions:import"), {"file": upload, "status": "published"})
    assert Question.objects.published().count() == 2
    # The content, not only the count: same stems, options in order, keys, rationales,
    # explanations, references, domains, tags and difficulty.
    assert bank_as_data() == before


def test_coverage_page_counts_published_questions(client, instructor):
    make_question(domain="Security")
    make_question(domain="Security", status="draft")
    client.force_login(instructor)
    response = client.get(reverse("questions:coverage"))
    coverage = {g.guide.code: g for g in response.context["coverage"]}
    security = next(d for d in coverage["DVA-C01"].domains if d.domain.name == "Security")
    assert (security.published, security.per_form, security.forms) == (1, 17, 0)


def test_failed_publish_lists_each_problem_once_linked_to_its_field_and_keeps_the_status(
    client, instructor
):
    client.force_login(instructor)
    data = question_data()
    data["explanation"] = ""
    data["references"] = []
    data["options"][2]["rationale"] = ""
    response = client.post(
        reverse("questions:create"), question_form_post(data, status="published")
    )
    assert response.status_code == 200
    summary = response.context["errors"]
    assert ("id_explanation", "The explanation is missing") in summary
    assert ("id_references", "At least one reference must be an https:// URL") in summary
    assert ("id_options-2-rationale", "Option 3 has no rationale") in summary
    body = response.content.decode()
    # One summary, no second box of the same messages.
    assert body.count("The explanation is missing") == 2  # the summary link and the field
    assert body.count('class="alert alert-danger') == 1
    assert '<a class="alert-link" href="#id_explanation">' in body
    assert '<option value="published" selected>' in body
    assert "Publishing needs an explanation" in body
    assert not Question.objects.exists()


def test_service_problems_about_the_options_as_a_whole_are_listed_by_the_options(
    client, instructor
):
    client.force_login(instructor)
    data = question_data()
    data["options"][1]["correct"] = True
    response = client.post(reverse("questions:create"), question_form_post(data, status="draft"))
    summary = response.context["errors"]
    assert [target for target, _ in summary] == ["option-problems"]
    assert "exactly one correct option" in summary[0][1]
    assert 'id="option-problems"' in response.content.decode()


def test_delete_asks_first_then_deletes_on_post(client, instructor):
    question = make_question(stem="Which **service** stores `objects` durably and cheaply?")
    client.force_login(instructor)
    url = reverse("questions:delete", args=[question.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Delete this question?" in body and "cannot be undone" in body
    assert "Which service stores objects durably and cheaply?" in body
    assert Question.objects.filter(pk=question.pk).exists()
    assert client.post(url).status_code == 302
    assert not Question.objects.filter(pk=question.pk).exists()


def test_pages_title_a_question_by_its_stem_in_plain_text_not_its_key(client, instructor):
    question = make_question(
        stem="A developer needs to **store** session state for a `fleet` of EC2 instances "
        "behind a load balancer. Which approach is the most scalable?"
    )
    client.force_login(instructor)
    for name in ("questions:detail", "questions:edit"):
        body = client.get(reverse(name, args=[question.pk])).content.decode()
        h1 = body.split("<h1")[1].split("</h1>")[0]
        assert "A developer needs to store session state for a fleet of EC2" in h1, name
        assert question.key not in h1 and "**" not in h1 and "`" not in h1, name
