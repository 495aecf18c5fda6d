"""Content rules and the bank linter, on hand-made questions and on the shipped seed bank."""

from __future__ import annotations

import copy
import json

import pytest

from questions.content_rules import (
    DOMAINS,
    expected_select_count,
    lint_bank,
    question_problems,
    select_phrase,
)

from .helpers import mc, mr, seed_files


@pytest.mark.parametrize(
    ("n", "phrase"),
    [(2, "(Select TWO.)"), (3, "(Select THREE.)"), (4, "(Select FOUR.)"), (6, "(Select SIX.)")],
)
def test_select_phrase_spells_the_number(n, phrase):
    assert select_phrase(n) == phrase
    assert expected_select_count(f"Which of these apply? {phrase}") == n


@pytest.mark.parametrize("n", [0, 1, 7])
def test_select_phrase_refuses_counts_without_a_word(n):
    with pytest.raises(ValueError, match="2 to 6"):
        select_phrase(n)


@pytest.mark.parametrize(
    "stem", ["Which apply?", "Which apply? (select two)", "Which apply? (Select 2.)", ""]
)
def test_expected_select_count_needs_the_exact_wording(stem):
    assert expected_select_count(stem) is None


def test_valid_questions_have_no_problems():
    assert question_problems(mc()) == []
    assert question_problems(mr()) == []
    assert question_problems(mc(), for_publish=True) == []
    assert question_problems(mr(), for_publish=True) == []


def test_a_draft_needs_no_explanation_rationales_references_or_domains():
    draft = mc(explanation="", references=[], domains={}, tags=[], key=None, difficulty=None)
    for option in draft["options"]:
        option.pop("rationale")
    assert question_problems(draft) == []


def test_multiple_choice_needs_exactly_one_correct_option():
    question = mc()
    question["options"][1]["correct"] = True
    assert question_problems(question) == [
        "a multiple-choice question needs exactly one correct option, but two options are "
        "marked correct"
    ]
    question = mc()
    question["options"][0]["correct"] = False
    assert question_problems(question) == [
        "a multiple-choice question needs exactly one correct option, but no options are "
        "marked correct"
    ]


def test_multiple_choice_needs_three_distractors():
    question = mc()
    del question["options"][3]
    assert question_problems(question) == [
        "a multiple-choice question needs at least 4 options (one answer and three "
        "distractors), found 3"
    ]


def test_multiple_choice_stem_must_not_ask_to_select():
    assert question_problems(mc("Which one is a queue? (Select TWO.)")) == [
        "a multiple-choice stem must not say (Select TWO.); only multiple-response questions "
        "state how many to select"
    ]


def test_multiple_response_needs_the_phrase_matching_the_correct_count():
    assert question_problems(mr("Which are serverless?")) == [
        "the stem must state how many to select, e.g. (Select TWO.)"
    ]
    assert question_problems(mr("Which are serverless? (Select THREE.)")) == [
        "two options are marked correct but the stem says (Select THREE.)"
    ]
    assert question_problems(mr("Which are serverless? (select two)")) == [
        "the stem says (select two) but the wording must be exactly (Select TWO.)"
    ]
    assert question_problems(mr("Which? (Select TWO.) Really? (Select TWO.)")) == [
        "the stem states how many to select more than once"
    ]


def test_multiple_response_counts():
    question = mr()
    question["options"] = question["options"][:4]
    assert question_problems(question) == [
        "a multiple-response question needs at least 5 options, found 4"
    ]
    question = mr()
    question["options"][1]["correct"] = False
    assert question_problems(question)[0] == (
        "a multiple-response question needs at least two correct options, but one option is "
        "marked correct"
    )
    question = mr("Which? (Select FIVE.)")
    for option in question["options"]:
        option["correct"] = True
    assert "every option is marked correct; at least one must be a distractor" in (
        question_problems(question)
    )


def test_option_texts_must_be_present_and_unique():
    question = mc()
    question["options"][2]["text"] = "  amazon   SQS "
    question["options"][3]["text"] = " "
    assert question_problems(question) == [
        "options 1 and 3 have the same text",
        "option 4 has no text",
    ]


def test_structure_problems():
    assert question_problems(mc(kind="single")) == [
        "the kind must be multiple_choice or multiple_response, not 'single'"
    ]
    assert question_problems(mc(stem="  ")) == ["the stem is empty"]
    assert question_problems(mc(difficulty="brutal")) == [
        "the difficulty must be easy, medium or hard, not 'brutal'"
    ]
    assert question_problems(mc(key="has spaces")) == [
        "the key 'has spaces' must be a slug (letters, digits, hyphens and underscores)"
    ]
    assert question_problems("nope") == ["the question is not an object"]


def test_domains_are_checked_against_the_exam_guides():
    assert question_problems(mc(domains={"DVA-C01": "security"})) == []
    assert question_problems(mc(domains={"DVA-C02": "Refactoring"})) == [
        "DVA-C02 has no domain 'Refactoring' (one of: " + ", ".join(DOMAINS["DVA-C02"]) + ")"
    ]
    assert question_problems(mc(domains={"SAA-C03": "Security"})) == [
        "unknown exam code 'SAA-C03' in domains"
    ]


def test_publishing_needs_explanation_rationales_https_reference_and_domain():
    question = mc(explanation="", references=["http://example.com/x", "see the docs"], domains={})
    question["options"][2]["rationale"] = ""
    assert question_problems(question, for_publish=True) == [
        # Any status refuses a reference that is not an http(s) URL, so it comes first.
        "reference 2 is not an http(s):// URL: 'see the docs'",
        "the explanation is missing",
        "option 3 has no rationale",
        "at least one reference must be an https:// URL",
        "the domain is missing: choose one in at least one exam guide",
    ]
    # One guide is enough; a DVA-C02 domain needs its task statement.
    assert question_problems(mc(domains={"DVA-C02": "Security"}), for_publish=True) == [
        "the DVA-C02 task statement is missing (the question has a DVA-C02 domain)"
    ]
    one_guide = mc(domains={"DVA-C02": "Security"}, task_statements={"DVA-C02": "2.2"})
    assert question_problems(one_guide, for_publish=True) == []
    assert question_problems(mc(domains={"DVA-C01": "Security"}), for_publish=True) == []


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.name)
def test_every_seed_file_is_publishable(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "dva-question-bank"
    # The content rules; the item-writing rules are tested in tests/questions/test_item_writing.py.
    assert lint_bank(document["questions"], item_writing=False).problems == []


def test_the_whole_seed_bank_lints_clean(seed_questions):
    assert len(seed_questions) >= 158
    assert lint_bank(seed_questions, item_writing=False).problems == []


def test_lint_bank_reports_problems_and_duplicates_by_key_or_number():
    first = mc(key="q-one")
    repeated_key = mc(stem="Which one is a queue service?", key="q-one")
    repeated_stem = mc(stem="  which SERVICE is a managed\nmessage queue? ", key=None)
    unpublishable = mr(key="q-four", explanation="")
    lint = lint_bank([first, repeated_key, repeated_stem, unpublishable], item_writing=False)
    assert lint.problems == [
        "q-one: the key is also used by question 1",
        "question 3: the same stem as q-one",
        "q-four: the explanation is missing",
    ]


def test_lint_bank_does_not_change_the_questions(seed_questions):
    before = copy.deepcopy(seed_questions)
    lint_bank(seed_questions)
    assert seed_questions == before
