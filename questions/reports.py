"""Problem reports on questions: a student reports, an instructor accepts or rejects with a reply.

Services write (keyword-only, atomic, `full_clean()` first, refusals as `ApplicationError`);
the selectors at the end read. The callers check that the student could see the question's key
(exams: a checked practice item or a finished attempt); this module only records.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone

from core.errors import ApplicationError

from .models import QuestionReport, QuestionVersion

DUPLICATE = (
    "You already have an open report on this question; an instructor will answer it before you "
    "can report it again."
)


def _open_exists(*, reporter, question_id: int) -> bool:
    return QuestionReport.objects.filter(
        reporter=reporter, question_id=question_id, status=QuestionReport.Status.OPEN
    ).exists()


@transaction.atomic
def report_create(*, reporter, version_id: int, category: str, text: str = "") -> QuestionReport:
    """Record a report on the version the student saw; one open report per student and question."""
    text = (text or "").strip()
    if category not in QuestionReport.Category.values:
        raise ApplicationError({"category": "Choose what is wrong with the question."})
    if category == QuestionReport.Category.OTHER and not text:
        raise ApplicationError({"text": "Say what the problem is (needed for “Other”)."})
    if len(text) > QuestionReport.TEXT_MAX:
        raise ApplicationError(
            {"text": f"Keep it under {QuestionReport.TEXT_MAX} characters ({len(text)} now)."}
        )
    version = QuestionVersion.objects.filter(pk=version_id).only("pk", "question_id").first()
    if version is None:
        raise ApplicationError("That question no longer exists.", status=404)
    if _open_exists(reporter=reporter, question_id=version.question_id):
        raise ApplicationError(DUPLICATE, status=409)
    report = QuestionReport(
        reporter=reporter,
        question_id=version.question_id,
        version=version,
        category=category,
        text=text,
    )
    report.full_clean()
    try:
        with transaction.atomic():  # two tabs at once: the partial unique index decides
            report.save()
    except IntegrityError as exc:
        raise ApplicationError(DUPLICATE, status=409) from exc
    return report


@transaction.atomic
def report_resolve(*, report_id: int, user, status: str, reply: str = "") -> QuestionReport:
    """Accept (optional reply) or reject (reply required) an open report, recording who and when."""
    reply = (reply or "").strip()
    report = QuestionReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise ApplicationError("That report no longer exists.", status=404)
    if report.status != QuestionReport.Status.OPEN:
        raise ApplicationError(
            f"This report was already {report.get_status_display().lower()}.", status=409
        )
    if status not in (QuestionReport.Status.ACCEPTED, QuestionReport.Status.REJECTED):
        raise ApplicationError({"decision": "Choose Accept or Reject."})
    if status == QuestionReport.Status.REJECTED and not reply:
        raise ApplicationError({"reply": "A rejection needs a reply the student will read."})
    if len(reply) > QuestionReport.TEXT_MAX:
        raise ApplicationError(
            {"reply": f"Keep it under {QuestionReport.TEXT_MAX} characters ({len(reply)} now)."}
        )
    report.status = status
    report.reply = reply
    report.resolved_by = user
    report.resolved_at = timezone.now()
    report.reporter_seen_at = None  # the reporter has an answer to read
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def reports_mark_seen(*, reporter, report_ids) -> int:
    """Mark the reporter's answered reports among `report_ids` as seen; return how many changed."""
    return (
        QuestionReport.objects.filter(
            pk__in=list(report_ids),
            reporter=reporter,
            reporter_seen_at__isnull=True,
        )
        .exclude(status=QuestionReport.Status.OPEN)
        .update(reporter_seen_at=timezone.now())
    )


# --- selectors ------------------------------------------------------------------------------------


def reports_for_reporter(*, reporter, limit: int = 10) -> list[QuestionReport]:
    """The reporter's newest reports, unread answers first (one query)."""
    unread = Q(reporter_seen_at__isnull=True) & ~Q(status=QuestionReport.Status.OPEN)
    return list(
        QuestionReport.objects.filter(reporter=reporter)
        .select_related("question", "version")
        .alias(
            unread_first=Case(
                When(unread, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .order_by("-unread_first", "-created_at", "-pk")[:limit]
    )
