"""Exam pages. Thin: validate input, call a service or selector, render or redirect."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Cohort
from accounts.selectors import cohort_get_for_user
from core import ratelimit
from core.client_ip import client_ip
from core.forms import apply_validation_error
from core.middleware import on_refusal, refusal_response, wants_json

from . import selectors, services, sitting_selectors
from .confidence import calibrate
from .filters import AuditLogFilter
from .forms import (
    AnswerForm,
    BlueprintForm,
    EliminateForm,
    FlagForm,
    ResultsFilterForm,
    ReviewFilterForm,
    SittingForm,
    TextSizeForm,
)
from .models import Attempt, AttemptEvent, AttemptItem, Blueprint, Sitting
from .scoring import FEW_DOMAIN_ITEMS, proportion_band
from .services.assembly import check_fill
from .services.exam_page import item_eliminate_set, user_text_size_set
from .services.sittings import local_time_text, prepare_lead
from .signals import blueprint_panels, collect_panels, results_panels
from .tasks import queue_sitting_prepare

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
        (label, [b for b in blueprints if b.mode == mode and not b.drill_task_statement_id])
        for mode, label in (
            ("exam", "Full mock exams"),
            ("practice", "Practice"),
            ("drill", "Domain drills"),
        )
    ]
    groups.append(("Task statement drills", [b for b in blueprints if b.drill_task_statement_id]))
    sittings = sitting_selectors.sitting_list_for_student(user=request.user)
    return render(request, "exams/exam_list.html", {"groups": groups, "sittings": sittings})


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
@on_refusal(lambda request, slug: reverse("exams:list"))
def attempt_start(request, slug: str):
    blueprint = get_object_or_404(Blueprint.objects.active(), slug=slug)
    attempt = services.attempt_start(user=request.user, blueprint=blueprint, ip=_ip(request))
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
    return redirect("exams:submitted", attempt_id=attempt.pk)


# Practice and drills are not exams: their finish button says what it finishes.
FINISH_LABELS = {
    Blueprint.Mode.EXAM: "Submit exam",
    Blueprint.Mode.PRACTICE: "Finish practice",
    Blueprint.Mode.DRILL: "Finish drill",
    Blueprint.Mode.CUSTOM: "Finish quiz",
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
            "keyed": option.pk in shown.keyed,
            "also_accepted": option.pk in shown.also_accepted,
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
    if attempt.current_position != position:  # the first page after a start writes nothing
        services.attempt_visit(user=request.user, attempt_id=attempt.pk, position=position)
    shown = selectors.attempt_item_for_display(
        attempt=attempt, position=position, answered=navigator[position - 1].answered
    )
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


def _target(go: str, position: int, total: int, attempt_id: int):
    if go == "prev":
        return redirect("exams:question", attempt_id=attempt_id, position=max(1, position - 1))
    if go == "next":
        return redirect("exams:question", attempt_id=attempt_id, position=min(total, position + 1))
    if go == "review":
        return redirect("exams:review", attempt_id=attempt_id)
    if go == "submit":
        return redirect("exams:submit", attempt_id=attempt_id)
    if go.isdigit() and 1 <= int(go) <= total:
        return redirect("exams:question", attempt_id=attempt_id, position=int(go))
    return redirect("exams:question", attempt_id=attempt_id, position=position)


def _item_or_404(request, attempt_id: int, position: int) -> None:
    """404 unless the user's own attempt has an item at `position` (one query)."""
    if not AttemptItem.objects.filter(
        attempt_id=attempt_id, attempt__user=request.user, position=position
    ).exists():
        raise Http404("No such question in this attempt.")


def _own_state_or_404(request, attempt_id: int) -> str:
    """The state of the user's own attempt, read alone; anyone else's attempt is a 404."""
    state = (
        Attempt.objects.filter(pk=attempt_id, user=request.user)
        .values_list("state", flat=True)
        .first()
    )
    if state is None:
        raise Http404("No such attempt.")
    return state


def _item_count_or_404(request, attempt_id: int) -> int:
    """How many items the user's own attempt has (for the page's Next and navigator jumps)."""
    total = AttemptItem.objects.filter(attempt_id=attempt_id, attempt__user=request.user).count()
    if not total:
        raise Http404("No such attempt.")
    return total


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


def item_endpoint(*, form_class, limit_key: str, limit_setting: str, busy: str):
    """Wrap a POST endpoint for one item of the owner's attempt with the steps all share.

    A per-user rate limit (429, which the page's client treats as "retry later", so nothing is
    lost by slowing down); the form (ids and save numbers are never typed by a person, so a bad
    one is a JSON 400 whatever the client, and an unknown question a 404); then the view, whose
    refusals are answered as everywhere (`core.middleware`), pages going back to the question,
    or to the submitted page once the attempt has closed.

    The attempt is not read here: the service's one locked read is scoped to the user, and its
    `Attempt.DoesNotExist` (another student's attempt, or none) is the 404. The rare paths that
    answer without calling the service (rate limited, a malformed post) check ownership first,
    so a foreign attempt gets the same 404 on every path.
    """

    def decorate(view):
        @login_required
        @require_POST
        @wraps(view)
        def wrapped(request, attempt_id: int, position: int):
            limit = getattr(settings, limit_setting)
            if not ratelimit.allow(
                f"{limit_key}:{request.user.pk}", limit=limit, window_seconds=10
            ):
                _own_state_or_404(request, attempt_id)
                if wants_json(request):
                    return _json_error(busy, status=429)
                # A page's own button: say so on the question instead of showing raw JSON.
                messages.error(request, "Too many changes at once; wait a moment, then try again.")
                return redirect("exams:question", attempt_id=attempt_id, position=position)
            form = form_class(request.POST)
            if not form.is_valid():
                _item_or_404(request, attempt_id, position)  # an unknown question stays a 404
                return _json_error(form.error_message())
            try:
                return view(request, attempt_id, position, form)
            except services.AttemptClosed as exc:
                if wants_json(request):
                    raise  # answered 409 {"ok": false, "closed": true, "error": ...}
                messages.error(request, str(exc))
                if _own_state_or_404(request, attempt_id) != Attempt.State.IN_PROGRESS:
                    return redirect("exams:submitted", attempt_id=attempt_id)
                return redirect("exams:submit", attempt_id)
            except ValidationError as exc:
                back = reverse("exams:question", args=[attempt_id, position])
                return refusal_response(request, exc, to=back)
            except Attempt.DoesNotExist as exc:
                raise Http404("No such attempt.") from exc
            except AttemptItem.DoesNotExist as exc:
                raise Http404("No such question in this attempt.") from exc

        return wrapped

    return decorate


@item_endpoint(
    form_class=AnswerForm,
    limit_key="autosave",
    limit_setting="AUTOSAVE_RATE_LIMIT",
    busy="Too many saves at once; retrying.",
)
def answer_save(request, attempt_id: int, position: int, form: AnswerForm):
    """Save one item's answer: JSON for autosave, a redirect for the page's own buttons."""
    option_ids, seq = form.cleaned_data["option"], form.cleaned_data["seq"]
    go = form.cleaned_data["go"]
    if form.cleaned_data["nav_only"] and not wants_json(request):
        # A checked practice item is locked: its page's buttons only navigate.
        return _target(go, position, _item_count_or_404(request, attempt_id), attempt_id)
    item = services.answer_save(
        user=request.user,
        attempt_id=attempt_id,
        position=position,
        option_ids=option_ids,
        seq=seq,
        ip=_ip(request),
        confidence=form.cleaned_data["confidence"],
    )
    if go == "check":
        services.item_check(user=request.user, attempt_id=attempt_id, position=position)
    if wants_json(request):
        return JsonResponse({"ok": True, "seq": item.answer_seq, "position": position})
    return _target(go, position, _item_count_or_404(request, attempt_id), attempt_id)


# Each flag change is an audit row: a loop of toggles must not flood the log. The page's client
# retries after a 429 and then sends the state the student last chose.
@item_endpoint(
    form_class=FlagForm,
    limit_key="flag",
    limit_setting="FLAG_RATE_LIMIT",
    busy="Too many flag changes at once; retrying.",
)
def flag_toggle(request, attempt_id: int, position: int, form: FlagForm):
    item = services.item_flag_set(
        user=request.user,
        attempt_id=attempt_id,
        position=position,
        flagged=form.cleaned_data["flagged"] == "true",
        ip=_ip(request),
    )
    if wants_json(request):
        return JsonResponse({"ok": True, "flagged": item.flagged})
    return redirect("exams:question", attempt_id=attempt_id, position=position)


@item_endpoint(
    form_class=EliminateForm,
    limit_key="eliminate",
    limit_setting="AUTOSAVE_RATE_LIMIT",
    busy="Too many changes at once; retrying.",
)
def eliminate_toggle(request, attempt_id: int, position: int, form: EliminateForm):
    """Strike an option out (or back in) on the owner's open attempt: JSON or a redirect."""
    item = item_eliminate_set(
        user=request.user,
        attempt_id=attempt_id,
        position=position,
        option_id=form.cleaned_data["option"],
        eliminated=form.cleaned_data["eliminated"],
    )
    if wants_json(request):
        return JsonResponse({"ok": True, "eliminated": item.eliminated})
    return redirect("exams:question", attempt_id=attempt_id, position=position)


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
    if request.method == "POST":
        # The service's locked read is scoped to the user: no read of the attempt before it.
        try:
            attempt = services.attempt_submit(
                user=request.user,
                attempt_id=attempt_id,
                ip=_ip(request),
                auto=request.POST.get("auto") == "1",
            )
        except Attempt.DoesNotExist as exc:
            raise Http404("No such attempt.") from exc
        # The light page (score, domains, time); the full review loads only when asked for.
        return redirect("exams:submitted", attempt_id=attempt.pk)
    attempt = _own_attempt(request, attempt_id)
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
def attempt_submitted(request, attempt_id: int):
    """Where a submit lands: the score, the domains and the time, from the attempt's row alone.

    Light on purpose (a deadline brings every student here at once): no items, no keys, no
    analytics panels; the full review is the results page, one click away.
    """
    attempt = _own_attempt(request, attempt_id)
    if attempt.state == Attempt.State.IN_PROGRESS:
        messages.info(request, "Your score appears once the attempt is submitted.")
        return redirect("exams:question", attempt_id=attempt.pk, position=attempt.current_position)
    return render(
        request,
        "exams/submitted.html",
        {
            "attempt": attempt,
            "domain_rows": _domain_rows(attempt.domain_results),
            "is_exam": attempt.mode == Blueprint.Mode.EXAM,
            "auto_submitted": attempt.state == Attempt.State.EXPIRED,
            "time_used": (attempt.finished_at - attempt.started_at)
            if attempt.finished_at
            else None,
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
    panels = collect_panels(results_panels, attempt=attempt)
    return render(
        request,
        "exams/results.html",
        {
            "attempt": attempt,
            "domain_rows": _domain_rows(attempt.domain_results),
            "few_domain_items": FEW_DOMAIN_ITEMS,
            "panels": panels,
            "calibrated": any(p.get("calibrated") for p in panels),
            "items": items,
            "counts": counts,
            "form": form,
            "filtered": filters != {"show": "all", "domain_id": None},
            # Practice and drills are learning sets: percent correct, not a pass/fail score.
            "is_exam": attempt.mode == Blueprint.Mode.EXAM,
            "time_used": used,
            "calibration": calibrate(selectors.attempt_confidence_items(attempt=attempt))
            if attempt.ask_confidence
            else None,
        },
        status=400 if form.errors else 200,
    )


def _domain_rows(domain_results: list[dict]) -> list[dict]:
    """The stored domain results with their uncertainty (an 80 % band) and a few-items flag."""
    rows = []
    for d in domain_results:
        total = d.get("total") or 0
        band = proportion_band(d.get("correct") or 0, total) if total else None
        rows.append({**d, "band": band, "few": total < FEW_DOMAIN_ITEMS})
    return rows


manage_blueprint_required = permission_required("exams.manage_blueprint", raise_exception=True)


@login_required
@manage_blueprint_required
def blueprint_list(request):
    blueprints = Blueprint.objects.select_related("guide", "drill_domain", "drill_task_statement")
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
        {
            "form": form,
            "blueprint": blueprint,
            "fill_problem": fill_problem,
            "panels": collect_panels(blueprint_panels, blueprint=saved) if saved else [],
        },
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


# --- Scheduled sittings (exams.services.sittings) ----------------------------------------


def _taught_cohort(request, cohort_id: int) -> Cohort:
    """The cohort if the user teaches it (or is an admin); anyone else's is a 404."""
    try:
        return cohort_get_for_user(user=request.user, cohort_id=cohort_id, with_students=False)
    except Cohort.DoesNotExist as exc:
        raise Http404("No such cohort.") from exc


@login_required
@permission_required("accounts.view_own_cohorts", raise_exception=True)
@require_http_methods(["GET", "POST"])
def cohort_sittings(request, cohort_id: int):
    """A cohort's scheduled sittings with their counts, and the form to schedule one."""
    cohort = _taught_cohort(request, cohort_id)
    form = SittingForm(request.POST or None, time_zone_name=timezone.get_current_timezone_name())
    if request.method == "POST" and form.is_valid():
        try:
            sitting = services.sitting_schedule(
                actor=request.user,
                cohort=cohort,
                blueprint=form.cleaned_data["blueprint"],
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
                dispatch=queue_sitting_prepare,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                f"Scheduled “{sitting.blueprint.title}” for {cohort.name}, opening "
                f"{local_time_text(sitting.opens_at)}.",
            )
            return redirect("exams:cohort_sittings", cohort_id=cohort.pk)
    return render(
        request,
        "exams/cohort_sittings.html",
        {
            "cohort": cohort,
            "form": form,
            "sittings": sitting_selectors.sitting_list_for_cohort(cohort=cohort),
            "lead_minutes": int(prepare_lead().total_seconds() // 60),
        },
        status=400 if form.errors else 200,
    )


@login_required
@permission_required("accounts.view_own_cohorts", raise_exception=True)
@require_POST
@on_refusal(
    lambda request, cohort_id, sitting_id: reverse("exams:cohort_sittings", args=[cohort_id])
)
def sitting_cancel(request, cohort_id: int, sitting_id: int):
    cohort = _taught_cohort(request, cohort_id)
    sitting = get_object_or_404(Sitting, pk=sitting_id, cohort=cohort)
    services.sitting_cancel(actor=request.user, sitting_id=sitting.pk)
    messages.success(request, f"Cancelled the sitting of “{sitting.blueprint.title}”.")
    return redirect("exams:cohort_sittings", cohort_id=cohort.pk)


@login_required
@take_exam_required
@require_POST
@on_refusal(lambda request, sitting_id: reverse("exams:list"))
def sitting_start(request, sitting_id: int):
    try:
        attempt = services.sitting_start(user=request.user, sitting_id=sitting_id, ip=_ip(request))
    except Sitting.DoesNotExist as missing:
        raise Http404("No such sitting.") from missing
    return redirect("exams:question", attempt_id=attempt.pk, position=attempt.current_position)
