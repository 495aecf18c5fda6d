"""Reads of the question bank: filtered lists, history, coverage."""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet

from .allocation import allocate_by_largest_remainder
from .models import (
    Domain,
    ExamGuide,
    Option,
    Question,
    QuestionDomain,
    QuestionEvent,
    QuestionReview,
    QuestionVersion,
    TaskStatement,
)
from .services import normalise_stem


def question_list(
    *,
    guide: str = "",
    domain: str = "",
    kind: str = "",
    status: str = "",
    tag: str = "",
    search: str = "",
    task_statement: str = "",
    needs_review: str = "",
) -> QuerySet[Question]:
    """Return bank questions matching the list filters, with what the list shows preloaded.

    `needs_review` is "yes" (questions that break a content rule), "no" or "" (any)."""
    questions = Question.objects.with_current().prefetch_related(
        Prefetch(
            "domain_links",
            queryset=QuestionDomain.objects.select_related("domain", "guide", "task_statement"),
        )
    )
    if guide:
        questions = questions.filter(domain_links__guide__code=guide)
    if domain:
        questions = questions.filter(domain_links__domain_id=domain)
    if task_statement:
        questions = questions.filter(domain_links__task_statement_id=task_statement)
    if kind:
        questions = questions.filter(kind=kind)
    if status:
        questions = questions.filter(status=status)
    if tag:
        questions = questions.filter(tags__name=tag)
    if needs_review in ("yes", "no"):
        questions = questions.filter(needs_review=needs_review == "yes")
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
                "domain_links",
                queryset=QuestionDomain.objects.select_related("domain", "guide", "task_statement"),
            ),
            Prefetch("current_version__options", queryset=Option.objects.order_by("position")),
            Prefetch("reviews", queryset=QuestionReview.objects.select_related("version")),
            Prefetch("events", queryset=QuestionEvent.objects.select_related("actor")),
            "enemies",
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


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
# Below this similarity an edited line reads better as one line removed and one added.
_PAIR_SIMILARITY = 0.3


def _merge(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for op, text in segments:
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        elif text:
            merged.append((op, text))
    return merged


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Return (op, text) segments turning `old` into `new` word by word; op is = + or -."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    segments = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(("=", "".join(a[i1:i2])))
        else:
            segments += [("-", "".join(a[i1:i2])), ("+", "".join(b[j1:j2]))]
    return _merge(segments)


def version_diff(
    *, older: QuestionVersion, newer: QuestionVersion
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the diff as (kind, segments) lines, kind ' ' same, '~' edited, '+' or '-'.

    An edited line's segments mark the words removed ('-') and added ('+'), so a one-word
    change in a long stem shows as that word, not as two whole paragraphs.
    """
    a, b = version_text(older), version_text(newer)
    lines: list[tuple[str, list[tuple[str, str]]]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [(" ", [("=", line)]) for line in a[i1:i2]]
            continue
        old, new = a[i1:i2], b[j1:j2]
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else None
            after = new[index] if index < len(new) else None
            if before is None:
                lines.append(("+", [("+", after)]))
            elif after is None:
                lines.append(("-", [("-", before)]))
            elif difflib.SequenceMatcher(None, before, after).ratio() < _PAIR_SIMILARITY:
                lines += [("-", [("-", before)]), ("+", [("+", after)])]
            else:
                lines.append(("~", word_diff(before, after)))
    return lines


@dataclass(frozen=True)
class DomainCoverage:
    domain: Domain
    published: int
    per_form: int
    forms: int | None


# A task statement with fewer published questions than this is flagged on the coverage page:
# a 10-question drill per task statement, and enough left for forms not to repeat.
TASK_STATEMENT_MIN_PUBLISHED = 18


@dataclass(frozen=True)
class TaskStatementCoverage:
    statement: TaskStatement
    published: int

    @property
    def enough(self) -> bool:
        return self.published >= TASK_STATEMENT_MIN_PUBLISHED


@dataclass(frozen=True)
class GuideCoverage:
    guide: ExamGuide
    domains: list[DomainCoverage]
    task_statements: list[TaskStatementCoverage] = ()

    @property
    def forms(self) -> int:
        counts = [d.forms for d in self.domains if d.forms is not None]
        return min(counts) if counts else 0


def bank_coverage() -> list[GuideCoverage]:
    """Per guide and domain: published questions against what one full form needs; per task
    statement: published questions (flagged under TASK_STATEMENT_MIN_PUBLISHED)."""
    result = []
    statements: dict[int, list[TaskStatementCoverage]] = {}
    for statement in TaskStatement.objects.select_related("domain").annotate(
        published=Count(
            "question_links",
            filter=Q(question_links__question__status=Question.Status.PUBLISHED),
        )
    ):
        statements.setdefault(statement.guide_id, []).append(
            TaskStatementCoverage(statement, statement.published)
        )
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
                statements.get(guide.pk, []),
            )
        )
    return result


def questions_due_for_review(
    *, max_age_days: int, today: datetime.date | None = None
) -> QuerySet[Question]:
    """Return the questions not retired whose review is missing or older than `max_age_days`,
    never reviewed first, then the oldest review."""
    today = today or datetime.date.today()
    cutoff = today - datetime.timedelta(days=max_age_days)
    return (
        Question.objects.with_current()
        .exclude(status=Question.Status.RETIRED)
        .filter(Q(reviewed_on__isnull=True) | Q(reviewed_on__lt=cutoff))
        .prefetch_related(
            Prefetch(
                "domain_links",
                queryset=QuestionDomain.objects.select_related("guide", "domain", "task_statement"),
            )
        )
        .order_by(F("reviewed_on").asc(nulls_first=True), "key")
    )
