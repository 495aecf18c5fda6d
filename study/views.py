"""The review page: due cards, forecast, predicted recall, the retention setting, Start."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.client_ip import client_ip
from core.errors import ApplicationError
from core.forms import apply_validation_error
from core.middleware import on_refusal
from questions.formats.anki import deck_filename

from . import selectors, services
from .exports import REVIEW_DECK_NAME, review_deck_package
from .forms import RetentionForm

student_required = permission_required("exams.take_exam", raise_exception=True)


def _page(request, form: RetentionForm, *, status: int = 200):
    overview = selectors.deck_overview(user=request.user)
    return render(
        request,
        "study/review.html",
        {"o": overview, "form": form, "session_max": services.REVIEW_SESSION_MAX},
        status=status,
    )


@login_required
@student_required
@require_http_methods(["GET", "HEAD"])
def review(request):
    retention = selectors.desired_retention(user=request.user)
    return _page(request, RetentionForm(initial={"desired_retention": retention}))


@login_required
@student_required
@require_POST
@on_refusal(lambda request: reverse("study:review"))
def review_start(request):
    """Start (or resume) today's review session over the cards due now."""
    attempt = services.review_start(user=request.user, ip=client_ip(request))
    return redirect("exams:question", attempt_id=attempt.pk, position=attempt.current_position)


@login_required
@student_required
@require_POST
def retention_set(request):
    form = RetentionForm(request.POST)
    if form.is_valid():
        try:
            services.preference_set(
                user=request.user, desired_retention=form.cleaned_data["desired_retention"]
            )
        except ApplicationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                f"Desired retention set to {form.cleaned_data['desired_retention']}; it applies "
                "from your next review of each card.",
            )
            return redirect("study:review")
    return _page(request, form, status=400)


@login_required
@student_required
@require_GET
@on_refusal(lambda request: reverse("study:review"))
def review_deck(request):
    """Download the student's review deck as an Anki package (.apkg)."""
    response = HttpResponse(review_deck_package(user=request.user), content_type="application/apkg")
    response["Content-Disposition"] = f'attachment; filename="{deck_filename(REVIEW_DECK_NAME)}"'
    response["Cache-Control"] = "private, no-store"
    return response
