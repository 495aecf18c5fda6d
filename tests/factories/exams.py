"""Exam blueprints and analytics helpers shared by the tests."""

from __future__ import annotations

from analytics.models import AttemptDomainResult
from exams.models import Attempt, Blueprint
from questions.models import ExamGuide


def short_blueprint(
    *,
    slug: str = "short",
    question_count: int = 10,
    duration_minutes: int | None = 20,
    guide: str = "DVA-C01",
    **fields,
) -> Blueprint:
    """A small timed exam at the guide's weights (10 questions in 20 minutes by default)."""
    return Blueprint.objects.create(
        title=fields.pop("title", slug.title()),
        slug=slug,
        question_count=question_count,
        duration_minutes=duration_minutes,
        guide=ExamGuide.objects.get(code=guide),
        **fields,
    )


def reported_domain_rows(attempt: Attempt) -> list[tuple[str, int, int]]:
    """The (domain, correct, total) rows of the attempt's own score report."""
    return sorted((d["domain"], d["correct"], d["total"]) for d in attempt.domain_results)


def stored_domain_rows(attempt: Attempt) -> list[tuple[str, int, int]]:
    """The (domain, correct, total) rows the analytics pipeline stored for the attempt."""
    return sorted(
        AttemptDomainResult.objects.filter(attempt=attempt).values_list(
            "domain__name", "correct", "total"
        )
    )


def blueprint_form_data(**fields) -> dict:
    """A valid POST for the blueprint form (a 5-question, 20-minute DVA-C01 mock), with changes."""
    post = {
        "title": "A new mock",
        "slug": "a-new-mock",
        "description": "",
        "guide": ExamGuide.objects.get(code="DVA-C01").pk,
        "mode": "exam",
        "feedback": "after_submit",
        "question_count": 5,
        "duration_minutes": 20,
        "unscored_count": 0,
        "passing_score": 720,
        "cut_percent": "72.00",
        "drill_domain": "",
        "is_active": "on",
    }
    post.update(fields)
    return post
