"""Migration 0003 gives code blocks stored before the change their tabindex."""

import importlib

import pytest
from django.apps import apps

from questions.models import Option, QuestionVersion
from tests.factories.questions import make_question

pytestmark = pytest.mark.django_db

migration = importlib.import_module("questions.migrations.0003_focusable_code_blocks")


def test_stored_code_blocks_become_focusable_and_typed_text_is_left_alone():
    question = make_question(stem="Which command lists buckets?\n\n```\naws s3 ls\n```")
    version = QuestionVersion.objects.get(pk=question.current_version_id)
    # As rendered before the change: a bare <pre>, next to text that only mentions the tag.
    old_stem = version.stem_html.replace('<pre tabindex="0">', "<pre>") + "<p>&lt;pre&gt;</p>"
    QuestionVersion.objects.filter(pk=version.pk).update(stem_html=old_stem)
    option = version.options.first()
    Option.objects.filter(pk=option.pk).update(rationale_html="<pre><code>x</code></pre>")

    migration.focusable_code_blocks(apps, None)

    version.refresh_from_db()
    option.refresh_from_db()
    assert '<pre tabindex="0"><code>aws s3 ls' in version.stem_html
    assert "<pre>" not in version.stem_html and "&lt;pre&gt;" in version.stem_html
    assert option.rationale_html == '<pre tabindex="0"><code>x</code></pre>'
