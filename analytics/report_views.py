"""The instructors' review queue of question reports, and the reporter's answers on the dashboard.

The queue lives in analytics because it shows each question's item statistics beside its
reports; the records and their services are `questions.reports`. Accepting leads to the
question's edit page (saving there makes a new version, as always); rejecting needs a reply.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST

from core.errors import refusal_text
from questions.models import QuestionReport
from questions.report_forms import ResolveForm
from questions.reports import report_resolve, reports_for_reporter, reports_mark_seen

from .report_queue import ORDERS, ReportQueueFilter, report_queue

# Like the bank's own pages: whoever may edit questions answers the reports about them.
editor_required = permission_required("questions.author_question", raise_exception=True)


@login_required
@editor_required
@require_GET
def question_reports(request):
    filterset = ReportQueueFilter(request.GET)
    if filterset.is_valid():
        filters = filterset.selector_kwargs()
        page, entries = report_queue(**filters, page_number=request.GET.get("page"))
    else:
        messages.error(request, f"Check the filters: {filterset.error_text()}")
        filters = {"status": QuestionReport.Status.OPEN, "order": "newest"}
        page, entries = None, []
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "analytics/question_reports.html",
        {
            "page": page,
            "entries": entries,
            "filters": filters,
            "statuses": [*QuestionReport.Status.choices, ("all", "All")],
            "orders": list(ORDERS.items()),
            "query": query.urlencode(),
            "open_count": QuestionReport.objects.filter(status=QuestionReport.Status.OPEN).count(),
        },
        status=200 if page is not None else 400,
    )


@login_required
@editor_required
@require_POST
def question_report_resolve(request, report_id: int):
    """Accept (then edit the question) or reject (with a reply) one open report."""
    queue = reverse("analytics:question_reports")
    if not QuestionReport.objects.filter(pk=report_id).exists():
        raise Http404("No such report.")  # an unknown or forged id, whatever was posted
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Report {report_id} not answered: {form.error_message()}")
        return redirect(f"{queue}#report-{report_id}")
    try:
        report = report_resolve(
            report_id=report_id,
            user=request.user,
            status=form.status,
            reply=form.cleaned_data["reply"],
        )
    except ValidationError as exc:
        messages.error(request, f"Report {report_id} not answered: {refusal_text(exc)}")
        return redirect(f"{queue}#report-{report_id}")
    if report.status == QuestionReport.Status.REJECTED:
        messages.success(request, f"Report {report.pk} rejected; the student will see your reply.")
        return redirect(queue)
    said = Truncator(report.text).chars(200) if report.text else "no details given"
    messages.info(
        request,
        f"Report {report.pk} accepted ({report.get_category_display()}: “{said}”, on version "
        f"{report.version.number}). Correct the question below; saving makes a new version.",
    )
    return redirect(f"{reverse('questions:edit', args=[report.question_id])}?report={report.pk}")


def your_reports_panel(sender, *, user, **kwargs) -> dict | None:
    """The dashboard's "Your reports": status and replies, unread answers marked seen once shown.

    Two queries at most (the reports, then one UPDATE when some answers were unread).
    """
    reports = reports_for_reporter(reporter=user)
    if not reports:
        return None
    unread = [
        r.pk for r in reports if r.status != QuestionReport.Status.OPEN and not r.reporter_seen_at
    ]
    for report in reports:
        report.unread = report.pk in unread
        report.stem_text = Truncator(strip_tags(report.version.stem_html).strip()).chars(90)
    if unread:
        reports_mark_seen(reporter=user, report_ids=unread)
    return {
        "template": "analytics/panels/your_reports.html",
        "context": {"reports": reports, "unread": len(unread)},
    }
