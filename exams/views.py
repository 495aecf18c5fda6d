"""Exam pages. Thin: validate input, call a service or selector, render or redirect."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core import ratelimit
from core.client_ip import client_ip
from core.forms import apply_validation_error
from core.middleware import wants_json

from . import selectors, services
from .filters import AuditLogFilter
from .forms import (
    AnswerForm,
    BlueprintForm,
    EliminateForm,
    FlagForm,
    ResultsFilterForm,
    ReviewFilterForm,
    TextSizeForm,
)
from .models import Attempt, AttemptEvent, AttemptItem, Blueprint
from .services.assembly import check_fill
from .services.exam_page import item_eliminate_set, user_text_size_set

take_exam_required = permission_required("exams.take_exam", raise_exception=True)


def _ip(request) -> str | None:
    return client_ip(request)


def _own_attempt(request, attempt_id: int) -> Attempt:
    try:
        return selectors.attempt_get_for_user(user=request.user, attempt_id=attempt_id)
    except Attempt.DoesNotExist as exc:
        raise Http404("No such attempt.") from exc


@login_required
@take_exam_required
def exam_list(request):
    blueprints = list(selectors.blueprint_list_for_student(user=request.user))
    groups = [
        (label, [b for b in blueprints if b.mode == mode])
        for mode, label in (
            ("exam", "Full mock exams"),
            ("practice", "Practice"),
            ("drill", "Domain drills"),
        )
    ]
    return render(request, "exams/exam_list.html", {"groups": groups})


@login_required
@take_exam_required
def attempt_list(request):
    return render(
        request,
        "exams/attempt_list.html",
        {"attempts": selectors.attempt_list_for_user(user=request.user)},
    )


@login_required
@take_exam_required
@require_POST
def attempt_start(request, slug: str):
    blueprint = get_object_or_404(Blueprint.objects.active(), slug=slug)
    try:
        attempt = services.attempt_start(user=request.user, blueprint=blueprint, ip=_ip(request))
    except services.BankTooSmall as exc:
        messages.error(request, f"{exc} Please try another exam or ask your instructor.")
        return redirect("exams:list")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("exams:list")
    return redirect("exams:question", attempt_id=attempt.pk, position=attempt.current_position)


@login_required
@require_GET
def attempt_resume(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return redirect("exams:results", attempt_id=attempt.pk)
    return redirect("exams:question", attempt_id=attempt.pk, position=attempt.current_position)


def _closed_redirect(request, attempt: Attempt):
    messages.info(request, "This attempt has been submitted.")
    return redirect("exams:results", attempt_id=attempt.pk)


# Practice and drills are not exams: their finish button says what it finishes.
FINISH_LABELS = {
    Blueprint.Mode.EXAM: "Submit exam",
    Blueprint.Mode.PRACTICE: "Finish practice",
    Blueprint.Mode.DRILL: "Finish drill",
}


def _option_rows(shown) -> list[dict]:
    """Options as shown, each with its letter, whether chosen and whether struck out."""
    struck = set(shown.item.eliminated)
    return [
        {
            "letter": chr(ord("A") + index),
            "option": option,
            "selected": option.pk in shown.selected,
            "eliminated": option.pk in struck,
        }
        for index, option in enumerate(shown.options)
    ]


@login_required
@require_GET
def attempt_question(request, attempt_id: int, position: int):
    attempt = _own_attempt(request, attempt_id)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return _closed_redirect(request, attempt)
    navigator = selectors.attempt_navigator(attempt=attempt)
    if not 1 <= position <= len(navigator):
        raise Http404("No such question in this attempt.")
    services.attempt_visit(user=request.user, attempt_id=attempt.pk, position=position)
    shown = selectors.attempt_item_for_display(attempt=attempt, position=position)
    return render(
        request,
        "exams/question.html",
        {
            "attempt": attempt,
            "shown": shown,
            "position": position,
            "total": len(navigator),
            "navigator": navigator,
            "remaining": selectors.remaining_seconds(attempt),
            "answered_count": sum(1 for n in navigator if n.answered),
            "show_feedback": shown.item.checked,
            "option_rows": _option_rows(shown),
            "finish_label": FINISH_LABELS.get(attempt.mode, "Submit exam"),
        },
    )


def _target(go: str, position: int, total: int, attempt: Attempt):
    if go == "prev":
        return redirect("exams:question", attempt_id=attempt.pk, position=max(1, position - 1))
    if go == "next":
        return redirect("exams:question", attempt_id=attempt.pk, position=min(total, position + 1))
    if go == "review":
        return redirect("exams:review", attempt_id=attempt.pk)
    if go == "submit":
        return redirect("exams:submit", attempt_id=attempt.pk)
    if go.isdigit() and 1 <= int(go) <= total:
        return redirect("exams:question", attempt_id=attempt.pk, position=int(go))
    return redirect("exams:question", attempt_id=attempt.pk, position=position)


def _item_or_404(attempt: Attempt, position: int) -> None:
    if not attempt.items.filter(position=position).exists():
        raise Http404("No such question in this attempt.")


@login_required
@require_POST
def answer_save(request, attempt_id: int, position: int):
    """Save one item's answer: JSON for autosave, a redirect for the page's own buttons."""
    attempt = _own_attempt(request, attempt_id)
    if not ratelimit.allow(
        f"autosave:{request.user.pk}", limit=settings.AUTOSAVE_RATE_LIMIT, window_seconds=10
    ):
        # The page's client treats 429 as "retry later", so nothing is lost by slowing down.
        return JsonResponse({"ok": False, "error": "Too many saves at once; retrying."}, status=429)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        _item_or_404(attempt, position)  # a question that does not exist stays a 404
        return JsonResponse({"ok": False, "error": form.error_message()}, status=400)
    option_ids, seq = form.cleaned_data["option"], form.cleaned_data["seq"]
    go = form.cleaned_data["go"]
    if form.cleaned_data["nav_only"] and not wants_json(request):
        # A checked practice item is locked: its page's buttons only navigate.
        return _target(go, position, attempt.items.count(), attempt)
    try:
        item = services.answer_save(
            user=request.user,
            attempt_id=attempt.pk,
            position=position,
            option_ids=option_ids,
            seq=seq,
            ip=_ip(request),
        )
        if go == "check":
            services.item_check(user=request.user, attempt_id=attempt.pk, position=position)
    except services.AttemptClosed as exc:
        if wants_json(request):
            raise  # core's middleware answers 409 {"ok": false, "closed": true, "error": ...}
        messages.error(request, str(exc))
        return (
            redirect("exams:results", attempt_id=attempt.pk)
            if attempt.state != Attempt.State.IN_PROGRESS
            else redirect("exams:submit", attempt.pk)
        )
    except (ValidationError, PermissionDenied) as exc:
        message = " ".join(getattr(exc, "messages", [str(exc)]))
        if wants_json(request):
            return JsonResponse({"ok": False, "error": message}, status=400)
        messages.error(request, message)
        return redirect("exams:question", attempt_id=attempt.pk, position=position)
    except AttemptItem.DoesNotExist as exc:
        raise Http404("No such question in this attempt.") from exc
    if wants_json(request):
        return JsonResponse({"ok": True, "seq": item.answer_seq, "position": position})
    total = attempt.items.count()
    return _target(go, position, total, attempt)


@login_required
@require_POST
def flag_toggle(request, attempt_id: int, position: int):
    attempt = _own_attempt(request, attempt_id)
    # Each change is an audit row: a loop of toggles must not flood the log. The page's
    # client treats 429 as "retry later" and then sends the state the student last chose.
    if not ratelimit.allow(
        f"flag:{request.user.pk}", limit=settings.FLAG_RATE_LIMIT, window_seconds=10
    ):
        return JsonResponse(
            {"ok": False, "error": "Too many flag changes at once; retrying."}, status=429
        )
    form = FlagForm(request.POST)
    if not form.is_valid():
        _item_or_404(attempt, position)
        return JsonResponse({"ok": False, "error": form.errors["flagged"][0]}, status=400)
    flagged = form.cleaned_data["flagged"] == "true"
    try:
        item = services.item_flag_set(
            user=request.user,
            attempt_id=attempt.pk,
            position=position,
            flagged=flagged,
            ip=_ip(request),
        )
    except services.AttemptClosed:
        if wants_json(request):
            raise  # core's middleware answers 409 {"ok": false, "closed": true, "error": ...}
        return _closed_redirect(request, attempt)
    except AttemptItem.DoesNotExist as exc:
        raise Http404("No such question in this attempt.") from exc
    if wants_json(request):
        return JsonResponse({"ok": True, "flagged": item.flagged})
    return redirect("exams:question", attempt_id=attempt.pk, position=position)


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


@login_required
@require_POST
def eliminate_toggle(request, attempt_id: int, position: int):
    """Strike an option out (or back in) on the owner's open attempt: JSON or a redirect."""
    attempt = _own_attempt(request, attempt_id)
    if not ratelimit.allow(
        f"eliminate:{request.user.pk}", limit=settings.AUTOSAVE_RATE_LIMIT, window_seconds=10
    ):
        return _json_error("Too many changes at once; retrying.", status=429)
    form = EliminateForm(request.POST)
    if not form.is_valid():
        _item_or_404(attempt, position)  # a question that does not exist stays a 404
        return _json_error("Choose an option of this question to strike out.")
    try:
        item = item_eliminate_set(
            user=request.user,
            attempt_id=attempt.pk,
            position=position,
            option_id=form.cleaned_data["option"],
            eliminated=form.cleaned_data["eliminated"],
        )
    except services.AttemptClosed:
        if wants_json(request):
            raise  # core's middleware answers 409 {"ok": false, "closed": true, "error": ...}
        return _closed_redirect(request, attempt)
    except ValidationError as exc:
        return _json_error(" ".join(exc.messages))
    except AttemptItem.DoesNotExist as exc:
        raise Http404("No such question in this attempt.") from exc
    if wants_json(request):
        return JsonResponse({"ok": True, "eliminated": item.eliminated})
    return redirect("exams:question", attempt_id=attempt.pk, position=position)


@login_required
@require_POST
def text_size_set(request):
    """Remember the text size step for exam pages: JSON for the page's script, else go back."""
    form = TextSizeForm(request.POST)
    if not form.is_valid():
        return _json_error("Choose a text size between the smallest and the largest step.")
    user_text_size_set(user=request.user, size=form.cleaned_data["size"])
    if wants_json(request):
        return JsonResponse({"ok": True, "size": request.user.text_size})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "exams:list"
    return redirect(back)


@login_required
@require_GET
def attempt_state(request, attempt_id: int):
    """The server's clock for the page's timer."""
    attempt = _own_attempt(request, attempt_id)
    return JsonResponse(
        {
            "state": attempt.state,
            "remaining": selectors.remaining_seconds(attempt),
        }
    )


@login_required
@require_GET
def attempt_review(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return _closed_redirect(request, attempt)
    form = ReviewFilterForm(request.GET)
    show = form.show_value()
    navigator = selectors.attempt_review_rows(attempt=attempt)
    entries = {
        "all": navigator,
        "unanswered": [n for n in navigator if not n.answered],
        "flagged": [n for n in navigator if n.flagged],
    }[show]
    return render(
        request,
        "exams/review.html",
        {
            "attempt": attempt,
            "form": form,
            "entries": entries,
            "show": show,
            "navigator": navigator,
            "remaining": selectors.remaining_seconds(attempt),
            "unanswered_count": sum(1 for n in navigator if not n.answered),
            "flagged_count": sum(1 for n in navigator if n.flagged),
        },
        status=400 if form.errors else 200,
    )


@login_required
def attempt_submit(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    if request.method == "POST":
        attempt = services.attempt_submit(
            user=request.user,
            attempt_id=attempt.pk,
            ip=_ip(request),
            auto=request.POST.get("auto") == "1",
        )
        return redirect("exams:results", attempt_id=attempt.pk)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return _closed_redirect(request, attempt)
    navigator = selectors.attempt_navigator(attempt=attempt)
    return render(
        request,
        "exams/submit.html",
        {
            "attempt": attempt,
            "navigator": navigator,
            "remaining": selectors.remaining_seconds(attempt),
            "unanswered_count": sum(1 for n in navigator if not n.answered),
            "flagged_count": sum(1 for n in navigator if n.flagged),
        },
    )


@login_required
@require_GET
def attempt_results(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    if attempt.state == Attempt.State.IN_PROGRESS:
        messages.info(request, "Results open once the attempt is submitted.")
        return redirect("exams:question", attempt_id=attempt.pk, position=attempt.current_position)
    counts = selectors.attempt_result_counts(attempt=attempt)
    form = ResultsFilterForm(request.GET, domains=counts.domains)
    filters = form.filters()
    items = selectors.attempt_review_items(attempt=attempt, **filters)
    used = (attempt.finished_at - attempt.started_at) if attempt.finished_at else None
    return render(
        request,
        "exams/results.html",
        {
            "attempt": attempt,
            "items": items,
            "counts": counts,
            "form": form,
            "filtered": filters != {"show": "all", "domain_id": None},
            # Practice and drills are learning sets: percent correct, not a pass/fail score.
            "is_exam": attempt.mode == Blueprint.Mode.EXAM,
            "time_used": used,
        },
        status=400 if form.errors else 200,
    )


manage_blueprint_required = permission_required("exams.manage_blueprint", raise_exception=True)


@login_required
@manage_blueprint_required
def blueprint_list(request):
    blueprints = Blueprint.objects.select_related("guide", "drill_domain")
    return render(request, "exams/blueprint_list.html", {"blueprints": blueprints})


@login_required
@manage_blueprint_required
def blueprint_edit(request, blueprint_id: int | None = None):
    blueprint = get_object_or_404(Blueprint, pk=blueprint_id) if blueprint_id else Blueprint()
    form = BlueprintForm(request.POST or None, instance=blueprint)
    if request.method == "POST" and form.is_valid():
        try:
            blueprint = services.blueprint_save(
                blueprint=form.save(commit=False), weights=form.weights(), user=request.user
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Saved “{blueprint.title}”.")
            return redirect("exams:blueprint_edit", blueprint_id=blueprint.pk)
    # The saved blueprint, not the form's instance: a refused form has already copied its
    # values (say 150 unscored items of 5) onto that instance, and drawing from it fails.
    saved = Blueprint.objects.filter(pk=blueprint.pk).first() if blueprint.pk else None
    fill_problem = check_fill(saved) if saved else None
    return render(
        request,
        "exams/blueprint_form.html",
        {"form": form, "blueprint": blueprint, "fill_problem": fill_problem},
    )


@login_required
@permission_required("accounts.manage_roles", raise_exception=True)
def audit_log(request):
    filters = AuditLogFilter(request.GET, queryset=selectors.audit_event_list())
    valid = filters.is_valid()
    username = request.GET.get("user", "").strip()
    kind = request.GET.get("kind", "")
    attempt_id = request.GET.get("attempt", "")
    if not valid:
        # "²" or an id past the bigint range would fail in the query: say so instead.
        messages.error(request, f"Check the filters: {filters.error_text()}")
    events = filters.qs if valid else filters.queryset.none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "exams/audit_log.html",
        {
            "page": page,
            "kinds": AttemptEvent.Kind.choices,
            "user_filter": username,
            "kind": kind,
            "attempt_filter": attempt_id,
        },
        status=200 if valid else 400,
    )
