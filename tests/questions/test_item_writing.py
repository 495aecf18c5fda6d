"""The item-writing rules of the linter, on synthetic questions (pure: no database)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questions.content_rules import (
    MC_KEY_LONGEST_MAX_RATE,
    MR_LONGEST_IS_KEY_MAX_RATE,
    bank_rates,
    item_writing_findings,
    lint_bank,
    near_duplicate_stems,
)

STEMS = [
    "A retailer stores shopping carts in DynamoDB and sees throttling on one partition during "
    "a flash sale. Which change spreads the writes evenly?",
    "An API built on API Gateway must reject requests whose body lacks a required field before "
    "the backend runs. Which feature should the developer configure?",
    "A Lambda function reads a database password at every invocation and the secret store "
    "throttles it. What should the developer change?",
    "A team deploys a serverless application with AWS SAM and wants 10 percent of traffic on "
    "the new version for ten minutes first. Which setting does this?",
    "A CodeBuild project needs a token for a private package registry without printing it in "
    "the build logs. Where should the token come from?",
    "A developer must find which downstream call makes one API slow across three services. "
    "Which approach shows the time spent in each call?",
]


def mc(
    n: int,
    *,
    key: str = "Option text a",
    distractors=("Option text b", "Option text c", "Option text d"),
    **extra,
) -> dict:
    question = {
        "key": f"item-{n}",
        "kind": "multiple_choice",
        "stem": STEMS[n % len(STEMS)] if n < len(STEMS) else f"{STEMS[n % 6]} (variant {n})",
        "options": [{"text": key, "correct": True, "rationale": "Right."}]
        + [{"text": d, "correct": False, "rationale": "Wrong."} for d in distractors],
        "explanation": "Because.",
        "references": ["https://docs.aws.amazon.com/example.html"],
        "domains": {"DVA-C01": "Security"},
        "difficulty": "medium",
        "reviewed_on": "2026-12-02",
    }
    question.update(extra)
    return question


def mr(n: int, *, longest_is_key: bool) -> dict:
    # Lengths 24, 20, 21, 19, 17: no key is 1.5x a distractor either way.
    texts = [
        ("Enable long polling now", longest_is_key),
        ("Key option number two", True),
        ("Distractor number one", False),
        ("Distractor number 2", False),
        ("Shorter option ok", not longest_is_key),
    ]
    stems = {
        10: "An order service drops duplicate messages from an SQS queue. Which steps keep "
        "each order processed once? (Select TWO.)",
        11: "A mobile game stores player sessions and needs faster reads during evening peaks. "
        "Which changes help? (Select TWO.)",
    }
    return {
        **mc(n),
        "kind": "multiple_response",
        "stem": stems[n],
        "options": [{"text": t, "correct": c, "rationale": "R."} for t, c in texts],
    }


def test_a_clean_item_has_no_findings():
    assert item_writing_findings(mc(0)) == []


def test_a_key_over_one_and_a_half_times_the_longest_distractor_is_a_finding():
    item = mc(0, key="x" * 31, distractors=("y" * 20, "z" * 10, "w" * 5))
    assert item_writing_findings(item) == [
        "a key (31 characters) is more than 1.5x the longest distractor (20 characters): "
        "a length cue"
    ]
    assert item_writing_findings(mc(0, key="x" * 30, distractors=("y" * 20, "z", "w"))) == []


def test_which_two_before_select_is_a_finding():
    item = {**mr(10, longest_is_key=False)}
    item["stem"] = "Which TWO actions make the queue consumer idempotent? (Select TWO.)"
    assert item_writing_findings(item) == [
        'the stem says "Which TWO"; ask "Which …" and let "(Select N.)" give the count'
    ]
    item["stem"] = "Which actions make the queue consumer idempotent? (Select TWO.)"
    assert item_writing_findings(item) == []


@pytest.mark.parametrize(
    "question",
    [
        "Which solution is the most cost-effective?",
        "Which approach requires the least operational overhead?",
        "Which option needs the fewest code changes?",
    ],
)
def test_a_lowercase_qualifier_in_the_question_is_a_finding(question):
    item = mc(0, stem=f"A team runs a nightly batch on Lambda. {question}")
    (finding,) = item_writing_findings(item)
    assert finding.startswith('the qualifier "') and "in capitals" in finding


@pytest.mark.parametrize(
    "stem",
    [
        "A team runs a nightly batch on Lambda. Which solution is the MOST cost-effective?",
        "Most of the traffic arrives at night. Which setting keeps the function warm?",
        "The function must read at least one item. Which call should it make?",
        "Which change fixes the error while following least privilege?",
        "The queue holds at most ten messages. Which setting keeps the order?",
    ],
)
def test_capitals_and_quantities_are_not_findings(stem):
    assert item_writing_findings(mc(0, stem=stem)) == []


def test_all_or_none_of_the_above_is_a_finding():
    item = mc(0, distractors=("Option text b", "Option text c", "None of the above"))
    assert item_writing_findings(item) == ['option 4 says "None of the above"; write a real option']


def test_a_published_item_needs_reviewed_on():
    item = mc(0, reviewed_on=None)
    assert item_writing_findings(item) == [
        "a published item needs reviewed_on (the date a second reader checked it)"
    ]
    assert item_writing_findings(item, published=False) == []


def test_a_published_dva_c02_item_needs_its_task_statement():
    item = mc(0, domains={"DVA-C02": "Security"})
    assert lint_bank([item]).problems == [
        "item-0: the DVA-C02 task statement is missing (the question has a DVA-C02 domain)"
    ]
    item["task_statements"] = {"DVA-C02": "2.3"}
    assert lint_bank([item]).problems == []


def test_rates_count_the_length_cues():
    bank = [mc(i, key="Option text longest") for i in range(2)] + [mc(i) for i in range(2, 5)]
    bank += [mr(10, longest_is_key=True), mr(11, longest_is_key=False)]
    rates = bank_rates(bank)
    assert (rates.multiple_choice, rates.key_strictly_longest) == (5, 2)
    assert (rates.multiple_response, rates.longest_is_key) == (2, 1)
    assert rates.key_strictly_longest_rate == 0.4
    assert rates.longest_is_key_rate == 0.5


def test_a_rate_over_its_limit_fails_the_bank_and_a_rate_at_it_passes():
    # 2 of 5 MC keys strictly longest (40 %) breaks 35 %; 1 of 2 MR (50 %) is at its limit.
    bank = [mc(i, key="Option text longest") for i in range(2)] + [mc(i) for i in range(2, 5)]
    bank += [mr(10, longest_is_key=True), mr(11, longest_is_key=False)]
    lint = lint_bank(bank)
    assert MC_KEY_LONGEST_MAX_RATE == 0.35 and MR_LONGEST_IS_KEY_MAX_RATE == 0.5
    assert lint.problems == [
        "bank: multiple choice: key strictly the longest option in 2 of 5 (40.0%; at most "
        "35%): over the limit"
    ]
    fixed = lint_bank([mc(0, key="Option text longest"), *[mc(i) for i in range(1, 5)]])
    assert fixed.problems == [] and fixed.rates.key_strictly_longest == 1


def test_near_duplicate_stems_are_found_unless_declared_enemies():
    first = mc(0)
    reworded = mc(1, stem=first["stem"].replace("flash sale", "big flash sale event"))
    assert near_duplicate_stems([first, reworded, mc(2)]) == [(0, 1, pytest.approx(94, abs=6))]
    (problem,) = lint_bank([first, reworded, mc(2)]).problems
    assert problem.startswith("item-1: the stem is a near-duplicate of item-0 (score ")
    reworded["enemies"] = ["item-0"]
    assert near_duplicate_stems([first, reworded, mc(2)]) == []
    assert lint_bank([first, reworded, mc(2)]).problems == []


def test_a_shared_code_block_does_not_make_stems_near_duplicates():
    policy = (
        "```json\n"
        + json.dumps({"Statement": [{"Effect": "Deny", "Action": "s3:*"}]}, indent=2) * 4
        + "\n```"
    )
    first = mc(0, stem=f"{STEMS[0]}\n\n{policy}")
    second = mc(1, stem=f"{STEMS[1]}\n\n{policy}")
    assert near_duplicate_stems([first, second]) == []


def test_the_scenarios_of_distinct_items_are_not_near_duplicates():
    assert near_duplicate_stems([mc(i) for i in range(len(STEMS))]) == []


def _write_bank(directory, questions):
    directory.mkdir()
    (directory / "bank.json").write_text(
        json.dumps({"format": "dva-question-bank", "version": 1, "questions": questions})
    )
    return directory


def test_lint_command_prints_the_rates_and_passes_a_clean_bank(tmp_path, capsys):
    directory = _write_bank(tmp_path / "clean", [mc(i) for i in range(4)])
    call_command("lint_question_bank", dir=str(directory))
    out = capsys.readouterr().out
    assert "key strictly the longest option in 0 of 4 (0.0%; at most 35%)" in out
    assert "4 questions, no problems." in out


def test_lint_command_fails_on_a_breach(tmp_path, capsys):
    bank = [mc(i, key="Option text longest") for i in range(2)] + [mc(2)]
    directory = _write_bank(tmp_path / "cued", bank)
    with pytest.raises(CommandError, match="1 problem"):
        call_command("lint_question_bank", dir=str(directory))
    assert "over the limit" in capsys.readouterr().out
