"""Calibration: how sure a student said they were, set against whether they were right (pure).

`calibrate` takes plain per-item data (built by `exams.selectors.attempt_confidence_items` in
one query) and returns the results page's table, a row per answer of "How sure are you?" plus
"Not given", and the questions answered "Sure" but wrong: the misconceptions to fix first.
Only answered items count; a confidence left on an unanswered item is counted apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# (stored value, label), in the table's order; "" is an answer without a confidence.
LEVELS: tuple[tuple[str, str], ...] = (
    ("sure", "Sure"),
    ("unsure", "Unsure"),
    ("guess", "Guess"),
    ("", "Not given"),
)


@dataclass(frozen=True)
class ConfidenceItem:
    """One item of an attempt as calibration needs it."""

    position: int
    confidence: str  # "sure", "unsure", "guess" or "" (not given)
    answered: bool
    correct: bool
    domain: str = ""
    stem: str = ""


@dataclass(frozen=True)
class CalibrationRow:
    confidence: str
    label: str
    answered: int
    correct: int

    @property
    def percent(self) -> float | None:
        """Percent correct of the answers given with this confidence (None without any)."""
        return 100 * self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class Calibration:
    rows: list[CalibrationRow]
    sure_but_wrong: list[ConfidenceItem]
    # Items with a confidence but no answer: not in the table (nothing to be right about).
    confidence_without_answer: int

    @property
    def given(self) -> int:
        """How many answered items carry a confidence."""
        return sum(r.answered for r in self.rows if r.confidence)

    def row(self, confidence: str) -> CalibrationRow:
        return next(r for r in self.rows if r.confidence == confidence)

    @property
    def sure(self) -> CalibrationRow:
        return self.row("sure")


def calibrate(items: Iterable[ConfidenceItem]) -> Calibration:
    """Count answered and correct items per confidence; list the sure-but-wrong, in order."""
    known = {value for value, _ in LEVELS}
    answered = dict.fromkeys(known, 0)
    correct = dict.fromkeys(known, 0)
    sure_but_wrong: list[ConfidenceItem] = []
    without_answer = 0
    for item in items:
        level = item.confidence if item.confidence in known else ""
        if not item.answered:
            without_answer += bool(level)
            continue
        answered[level] += 1
        if item.correct:
            correct[level] += 1
        elif level == "sure":
            sure_but_wrong.append(item)
    return Calibration(
        rows=[
            CalibrationRow(confidence=v, label=label, answered=answered[v], correct=correct[v])
            for v, label in LEVELS
        ],
        sure_but_wrong=sorted(sure_but_wrong, key=lambda i: i.position),
        confidence_without_answer=without_answer,
    )


@dataclass(frozen=True)
class AttemptCalibrationPoint:
    """One finished attempt on the dashboard's trend: how often "Sure" was right."""

    sure: int
    sure_correct: int

    @property
    def sure_wrong(self) -> int:
        return self.sure - self.sure_correct

    @property
    def sure_percent(self) -> float | None:
        return 100 * self.sure_correct / self.sure if self.sure else None
