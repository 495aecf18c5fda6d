"""The calibration table and the sure-but-wrong list, computed without a database."""

from exams.confidence import LEVELS, ConfidenceItem, calibrate


def _item(position, confidence, *, answered=True, correct=False):
    return ConfidenceItem(
        position=position, confidence=confidence, answered=answered, correct=correct
    )


def test_rows_count_answered_and_correct_per_confidence_in_a_fixed_order():
    result = calibrate(
        [
            _item(1, "sure", correct=True),
            _item(2, "sure", correct=True),
            _item(3, "sure"),
            _item(4, "unsure", correct=True),
            _item(5, "unsure"),
            _item(6, "guess"),
            _item(7, "", correct=True),
        ]
    )
    assert [(r.label, r.answered, r.correct) for r in result.rows] == [
        ("Sure", 3, 2),
        ("Unsure", 2, 1),
        ("Guess", 1, 0),
        ("Not given", 1, 1),
    ]
    assert round(result.sure.percent, 1) == 66.7
    assert result.row("guess").percent == 0
    assert result.given == 6


def test_sure_but_wrong_lists_only_answered_wrong_sure_items_in_position_order():
    result = calibrate(
        [
            _item(9, "sure"),
            _item(2, "sure"),
            _item(3, "sure", correct=True),
            _item(4, "unsure"),
            _item(5, "sure", answered=False),  # nothing to be wrong about
        ]
    )
    assert [i.position for i in result.sure_but_wrong] == [2, 9]


def test_a_confidence_without_an_answer_is_counted_apart():
    result = calibrate([_item(1, "guess", answered=False), _item(2, "", answered=False)])
    assert result.confidence_without_answer == 1
    assert all(r.answered == 0 for r in result.rows)


def test_no_items_gives_empty_rows_with_no_percent():
    result = calibrate([])
    assert [r.label for r in result.rows] == [label for _, label in LEVELS]
    assert all(r.percent is None for r in result.rows)
    assert result.sure_but_wrong == [] and result.given == 0


def test_an_unknown_stored_value_counts_as_not_given():
    result = calibrate([_item(1, "maybe", correct=True)])
    assert result.row("").answered == 1
