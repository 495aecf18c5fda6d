"""Dashboards and reports. Thin: read through selectors, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Cohort, User
from accounts.selectors import cohort_get_for_user, cohort_list_for_user
from core.client_ip import client_ip
from core.middleware import on_refusal
from exams.models import Blueprint
from exams.selectors import missed_items_for_user
from exams.services import attempt_start
from exams.signals import collect_panels
from questions.models import Question

from . import exports, selectors
from .forms import CohortReportForm, DashboardForm
from .models import AnalyticsRun, CalibrationRun
from .services import calibration
from .services.runs import run_request
from .signals import dashboard_panels
from .tasks import blueprint_statistics, calibrate_items


@login_required
@permission_required("exams.take_exam", raise_exception=True)
def student_dashboard(request):
    form = DashboardForm(request.GET)
    valid = form.is_valid()
    guide = form.cleaned_data.get("guide") if valid else ""
    if not guide:
        # Open on what the student sat last, not on a guide they may never have taken.
        guide = selectors.student_latest_guide_code(user=request.user) or form.guide_codes[0]
    dashboard = selectors.student_dashboard(user=request.user, guide_code=guide)
    chart = {
        "labels": [a.finished_at.strftime("%d %b") for a in dashboard.history],
        # Practice and drills have no scaled score to set against 720: a gap in the line.
        "scores": [a.scaled_score if a.mode == "exam" else None for a in dashboard.history],
        "domains": dashboard.domain_series,
    }
    return render(
        request,
        "analytics/dashboard.html",
        {
            "d": dashboard,
            "chart": chart,
            "guide": guide,
            "form": form,
            "few_items": selectors.FEW_ITEMS,
            "readiness": calibration.student_readiness(user=request.user, guide_code=guide),
            "panels": collect_panels(dashboard_panels, user=request.user, guide_code=guide),
            "confidence": selectors.student_confidence_trend(user=request.user, guide_code=guide),
        },
        status=200 if valid else 400,
    )


item_analysis_required = permission_required("analytics.view_item_analysis", raise_exception=True)


@login_required
@permission_required("exams.take_exam", raise_exception=True)
@require_POST
@on_refusal(lambda request: reverse("analytics:dashboard"))
def retry_missed(request):
    """Start a practice form of the questions the dashboard lists as missed."""
    blueprint = get_object_or_404(Blueprint, slug="retry-missed")
    missed = [item.question_id for item in missed_items_for_user(user=request.user)]
    attempt = attempt_start(
        user=request.user, blueprint=blueprint, question_ids=missed, ip=client_ip(request)
    )
    return redirect("exams:question", attempt_id=attempt.pk, position=attempt.current_position)


@login_required
@item_analysis_required
def item_analysis_index(request):
    blueprints = Blueprint.objects.select_related("guide", "stats").order_by("position")
    return render(request, "analytics/item_index.html", {"blueprints": blueprints})


@login_required
@item_analysis_required
def item_analysis(request, blueprint_id: int):
    blueprint = get_object_or_404(Blueprint.objects.select_related("guide"), pk=blueprint_id)
    analysis = selectors.item_analysis(blueprint=blueprint)
    only_flagged = request.GET.get("show") == "flagged"
    return render(
        request,
        "analytics/item_analysis.html",
        {
            "a": analysis,
            "items": analysis.flagged if only_flagged else analysis.items,
            "only_flagged": only_flagged,
        },
    )


@login_required
@item_analysis_required
@require_POST
def recompute(request, blueprint_id: int):
    blueprint = get_object_or_404(Blueprint, pk=blueprint_id)
    run, created = run_request(
        blueprint=blueprint, user=request.user, dispatch=blueprint_statistics.delay
    )
    if request.htmx:
        return render(request, "analytics/partials/run.html", {"run": run})
    messages.info(request, "Recompute queued." if created else "A recompute is already running.")
    return redirect("analytics:items", blueprint_id=blueprint.pk)


@login_required
@item_analysis_required
def run_status(request, run_id: int):
    run = get_object_or_404(AnalyticsRun, pk=run_id)
    response = render(request, "analytics/partials/run.html", {"run": run})
    if run.status in (AnalyticsRun.Status.DONE, AnalyticsRun.Status.FAILED) and request.htmx:
        response["HX-Refresh"] = "true"
    return response


report_required = permission_required("analytics.view_cohort_reports", raise_exception=True)


def _own_cohort(request, cohort_id: int) -> Cohort:
    """Return a cohort the asking user may see; another's is as if it did not exist."""
    try:
        return cohort_get_for_user(user=request.user, cohort_id=cohort_id, with_students=False)
    except Cohort.DoesNotExist as exc:
        raise Http404("No such cohort.") from exc


def _report(request, cohort_id: int):
    cohort = _own_cohort(request, cohort_id)
    blueprints = selectors.cohort_report_blueprints(cohort=cohort)
    if not blueprints:
        raise Http404("No exam blueprints.")
    form = CohortReportForm(request.GET)
    # Without a choice, open on the mock this cohort has sat most, not an empty one.
    busiest = max(blueprints, key=lambda b: b.cohort_attempts)
    chosen = next((b for b in blueprints if b.pk == form.value("blueprint")), busiest)
    report = selectors.cohort_report(
        cohort=cohort, blueprint=chosen, start=form.value("start"), end=form.value("end")
    )
    return report, blueprints


def _readiness(request, cohort_id: int):
    cohort = _own_cohort(request, cohort_id)
    form = DashboardForm(request.GET)
    guide = (form.cleaned_data.get("guide") if form.is_valid() else "") or form.guide_codes[0]
    return cohort, calibration.cohort_readiness(cohort=cohort, guide_code=guide)


@login_required
@report_required
def cohort_reports(request):
    return render(
        request, "analytics/cohort_index.html", {"cohorts": cohort_list_for_user(user=request.user)}
    )


@login_required
@report_required
def cohort_report(request, cohort_id: int):
    report, blueprints = _report(request, cohort_id)
    chart = {
        "histogram": {
            "labels": [f"{low}–{low + 49}" for low, _ in report.histogram],
            "values": [n for _, n in report.histogram],
        },
        "trend": {
            "labels": [w.isoformat() for w, _, _ in report.trend],
            "values": [round(m, 1) for _, m, _ in report.trend],
        },
        "passing": report.blueprint.passing_score,
    }
    return render(
        request,
        "analytics/cohort_report.html",
        {
            "r": report,
            "blueprints": blueprints,
            "chart": chart,
            "query": request.GET.urlencode(),
            "readiness": calibration.cohort_readiness(
                cohort=report.cohort, guide_code=report.blueprint.guide.code
            ),
            "at_risk_percent": round(100 * calibration.AT_RISK_PROBABILITY),
        },
    )


@login_required
@report_required
def cohort_student(request, cohort_id: int, user_id: int):
    """Show one student's results to an instructor of their cohort (or an admin)."""
    try:
        cohort = cohort_get_for_user(user=request.user, cohort_id=cohort_id, with_students=False)
        student = cohort.students.get(pk=user_id)
    except (Cohort.DoesNotExist, User.DoesNotExist) as exc:
        # Another instructor's cohort, or someone not in this one: as if it did not exist.
        raise Http404("No such student in this cohort.") from exc
    form = DashboardForm(request.GET)
    guide = (form.cleaned_data.get("guide") if form.is_valid() else "") or (
        selectors.student_latest_guide_code(user=student) or form.guide_codes[0]
    )
    return render(
        request,
        "analytics/cohort_student.html",
        {
            "cohort": cohort,
            "student": student,
            "guide": guide,
            "d": selectors.student_dashboard(user=student, guide_code=guide),
            "readiness": calibration.student_readiness(user=student, guide_code=guide),
        },
    )


def _csv_attachment(filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@report_required
def cohort_report_csv(request, cohort_id: int):
    report, _ = _report(request, cohort_id)
    response = _csv_attachment(exports.cohort_report_filename(report))
    exports.cohort_report_csv_write(report, response)
    return response


@login_required
@report_required
def cohort_readiness_csv(request, cohort_id: int):
    cohort, readiness = _readiness(request, cohort_id)
    response = _csv_attachment(exports.cohort_readiness_filename(cohort, readiness))
    exports.cohort_readiness_csv_write(readiness, response)
    return response


# ---- IRT calibration and pretest items --------------------------------------------------------


@login_required
@item_analysis_required
def calibration_index(request):
    runs = calibration.runs_summary()
    latest = calibration.latest_run()
    return render(
        request,
        "analytics/calibration.html",
        {
            "runs": runs,
            "latest": latest,
            "active": next((r for r in runs if r.status in ("queued", "running")), None),
            "calibrated": calibration.run_is_calibrated(latest),
            "min_attempts": calibration.calibrated_min_attempts(),
            "half_life": calibration.READINESS_HALF_LIFE_DAYS,
        },
    )


@login_required
@item_analysis_required
@require_POST
def calibrate_now(request):
    run, created = calibration.calibration_request(
        user=request.user, dispatch=calibrate_items.delay
    )
    if request.htmx:
        return render(request, "analytics/partials/calibration_run.html", {"run": run})
    messages.info(
        request, "Calibration queued." if created else "A calibration is already running."
    )
    return redirect("analytics:calibration")


@login_required
@item_analysis_required
def calibration_status(request, run_id: int):
    run = get_object_or_404(CalibrationRun, pk=run_id)
    response = render(request, "analytics/partials/calibration_run.html", {"run": run})
    if run.status in (CalibrationRun.Status.DONE, CalibrationRun.Status.FAILED) and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@login_required
@item_analysis_required
def pretest_items(request):
    return render(
        request,
        "analytics/pretest.html",
        {
            "rows": calibration.pretest_rows(),
            "run": calibration.latest_run(),
            "min_n": calibration.PROMOTE_MIN_N,
            "min_a": calibration.PROMOTE_MIN_A,
            "max_b": calibration.PROMOTE_MAX_ABS_B,
            "max_se_b": calibration.PROMOTE_MAX_SE_B,
        },
    )


@login_required
@item_analysis_required
@permission_required("questions.publish_question", raise_exception=True)
@require_POST
@on_refusal(lambda request, **kwargs: reverse("analytics:pretest"))
def pretest_promote(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    was_pretest = question.is_pretest
    calibration.pretest_promote(question=question, user=request.user)
    if was_pretest:
        messages.success(request, f"Promoted {question.key}: it now counts in scores.")
    else:
        messages.info(request, f"{question.key} is not a pretest item (already promoted?).")
    return redirect("analytics:pretest")
