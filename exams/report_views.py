"""Report a problem with a question, from practice feedback or from the results page.

`questions` cannot read attempts, so the check that the student may report lives here: one
read scoped to the user finds the item (another student's attempt, or none, is a 404) and says
whether its key is already visible to them (a checked practice item, or a finished attempt).
Only then is `questions.reports.report_create` called, with the version the item pinned.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import ratelimit
from core.errors import refusal_text
from questions.report_forms import ReportForm
from questions.reports import report_create

from .models import Attempt, AttemptItem

# Reports per user per minute: generous for a person, a wall for a script.
REPORT_RATE_LIMIT_DEFAULT = 10


def _back(attempt_id: int, position: int, finished: bool) -> str:
    if finished:
        return f"{reverse('exams:results', args=[attempt_id])}#q{position}"
    return reverse("exams:question", args=[attempt_id, position])


@login_required
@require_POST
def report_question(request, attempt_id: int, position: int):
    """Record the student's report on one item whose feedback they have seen, then go back."""
    row = (
        AttemptItem.objects.filter(
            attempt_id=attempt_id, attempt__user=request.user, position=position
        )
        .values("version_id", "checked", "attempt__state")
        .first()
    )
    if row is None:
        raise Http404("No such question in this attempt.")
    finished = row["attempt__state"] != Attempt.State.IN_PROGRESS
    back = _back(attempt_id, position, finished)
    limit = getattr(settings, "REPORT_RATE_LIMIT", REPORT_RATE_LIMIT_DEFAULT)
    if not ratelimit.allow(f"report:{request.user.pk}", limit=limit, window_seconds=60):
        messages.error(request, "Too many reports at once; wait a minute, then try again.")
        return redirect(back)
    if not (finished or row["checked"]):
        # Nothing about the question is said here: its key must stay hidden until then.
        messages.error(
            request,
            "You can report a question once its answer is shown: after Check answer in practice,"
            " or on the results page once the attempt is submitted.",
        )
        return redirect(back)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The report was not sent: {form.error_message()}")
        return redirect(back)
    try:
        report_create(
            reporter=request.user,
            version_id=row["version_id"],
            category=form.cleaned_data["category"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        messages.error(request, f"The report was not sent: {refusal_text(exc)}")
        return redirect(back)
    messages.success(
        request,
        f"Thank you: your report on question {position} is with the instructors. Their answer "
        "will appear on your dashboard.",
    )
    return redirect(back)
