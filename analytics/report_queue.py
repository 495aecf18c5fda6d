"""The instructors' queue of question reports: the filter and the one read behind the page.

A page of questions with reports (in the chosen status), each with its reports, counts per
category and the item statistics of every blueprint it was analysed in. A fixed number of
queries whatever the page holds: the page of questions, their reports, their statistics and
the options the statistics' counts name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import django_filters
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q

from core.filters import errors_as_text
from questions.models import Option, Question, QuestionReport

from .models import ItemStatistic

ALL = "all"
ORDERS = {"newest": "Newest report first", "count": "Most reports first"}
PAGE_SIZE = 20


class ReportQueueFilter(django_filters.FilterSet):
    """Which reports the queue shows (open unless told) and in which order."""

    status = django_filters.ChoiceFilter(
        choices=[*QuestionReport.Status.choices, (ALL, "All")], empty_label=None
    )
    order = django_filters.ChoiceFilter(choices=list(ORDERS.items()), empty_label=None)

    class Meta:
        model = QuestionReport
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", QuestionReport.Status.OPEN)
        data.setdefault("order", "newest")
        if not data.get("status"):
            data["status"] = QuestionReport.Status.OPEN
        if not data.get("order"):
            data["order"] = "newest"
        super().__init__(data, *args, **kwargs)

    def filter_queryset(self, queryset):
        return queryset  # the selector reads; the FilterSet only checks the values

    def selector_kwargs(self) -> dict:
        return {
            "status": self.form.cleaned_data["status"],
            "order": self.form.cleaned_data["order"],
        }

    def error_text(self) -> str:
        return errors_as_text(self.errors) or "The filters are not valid."


@dataclass
class OptionCount:
    label: str  # "A" for the first option as written
    count: int
    is_key: bool


@dataclass
class StatRow:
    stat: ItemStatistic
    options: list[OptionCount]
    earlier: int  # answers on options of versions other than the current one


@dataclass
class QueueEntry:
    question: Question
    reports: list[QuestionReport] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)
    stats: list[StatRow] = field(default_factory=list)


def _status_q(status: str, prefix: str = "") -> Q:
    return Q() if status == ALL else Q(**{f"{prefix}status": status})


def report_queue(*, status: str, order: str, page_number) -> tuple:
    """Return (page, entries) for the queue page: questions with reports in `status`."""
    in_status = _status_q(status, "reports__")
    questions = (
        Question.objects.filter(in_status, reports__isnull=False)
        .annotate(
            report_count=Count("reports", filter=in_status, distinct=True),
            latest_report=Max("reports__created_at", filter=in_status),
        )
        .select_related("current_version")
        .order_by(
            *(("-report_count", "-latest_report") if order == "count" else ("-latest_report",)),
            "pk",
        )
    )
    page = Paginator(questions, PAGE_SIZE).get_page(page_number)
    entries = {q.pk: QueueEntry(question=q) for q in page.object_list}
    if not entries:
        return page, []
    reports = (
        QuestionReport.objects.filter(_status_q(status), question_id__in=entries)
        .select_related("reporter", "version", "resolved_by")
        .order_by("-created_at", "-pk")
    )
    for report in reports:
        entries[report.question_id].reports.append(report)
    stats = list(
        ItemStatistic.objects.filter(question_id__in=entries)
        .select_related("blueprint")
        .order_by("-attempts", "blueprint__title")
    )
    current_versions = [q.current_version_id for q in page.object_list if q.current_version_id]
    options_of: dict[int, list[Option]] = {}
    for option in Option.objects.filter(version_id__in=current_versions).only(
        "pk", "version_id", "position", "is_correct"
    ):
        options_of.setdefault(option.version_id, []).append(option)
    for stat in stats:
        question = entries[stat.question_id].question
        counts = {str(k): int(v) for k, v in (stat.option_counts or {}).items()}
        current = sorted(options_of.get(question.current_version_id, []), key=lambda o: o.position)
        rows = [
            OptionCount(chr(ord("A") + o.position), counts.pop(str(o.pk), 0), o.is_correct)
            for o in current
        ]
        entries[stat.question_id].stats.append(StatRow(stat, rows, sum(counts.values())))
    labels = dict(QuestionReport.Category.choices)
    for entry in entries.values():
        counter = Counter(r.category for r in entry.reports)
        entry.categories = [(labels[c], counter[c]) for c in labels if counter[c]]
    return page, [entries[q.pk] for q in page.object_list]
