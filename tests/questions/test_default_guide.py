"""The default exam guide is read from data, in the database and in the shipped guides."""

import pytest

from questions.content_rules import DEFAULT_GUIDE
from questions.models import ExamGuide
from questions.reference import GUIDES


@pytest.mark.django_db
def test_default_is_the_guide_marked_default():
    default = ExamGuide.objects.default()
    assert default is not None and default.is_default
    assert default.code == DEFAULT_GUIDE
    assert [g["code"] for g in GUIDES if g["is_default"]] == [DEFAULT_GUIDE]


@pytest.mark.django_db
def test_no_default_guide_gives_none():
    ExamGuide.objects.update(is_default=False)
    assert ExamGuide.objects.default() is None
