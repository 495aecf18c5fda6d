"""The student's download of their missed questions as an Anki deck (`anki_export`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from questions.formats.anki import deck_filename

from .anki_export import MISSED_DECK_NAME, missed_deck_for_user


@login_required
@permission_required("exams.take_exam", raise_exception=True)
@require_GET
def missed_deck(request):
    # A refusal (nothing missed yet) goes back to the page the link was on, with its message.
    body = missed_deck_for_user(user=request.user)
    response = HttpResponse(body, content_type="application/apkg")
    response["Content-Disposition"] = f'attachment; filename="{deck_filename(MISSED_DECK_NAME)}"'
    response["Cache-Control"] = "private, no-store"
    return response
