"""How an answer becomes an FSRS rating: a pure function of correctness, confidence and time.

| answer                                   | rating |
|------------------------------------------|--------|
| wrong or unanswered                      | Again  |
| right, marked Guess                      | Hard   |
| right, marked Unsure                     | Hard   |
| right, Sure, within EASY_SECONDS         | Easy   |
| right, Sure (slower, or time unknown)    | Good   |
| right, confidence not given              | Good   |

Why these thresholds: the real exam gives 130 minutes for 65 questions, two minutes each, and
most of that goes on reading a scenario. A question answered correctly, sure, within a quarter
of that pace (30 s) was recalled, not worked out: Easy. Without the student's own "Sure" we
never say Easy (speed alone may be a lucky click), and a right answer the student called a
guess or unsure was not reliably remembered: Hard, which FSRS schedules sooner than Good
without counting a lapse. Seconds come from the server's clock and are clamped to
[0, MAX_SECONDS] so a tab left open overnight does not look like a slow recall.
"""

from __future__ import annotations

# Right and sure within this many seconds: Easy (a quarter of the exam's 2-minute pace).
EASY_SECONDS = 30
# Seconds on an item are clamped to this (a tab left open is not ten hours of thinking).
MAX_SECONDS = 600

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4  # fsrs.Rating values

SURE, UNSURE, GUESS = "sure", "unsure", "guess"  # exams.models.Confidence values


def clamp_seconds(seconds: float | None) -> int | None:
    """Whole seconds on an item within [0, MAX_SECONDS]; None stays None (unknown)."""
    if seconds is None:
        return None
    return int(min(max(seconds, 0), MAX_SECONDS))


def rating_for(*, correct: bool | None, confidence: str = "", seconds: float | None = None) -> int:
    """The FSRS rating (1 Again, 2 Hard, 3 Good, 4 Easy) of one answer."""
    if not correct:
        return AGAIN
    if confidence in (GUESS, UNSURE):
        return HARD
    if confidence == SURE and seconds is not None and clamp_seconds(seconds) <= EASY_SECONDS:
        return EASY
    return GOOD


def makes_card(*, correct: bool | None, confidence: str = "") -> bool:
    """Whether an answer to a question without a card starts one: missed, or right but unsure."""
    return not correct or confidence in (GUESS, UNSURE)
