import re
from pathlib import Path

import pytest
from django.core.management import call_command

from questions.bank import seed_bank_questions
from questions.content_rules import lint_bank
from questions.models import Question, QuestionReview
from questions.selectors import bank_coverage

NOTES = (
    Path(__file__).resolve().parents[3] / "shared" / "seed" / "aws-developer-associate-notes.txt"
)


def _is_scenario(stem: str) -> bool:
    """A scenario says something before it asks: at least two sentences outside code blocks."""
    prose = re.sub(r"```.*?```", "", stem, flags=re.S).strip()
    return len([p for p in re.split(r"(?<=[.?!:])\s+", prose) if p]) >= 2


def test_seed_bank_passes_the_content_linter():
    questions = seed_bank_questions()
    assert len(questions) >= 420
    assert lint_bank(questions, item_writing=False).problems == []
    multiple_response = sum(q["kind"] == "multiple_response" for q in questions)
    assert multiple_response >= 0.30 * len(questions)
    assert sum(_is_scenario(q["stem"]) for q in questions) >= 0.85 * len(questions)
    for q in questions:
        assert q["domains"].get("DVA-C01") or q["domains"].get("DVA-C02"), q["key"]
        assert any(r.startswith("https://docs.aws.amazon.com/") for r in q["references"])
        if q["domains"].get("DVA-C02"):
            assert q["task_statements"]["DVA-C02"], q["key"]
        # Every item was checked by a second reader, whose verdict is in its history.
        assert q["reviewed_on"] and q["reviews"], q["key"]
        assert all(r["verdict"] in {"accepted", "accepted_with_changes"} for r in q["reviews"])


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@pytest.mark.skipif(not NOTES.exists(), reason="the study notes are not beside the checkout")
def test_seed_bank_copies_no_sentence_from_the_study_notes():
    """No run of eight consecutive words of the notes appears in the bank."""
    notes = _words(NOTES.read_text(errors="replace"))
    runs = {tuple(notes[i : i + 8]) for i in range(len(notes) - 7)}
    copied = []
    for q in seed_bank_questions():
        texts = [q["stem"], q["explanation"]] + [
            o["text"] + " " + o["rationale"] for o in q["options"]
        ]
        for text in texts:
            words = _words(text)
            copied += [
                (q["key"], " ".join(words[i : i + 8]))
                for i in range(len(words) - 7)
                if tuple(words[i : i + 8]) in runs
            ]
    assert copied == []


@pytest.mark.django_db
def test_load_question_bank_is_idempotent_and_fills_the_forms_the_guides_need():
    call_command("load_question_bank")
    count = Question.objects.count()
    reviews = QuestionReview.objects.count()
    enemies = Question.enemies.through.objects.count()
    call_command("load_question_bank")
    assert Question.objects.count() == count >= 150
    assert all(q.versions.count() == 1 for q in Question.objects.all())
    # Reviews and enemy pairs are not duplicated by a second load either.
    assert QuestionReview.objects.count() == reviews
    assert Question.enemies.through.objects.count() == enemies
    coverage = {c.guide.code: c for c in bank_coverage()}
    # Non-overlapping full forms at the blueprint weights: 5 of the exam sat today, 4 of C01.
    assert coverage["DVA-C02"].forms >= 5
    assert coverage["DVA-C01"].forms >= 4
    statements = coverage["DVA-C02"].task_statements
    assert len(statements) == 13
    assert all(s.published >= 18 for s in statements), [
        (s.statement.code, s.published) for s in statements
    ]


def test_seed_bank_passes_the_item_writing_rules(capsys):
    """The whole shipped bank passes every rule, and the command prints the bank-level rates."""
    lint = lint_bank(seed_bank_questions())
    assert lint.problems == []
    call_command("lint_question_bank")
    out = capsys.readouterr().out
    assert "no problems" in out and "key strictly the longest option" in out
