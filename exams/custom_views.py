"""The Build a quiz page (exams.services.custom): a form, then the attempt pages as usual."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.client_ip import client_ip
from core.errors import ApplicationError
from questions.models import ExamGuide

from .forms import CustomQuizForm
from .services.custom import NotEnoughQuestions, custom_quiz_open, custom_quiz_start
from .views import take_exam_required


def _guide(request, guides: list[ExamGuide]) -> ExamGuide:
    code = request.GET.get("guide", "")
    if code:
        for guide in guides:
            if guide.code == code:
                return guide
        raise Http404("No such exam guide.")
    return next((g for g in guides if g.is_default), guides[0])


@login_required
@take_exam_required
@require_http_methods(["GET", "POST"])
def custom_quiz(request):
    guides = list(ExamGuide.objects.order_by("position", "code"))
    if not guides:
        raise Http404("No exam guide yet.")
    guide = _guide(request, guides)
    form = CustomQuizForm(request.POST if request.method == "POST" else None, guide=guide)
    if request.method == "POST" and form.is_valid():
        try:
            attempt = custom_quiz_start(
                user=request.user, choices=form.choices(), ip=client_ip(request)
            )
        except NotEnoughQuestions as exc:
            if exc.available:
                # Offer the number that exists: the form comes back with it filled in.
                data = request.POST.copy()
                data["count"] = str(exc.available)
                form = CustomQuizForm(data, guide=guide)
                form.is_valid()
            form.add_error(None, exc.message_text)
        except ApplicationError as exc:
            form.add_error(None, exc.message_text)
        else:
            return redirect(
                "exams:question", attempt_id=attempt.pk, position=attempt.current_position
            )
    return render(
        request,
        "exams/custom_quiz.html",
        {
            "form": form,
            "guide": guide,
            "guides": guides,
            "open_attempt": custom_quiz_open(user=request.user, guide=guide),
        },
        status=400 if form.errors else 200,
    )
