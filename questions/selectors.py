"""Reads of the question bank: filtered lists, history, coverage."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from exams.scoring import allocate_by_largest_remainder

from .models import Domain, ExamGuide, Option, Question, QuestionDomain, QuestionVersion
from .services import normalise_stem


def question_list(
    *,
    guide: str = "",
    domain: str = "",
    kind: str = "",
    status: str = "",
    tag: str = "",
    search: str = "",
) -> QuerySet[Question]:
    """Return bank questions matching the list filters, with what the list shows preloaded."""
    questions = Question.objects.with_current().prefetch_related(
        Prefetch("domain_links", queryset=QuestionDomain.objects.select_related("domain", "guide"))
    )
    if guide:
        questions = questions.filter(domain_links__guide__code=guide)
    if domain:
        questions = questions.filter(domain_links__domain_id=domain)
    if kind:
        questions = questions.filter(kind=kind)
    if status:
        questions = questions.filter(status=status)
    if tag:
        questions = questions.filter(tags__name=tag)
    if search:
        questions = questions.filter(
            Q(stem_search__contains=normalise_stem(search)) | Q(key__icontains=search)
        )
    return questions.distinct().order_by("-updated_at", "key")


def question_detail(*, question_id: int) -> Question:
    return (
        Question.objects.with_current()
        .prefetch_related(
            Prefetch(
                "domain_links", queryset=QuestionDomain.objects.select_related("domain", "guide")
            ),
            Prefetch("current_version__options", queryset=Option.objects.order_by("position")),
            Prefetch(
                "versions",
                queryset=QuestionVersion.objects.select_related("created_by").order_by("-number"),
            ),
        )
        .get(pk=question_id)
    )


def version_text(version: QuestionVersion) -> list[str]:
    """Return a version as lines of text, the form the history diff compares."""
    lines = [f"Kind: {version.get_kind_display()}", "", *version.stem.splitlines(), ""]
    for option in version.options.all():
        mark = "[x]" if option.is_correct else "[ ]"
        lines.append(f"{mark} {option.text}")
        if option.rationale:
            lines.append(f"    Why: {option.rationale}")
    lines += ["", "Explanation:", *version.explanation.splitlines(), "", "References:"]
    lines += [f"- {ref}" for ref in version.references]
    return lines


def version_diff(*, older: QuestionVersion, newer: QuestionVersion) -> list[tuple[str, str]]:
    """Return (kind, line) pairs of a line diff; kind is '+', '-' or ' '."""
    diff = difflib.ndiff(version_text(older), version_text(newer))
    return [(line[0], line[2:]) for line in diff if line[0] in "+- "]


@dataclass(frozen=True)
class DomainCoverage:
    domain: Domain
    published: int
    per_form: int
    forms: int | None


@dataclass(frozen=True)
class GuideCoverage:
    guide: ExamGuide
    domains: list[DomainCoverage]

    @property
    def forms(self) -> int:
        counts = [d.forms for d in self.domains if d.forms is not None]
        return min(counts) if counts else 0


def bank_coverage() -> list[GuideCoverage]:
    """Per guide and domain: published questions against what one full form needs."""
    result = []
    guides = ExamGuide.objects.prefetch_related(
        Prefetch(
            "domains",
            queryset=Domain.objects.annotate(
                published=Count(
                    "question_links",
                    filter=Q(question_links__question__status=Question.Status.PUBLISHED),
                )
            ).order_by("position"),
        )
    )
    for guide in guides:
        domains = list(guide.domains.all())
        per_form = allocate_by_largest_remainder(
            guide.question_count, {d.name: float(d.weight) for d in domains}
        )
        result.append(
            GuideCoverage(
                guide,
                [
                    DomainCoverage(
                        d,
                        d.published,
                        per_form[d.name],
                        d.published // per_form[d.name] if per_form[d.name] else None,
                    )
                    for d in domains
                ],
            )
        )
    return result
