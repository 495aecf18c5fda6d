"""Instructor pages for key corrections: what changed, a dry-run preview, apply, progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.middleware import on_refusal
from questions.models import Question

from .models import KeyCorrection
from .services import regrade
from .tasks import key_correction_apply

regrade_required = permission_required("exams.manage_blueprint", raise_exception=True)

POLICY_HELP = {
    KeyCorrection.Policy.CORRECTED: (
        "Every affected answer is marked by the corrected key only: students who chose the "
        "corrected answer gain the mark, students who chose the old (wrong) key lose it."
    ),
    KeyCorrection.Policy.EITHER: (
        "An answer earns the mark when it matches the old key or the corrected key: students "
        "who chose the corrected answer gain the mark and no one loses one."
    ),
}


def _question(question_id: int) -> Question:
    question = Question.objects.select_related("current_version").filter(pk=question_id).first()
    if question is None or question.current_version is None:
        raise Http404("No such question.")
    return question


def _choice(request) -> tuple[str, str]:
    data = request.POST if request.method == "POST" else request.GET
    policy = data.get("policy", "")
    reason = data.get("reason", "")
    if policy and policy not in KeyCorrection.Policy.values:
        raise ApplicationError("Choose how the corrected key is applied.")
    return policy, reason[:2000]


def _back(request, question_id: int) -> str:
    return reverse("exams:key_correction", args=[question_id])


@login_required
@regrade_required
@require_GET
@on_refusal(_back)
def key_correction(request, question_id: int):
    """The key changes of a question, the policy and reason form, and the dry-run preview."""
    question = _question(question_id)
    changes = regrade.key_changes(question=question)
    policy, reason = _choice(request)
    preview = error = None
    if policy and "preview" in request.GET:
        try:
            preview = regrade.correction_preview(
                question=question, policy=policy, reason=reason, actor=request.user
            )
        except ApplicationError as exc:
            error = exc.message_text
    return render(
        request,
        "exams/regrade/key_correction.html",
        {
            "question": question,
            "version": question.current_version,
            "changes": changes,
            "policies": [
                (value, label, POLICY_HELP[value]) for value, label in KeyCorrection.Policy.choices
            ],
            "policy": policy,
            "reason": reason,
            "preview": preview,
            "error": error,
            "corrections": KeyCorrection.objects.filter(question=question).select_related(
                "version", "requested_by"
            )[:20],
        },
        status=400 if error else 200,
    )


@login_required
@regrade_required
@require_POST
@on_refusal(_back)
def key_correction_apply_view(request, question_id: int):
    """Create the correction and queue the regrade (after commit)."""
    question = _question(question_id)
    policy, reason = _choice(request)
    if str(question.current_version_id) != request.POST.get("version", ""):
        raise ApplicationError(
            "The question has a newer version than the one previewed: preview again."
        )
    with transaction.atomic():
        correction = regrade.correction_create(
            question=question, policy=policy, reason=reason, actor=request.user
        )
        transaction.on_commit(lambda: _dispatch(correction.pk))
    messages.success(request, "Key correction queued: the regrade runs in the background.")
    return redirect("exams:key_correction_detail", correction_id=correction.pk)


def _dispatch(correction_id: int) -> None:
    try:
        key_correction_apply.delay(correction_id)
    except Exception:  # noqa: BLE001 - the page shows it queued; "Run again" re-sends it
        KeyCorrection.objects.filter(pk=correction_id).update(state=KeyCorrection.State.FAILED)


@login_required
@regrade_required
@require_POST
def key_correction_retry(request, correction_id: int):
    """Send a correction that failed (or never left the queue) to the worker again."""
    correction = get_object_or_404(KeyCorrection, pk=correction_id)
    if correction.state != KeyCorrection.State.DONE:
        KeyCorrection.objects.filter(pk=correction.pk).update(state=KeyCorrection.State.QUEUED)
        transaction.on_commit(lambda: _dispatch(correction.pk))
        messages.info(request, "Regrade sent again; attempts done already are skipped.")
    return redirect("exams:key_correction_detail", correction_id=correction.pk)


@login_required
@regrade_required
@require_GET
def key_correction_detail(request, correction_id: int):
    """Progress (polled while running) and what the regrade did, attempt by attempt."""
    correction = get_object_or_404(
        KeyCorrection.objects.select_related("question", "version", "requested_by"),
        pk=correction_id,
    )
    context = {"correction": correction}
    if request.htmx:
        response = render(request, "exams/regrade/progress.html", context)
        if correction.state == KeyCorrection.State.DONE:
            response["HX-Refresh"] = "true"
        return response
    records = list(
        correction.regrades.select_related("attempt__user", "attempt__blueprint").order_by(
            "attempt_id"
        )
    )
    context.update(
        {
            "entries": correction.entries.select_related("version").order_by("version__number"),
            "changed": [r for r in records if r.changed],
            "unchanged": sum(1 for r in records if not r.changed),
        }
    )
    return render(request, "exams/regrade/correction.html", context)
