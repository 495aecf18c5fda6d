"""The study plan's ranking (pure, no database)."""

import pytest

from study.plan import Weakest, drill_gain, mock_gain, rank, review_gain


def test_review_gain_grows_with_due_cards_and_forgetting():
    assert review_gain(due=0, recall=0.5) == 0
    assert review_gain(due=10, recall=0.9) == pytest.approx(1.0)
    assert review_gain(due=10, recall=None) == pytest.approx(5.0)


def test_drill_gain_is_the_distance_to_the_cut_times_the_share():
    weak = Weakest("task 2.1", percent=40, share=0.26 / 3, answered=12)
    assert drill_gain(weak) == pytest.approx((0.72 - 0.40) * 0.26 / 3 * 65)
    assert drill_gain(Weakest("x", percent=80, share=0.3, answered=20)) == 0
    assert drill_gain(None) == 0


def test_mock_gain():
    assert mock_gain(days_since=None, every_days=7) == 3
    assert mock_gain(days_since=3, every_days=7) == 0
    assert mock_gain(days_since=7, every_days=7) == 1
    assert mock_gain(days_since=21, every_days=7) == 3
    assert mock_gain(days_since=400, every_days=7) == 5


def test_rank_orders_by_gain_and_keeps_three():
    weak = Weakest("Security", percent=30, share=0.26, answered=20)  # ≈ 7.1
    actions = rank(
        due=30, recall=0.8, weakest=weak, days_since_mock=10, mock_every_days=7
    )  # reviews 6.0, drill 7.1, mock ≈ 1.4
    assert [a.kind for a in actions] == ["drill", "review", "mock"]
    assert all(a.why for a in actions)
    assert "30 cards due" in actions[1].why


def test_nothing_worth_doing_is_left_out():
    assert rank(due=0, recall=None, weakest=None, days_since_mock=1, mock_every_days=7) == []
    only = rank(due=1, recall=0.9, weakest=None, days_since_mock=2, mock_every_days=7)
    assert [a.kind for a in only] == ["review"]


def test_ties_prefer_reviews():
    weak = Weakest("x", percent=72 - 100 * 1 / (0.5 * 65), share=0.5, answered=9)
    actions = rank(due=2, recall=0.5, weakest=weak, days_since_mock=7, mock_every_days=7)
    assert [a.kind for a in actions] == ["review", "drill", "mock"]
