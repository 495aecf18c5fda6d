"""Plain-text snippets of question Markdown for lists (dashboard, bank)."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from questions.markdown import markdown_to_plain
from tests.factories.questions import make_question


def test_code_fences_backticks_and_emphasis_leave_only_the_words():
    text = 'Run `aws s3 ls` with **care**:\n\n```json\n{"Effect": "Deny"}\n```\n\n- one\n- two'
    plain = markdown_to_plain(text)
    assert plain == 'Run aws s3 ls with care: {"Effect": "Deny"} one two'
    assert "`" not in plain and "*" not in plain


def test_long_text_is_cut_at_a_word_with_an_ellipsis():
    plain = markdown_to_plain("word " * 60, 40)
    assert len(plain) <= 40
    assert plain.endswith("word…")


def test_the_snippet_filter_escapes_what_looks_like_html():
    out = Template("{% load question_text %}{{ stem|snippet:50 }}").render(
        Context({"stem": "Which `<script>` tag?\n\n```\ncode\n```"})
    )
    assert out == "Which &lt;script&gt; tag? code"


@pytest.mark.django_db
def test_the_bank_list_shows_stems_as_plain_text(client, instructor):
    make_question(stem="Which `aws s3` command?\n\n```\naws s3 sync . s3://bucket\n```")
    client.force_login(instructor)
    body = client.get(reverse("questions:list")).content.decode()
    assert "Which aws s3 command? aws s3 sync . s3://bucket" in body
    assert "```" not in body and "`aws" not in body
