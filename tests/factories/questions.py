"""Build bank questions through the real service, so every test question is valid."""

from __future__ import annotations

import itertools

from questions.models import Domain, Question
from questions.services import question_as_data, question_create

_counter = itertools.count(1)

C02_FOR = {
    "Deployment": "Deployment",
    "Security": "Security",
    "Development with AWS Services": "Development with AWS Services",
    "Refactoring": "Development with AWS Services",
    "Monitoring and Troubleshooting": "Troubleshooting and Optimization",
}
# A DVA-C02 question needs a task statement of its DVA-C02 domain to publish.
TASK_STATEMENT_FOR = {
    "Development with AWS Services": "1.1",
    "Security": "2.1",
    "Deployment": "3.1",
    "Troubleshooting and Optimization": "4.1",
}


# The DVA-C02 guide's thirteen task statements, as the shipped reference data numbers them.
_C02_TASKS_PER_DOMAIN = ((1, 3), (2, 3), (3, 4), (4, 3))
C02_TASK_CODES = [f"{d}.{n}" for d, count in _C02_TASKS_PER_DOMAIN for n in range(1, count + 1)]


def question_data(
    *,
    domain: str = "Deployment",
    kind: str = "multiple_choice",
    stem: str | None = None,
    n_correct: int = 2,
    task_statement: str | None = None,
) -> dict:
    n = next(_counter)
    if kind == "multiple_choice":
        options = [{"text": f"Right answer {n}", "correct": True, "rationale": "It works."}] + [
            {"text": f"Distractor {n}-{i}", "correct": False, "rationale": "It does not."}
            for i in range(3)
        ]
        stem = stem or f"Scenario {n}: which service should the developer use?"
    else:
        words = {2: "TWO", 3: "THREE"}[n_correct]
        options = [
            {"text": f"Right {n}-{i}", "correct": True, "rationale": "Needed."}
            for i in range(n_correct)
        ] + [
            {"text": f"Wrong {n}-{i}", "correct": False, "rationale": "Not needed."}
            for i in range(5 - n_correct if n_correct == 2 else 3)
        ]
        stem = stem or f"Scenario {n}: which steps are required? (Select {words}.)"
    return {
        "key": f"test-q-{n}",
        "kind": kind,
        "stem": stem,
        "options": options,
        "explanation": f"Explanation {n}: because of how the service behaves.",
        "references": ["https://docs.aws.amazon.com/example/latest/guide/page.html"],
        "domains": {"DVA-C01": domain, "DVA-C02": C02_FOR[domain]},
        "task_statements": {"DVA-C02": task_statement or TASK_STATEMENT_FOR[C02_FOR[domain]]},
        "tags": ["S3"],
        "difficulty": "medium",
    }


def make_question(*, status: str = Question.Status.PUBLISHED, author=None, **kwargs) -> Question:
    return question_create(data=question_data(**kwargs), author=author, status=status)


def make_bank(per_domain: int = 3, *, guide: str = "DVA-C01") -> list[Question]:
    """Publish `per_domain` questions in every domain of the guide (a mix of kinds)."""
    questions = []
    for domain in Domain.objects.filter(guide__code=guide):
        name = (
            domain.name
            if guide == "DVA-C01"
            else next(k for k, v in C02_FOR.items() if v == domain.name)
        )
        for i in range(per_domain):
            kind = "multiple_response" if i % 4 == 3 else "multiple_choice"
            questions.append(make_question(domain=name, kind=kind))
    return questions


def question_form_post(data: dict, **extra) -> dict:
    """Return the question page's POST for `data` in the bank schema, as a person fills it."""
    post = {
        "kind": data["kind"],
        "stem": data["stem"],
        "explanation": data["explanation"],
        "references": "\n".join(data["references"]),
        "tags": ", ".join(data["tags"]),
        "difficulty": data["difficulty"] or "",
        "domain_DVA-C01": data["domains"].get("DVA-C01", ""),
        "domain_DVA-C02": data["domains"].get("DVA-C02", ""),
        "task_statement_DVA-C02": (data.get("task_statements") or {}).get("DVA-C02", ""),
        "change_note": "",
        "options-TOTAL_FORMS": str(len(data["options"])),
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "10",
    }
    for i, option in enumerate(data["options"]):
        post[f"options-{i}-text"] = option["text"]
        post[f"options-{i}-rationale"] = option["rationale"]
        if option["correct"]:
            post[f"options-{i}-correct"] = "on"
    post.update(extra)
    return post


def bank_as_data() -> dict[str, dict]:
    """Every question by key, as the bank schema holds it (stem, options, key, domains...)."""
    return {
        q.key: question_as_data(q)
        for q in Question.objects.prefetch_related(
            "current_version__options", "domain_links__guide", "domain_links__domain", "tags"
        )
    }
