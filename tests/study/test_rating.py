"""The answer → FSRS rating mapping (pure, no database)."""

import pytest

from study.rating import (
    AGAIN,
    EASY,
    EASY_SECONDS,
    GOOD,
    HARD,
    MAX_SECONDS,
    clamp_seconds,
    makes_card,
    rating_for,
)


@pytest.mark.parametrize(
    ("correct", "confidence", "seconds", "expected"),
    [
        (False, "", None, AGAIN),
        (False, "sure", 5, AGAIN),
        (None, "", None, AGAIN),  # unanswered
        (True, "guess", 5, HARD),
        (True, "unsure", 5, HARD),
        (True, "unsure", 500, HARD),
        (True, "sure", 5, EASY),
        (True, "sure", EASY_SECONDS, EASY),
        (True, "sure", EASY_SECONDS + 1, GOOD),
        (True, "sure", None, GOOD),  # time unknown: never Easy
        (True, "", 3, GOOD),  # fast but not said sure: Good
        (True, "", None, GOOD),
    ],
)
def test_rating_for(correct, confidence, seconds, expected):
    assert rating_for(correct=correct, confidence=confidence, seconds=seconds) == expected


def test_fsrs_rating_values_match():
    import fsrs

    assert [int(r) for r in fsrs.Rating] == [AGAIN, HARD, GOOD, EASY]


def test_seconds_are_clamped():
    assert clamp_seconds(-4) == 0
    assert clamp_seconds(12.7) == 12
    assert clamp_seconds(10**6) == MAX_SECONDS
    assert clamp_seconds(None) is None
    # A negative clock skew is 0 s, i.e. fast: still only Easy when sure.
    assert rating_for(correct=True, confidence="", seconds=-5) == GOOD


@pytest.mark.parametrize(
    ("correct", "confidence", "expected"),
    [
        (False, "", True),
        (None, "", True),
        (True, "guess", True),
        (True, "unsure", True),
        (True, "sure", False),
        (True, "", False),
    ],
)
def test_which_answers_make_a_card(correct, confidence, expected):
    assert makes_card(correct=correct, confidence=confidence) is expected
