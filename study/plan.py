"""The study plan: the next actions ranked by expected gain (pure; no database).

Every gain is in one unit, **exam questions**: roughly how many more questions of a 65-question
mock the action should let the student answer right (or, for a mock, how much a stale score is
worth refreshing). They are rough heuristics meant to order actions sensibly, not predictions:

- **Due reviews**: each due card is a question the student is predicted to be forgetting; a
  review now saves about (1 - recall) of it, so the gain is `due × (1 - recall)` (recall: the
  due cards' mean FSRS retrievability, a card just missed counting as forgotten; 0.5 unknown).
  A review also makes the card last longer, which this leaves out (reviews rank low if at all).
- **Weakest area drill**: bringing the weakest task statement (DVA-C02) or domain (DVA-C01) up
  to the 72 % line is worth `(0.72 - percent) × its share of the exam × 65` questions (a task
  statement's share is its domain's weight split evenly over the domain's statements).
- **Full mock**: when none was sat in `mock_every_days` days, a fresh score shows where to aim:
  worth 1 question at the threshold plus 1 per further week (at most 5), or 3 when the student
  has never sat a mock of the guide.
"""

from __future__ import annotations

from dataclasses import dataclass

EXAM_QUESTIONS = 65
CUT = 0.72
NO_RECALL_YET = 0.5
MOCK_MAX_GAIN = 5.0
NEVER_SAT_GAIN = 3.0


@dataclass(frozen=True)
class Weakest:
    label: str  # "task 2.1 Implement authentication…" or a domain name
    percent: float  # 0–100
    share: float  # share of the exam, 0–1
    answered: int


@dataclass(frozen=True)
class Action:
    kind: str  # "review", "drill" or "mock"
    gain: float
    why: str


def review_gain(*, due: int, recall: float | None) -> float:
    if due <= 0:
        return 0.0
    return due * (1 - (NO_RECALL_YET if recall is None else recall))


def drill_gain(weakest: Weakest | None) -> float:
    if weakest is None:
        return 0.0
    return max(0.0, CUT - weakest.percent / 100) * weakest.share * EXAM_QUESTIONS


def mock_gain(*, days_since: int | None, every_days: int) -> float:
    if days_since is None:
        return NEVER_SAT_GAIN
    if days_since < every_days:
        return 0.0
    return min(MOCK_MAX_GAIN, 1 + (days_since - every_days) / 7)


def rank(
    *,
    due: int,
    recall: float | None,
    weakest: Weakest | None,
    days_since_mock: int | None,
    mock_every_days: int,
    limit: int = 3,
) -> list[Action]:
    """The actions worth doing, highest expected gain first (ties: reviews, drill, mock)."""
    actions = []
    gain = review_gain(due=due, recall=recall)
    if gain > 0:
        held = 1 - (NO_RECALL_YET if recall is None else recall)
        cards = f"{due} card{'s' if due != 1 else ''} due"
        worth = f"about {gain:.1f} question{'s' if gain >= 1.05 else ''} saved by reviewing now."
        # Cards still being learnt after a miss count as forgotten: say so rather than a
        # bare "forgotten 100%", which reads as a verdict on the student.
        why = (
            f"{cards}, missed and not yet relearnt: {worth}"
            if held >= 0.995
            else f"{cards}; you are likely to have forgotten about {held:.0%} of them, {worth}"
        )
        actions.append(Action("review", gain, why))
    gain = drill_gain(weakest)
    if gain > 0:
        actions.append(
            Action(
                "drill",
                gain,
                f"{weakest.label} is at {weakest.percent:.0f}% over {weakest.answered} answers; "
                f"reaching 72% there is worth about {gain:.1f} questions of a 65-question exam.",
            )
        )
    gain = mock_gain(days_since=days_since_mock, every_days=mock_every_days)
    if gain > 0:
        why = (
            "You have not sat a full mock of this guide yet: a score shows where to aim."
            if days_since_mock is None
            else f"Your last full mock was {days_since_mock} days ago (aim for one every "
            f"{mock_every_days}): a fresh score shows where you stand."
        )
        actions.append(Action("mock", gain, why))
    order = {"review": 0, "drill": 1, "mock": 2}
    actions.sort(key=lambda a: (-round(a.gain, 6), order[a.kind]))
    return actions[:limit]
