"""References render as links only when they are http(s) URLs, whatever was stored before."""

import re

import pytest
from django.urls import reverse

from questions.models import QuestionVersion
from questions.templatetags.safe_links import is_http_url
from tests.factories.questions import make_question

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "link"),
    [
        ("https://docs.aws.amazon.com/", True),
        ("http://example.com/x", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.test/x", False),
        (None, False),
    ],
)
def test_is_http_url(value, link):
    assert is_http_url(value) is link


def test_a_stored_javascript_reference_is_shown_as_text_not_as_a_link(client, instructor):
    question = make_question(status="draft")
    # As a draft imported before references were checked at every status could hold.
    QuestionVersion.objects.filter(pk=question.current_version_id).update(
        references=["javascript:alert(1)", "https://docs.aws.amazon.com/lambda/"]
    )
    client.force_login(instructor)
    body = client.get(reverse("questions:detail", args=[question.pk])).content.decode()
    hrefs = re.findall(r'href="([^"]*)"', body)
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:"))]
    assert "https://docs.aws.amazon.com/lambda/" in hrefs
    assert "javascript:alert(1)" in body  # still shown, as plain text
