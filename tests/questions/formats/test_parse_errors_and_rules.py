"""Which problems refuse a question (parse errors) and which make a draft that needs review."""

from __future__ import annotations

import pytest

from questions.content_rules import (
    domain_by_name_or_number,
    parse_problems,
    question_problems,
    rule_problems,
)

from .helpers import mc, mr


def _options(*texts: str, correct: int = 0) -> list[dict]:
    return [
        {"text": t, "correct": i == correct, "rationale": f"Because {i}."}
        for i, t in enumerate(texts)
    ]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (mc(kind="single"), "the kind must be multiple_choice or multiple_response"),
        (mc(stem="   "), "the stem is empty"),
        (mc(stem="x" * 5001), "the stem is 5001 characters long"),
        (mc(options="a, b"), "the options must be a list"),
        (mc(options=_options("a", "b", "c", "d", correct=9)), "but no options are marked"),
        (
            mr(options=_options("a", "b", "c", "d", "e", correct=1)),
            "at least two correct options, but one option is marked",
        ),
        (mc(options=[{"text": "a", "correct": "yes"}]), "correct must be true or false"),
        (mc(options=[{"text": "", "correct": True}]), "option 1 has no text"),
        (mc(options=_options(*"abcdefghijk")), "at most 10 options, found 11"),
        (mc(explanation=["not", "text"]), "the explanation must be text"),
        (mc(references=["javascript:alert(1)"]), "is not an http(s):// URL"),
        (mc(domains={"DVA-C01": "Networking"}), "DVA-C01 has no domain 'Networking'"),
        (mc(domains={"SAA-C03": "Security"}), "unknown exam code 'SAA-C03'"),
        (mc(key="has spaces"), "must be a slug"),
        (mc(stem="Which one?\x00"), "NUL character"),
    ],
)
def test_a_parse_error_refuses_the_question_and_is_never_a_rule(question, message):
    assert any(message in p for p in parse_problems(question)), parse_problems(question)
    # A question with a parse error has no rule problems to store: it is not stored at all.
    assert rule_problems(question) == []


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (mc(options=_options("a", "b", "c")), "needs at least 4 options"),
        (mr(options=mr()["options"][:4]), "needs at least 5 options, found 4"),
        (mr(stem="Which are serverless?"), "the stem must state how many to select"),
        (mr(stem="Which are serverless? (Select THREE.)"), "but the stem says (Select THREE.)"),
        (mc(stem="Which is a queue? (Select TWO.)"), "a multiple-choice stem must not say"),
        (
            mr(
                options=[{**o, "correct": True} for o in mr()["options"]],
                stem="All? (Select FIVE.)",
            ),
            "every option is marked correct",
        ),
        (mc(options=_options("a", "b", "a", "d")), "options 1 and 3 have the same text"),
        (mc(domains={}), "the domain is missing"),
        (mc(explanation=""), "the explanation is missing"),
        (mc(references=[]), "at least one reference must be an https:// URL"),
        (mc(domains={"DVA-C02": "Security"}), "the DVA-C02 task statement is missing"),
    ],
)
def test_a_rule_problem_keeps_the_question_as_a_draft_that_needs_review(question, message):
    assert parse_problems(question) == []
    assert any(message in p for p in rule_problems(question)), rule_problems(question)
    # Publishing is gated by the same rules.
    assert any(message in p for p in question_problems(question, for_publish=True))


def test_item_writing_findings_are_review_notes_but_reviewed_on_is_not():
    question = mc()
    question["options"][0]["text"] = "Amazon Simple Queue Service, the fully managed queue " * 2
    notes = rule_problems(question)
    assert any("a length cue" in n for n in notes)
    assert not any("reviewed_on" in n for n in notes)


def test_a_question_that_meets_every_rule_has_no_notes():
    assert rule_problems(mc()) == [] and rule_problems(mr()) == []
    assert parse_problems(mc()) == [] and parse_problems(mr()) == []


@pytest.mark.parametrize(
    ("code", "value", "domain"),
    [
        ("DVA-C01", "Security", "Security"),
        ("DVA-C01", "  development   WITH aws services ", "Development with AWS Services"),
        ("DVA-C01", "1", "Deployment"),
        ("DVA-C01", "5", "Monitoring and Troubleshooting"),
        ("DVA-C01", "Domain 2", "Security"),
        ("DVA-C01", "domain3", "Development with AWS Services"),
        ("DVA-C02", "4", "Troubleshooting and Optimization"),
        ("DVA-C01", "", ""),
    ],
)
def test_a_domain_is_given_by_name_or_by_number(code, value, domain):
    assert domain_by_name_or_number(code, value) == domain


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("DVA-C01", "6", "DVA-C01 has no domain '6': give its name or its number (1 Deployment;"),
        ("DVA-C01", "0", "has no domain '0'"),
        ("DVA-C02", "5", "DVA-C02 has no domain '5'"),
        ("DVA-C01", "Networking", "has no domain 'Networking'"),
        ("SAA-C03", "1", "unknown exam guide 'SAA-C03'"),
    ],
)
def test_a_wrong_domain_names_the_choices(code, value, message):
    with pytest.raises(ValueError) as info:
        domain_by_name_or_number(code, value)
    assert message in str(info.value)
