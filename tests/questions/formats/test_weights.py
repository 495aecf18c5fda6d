"""The one rule that turns an answer weight into correct/incorrect (GIFT and Moodle XML)."""

import pytest

from questions.formats.base import weight_to_correct


@pytest.mark.parametrize(
    ("weight", "single", "full", "correct", "warns"),
    [
        (100, True, 100, True, False),
        (99.99, True, 100, False, True),  # GIFT: only 100 is a full mark
        (99.99, True, 99.99, True, False),  # Moodle XML: a rounded full mark counts
        (50, True, 100, False, True),  # partial credit in a single-answer question
        (0, True, 100, False, False),
        (-100, True, 100, False, False),
        (50, False, 100, True, False),  # multiple answers: any positive weight is keyed
        (0, False, 100, False, False),
        (-50, False, 100, False, False),
    ],
)
def test_weight_to_correct(weight, single, full, correct, warns):
    got, warning = weight_to_correct(weight, single=single, full=full)
    assert got is correct
    assert (warning is not None) is warns
    if warns:
        assert "imported as incorrect" in warning
