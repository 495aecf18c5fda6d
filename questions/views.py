"""Instructor pages for the question bank. Thin: validate, call a service or selector."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from core.forms import apply_validation_error
from core.middleware import on_refusal

from . import formats, importing, selectors, services
from .filters import ExportFilter, QuestionFilter
from .formats import anki
from .formats.mapping import foreign_shape
from .forms import (
    PUBLISH_NEEDS,
    ImportForm,
    QuestionForm,
    attach_problems,
    error_summary,
    option_formset,
    options_from,
)
from .list_forms import BULK_EXPORTS, BulkStatusForm
from .mapping_views import start_mapping
from .models import ExamGuide, Question, Tag

author_required = permission_required("questions.author_question", raise_exception=True)


NO_FILTERS = dict.fromkeys(
    ("guide", "domain", "kind", "status", "tag", "search", "task_statement", "needs_review"), ""
)


@login_required
@author_required
def question_list(request):
    filterset = QuestionFilter(request.GET)
    if filterset.is_valid():
        filters, questions = filterset.selector_kwargs(), filterset.qs
    else:
        messages.error(request, f"Check the filters: {filterset.error_text()}")
        filters, questions = None, Question.objects.none()
    page = Paginator(questions, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "questions/question_list.html",
        {
            "page": page,
            "filters": filters or NO_FILTERS,
            "guides": ExamGuide.objects.prefetch_related("domains", "task_statements"),
            "kinds": Question.Kind.choices,
            "statuses": Question.Status.choices,
            "tags": Tag.objects.values_list("name", flat=True),
            "query": request.GET.urlencode(),
        },
        status=400 if filters is None else 200,
    )


@login_required
@permission_required("questions.publish_question", raise_exception=True)
@require_POST
def question_bulk(request):
    form = BulkStatusForm(request.POST)
    if not form.is_valid():
        if "selected" in form.errors:
            messages.error(request, f"Choose questions from the list: {form.errors['selected'][0]}")
        else:
            messages.error(request, "Choose at least one question and an action.")
        query = QueryDict(request.POST.get("query", "")[:2000]).urlencode()
        return redirect(f"{reverse('questions:list')}?{query}")
    if not form.cleaned_data["selected"]:
        messages.error(request, "Choose at least one question and an action.")
    elif form.cleaned_data["action"] in BULK_EXPORTS:
        return _anki_download(
            request,
            Question.objects.filter(pk__in=form.cleaned_data["selected"]),
            back=f"{reverse('questions:list')}?{form.cleaned_data['query']}",
        )
    else:
        status = form.status
        changed, problems = services.questions_bulk_set_status(
            questions=Question.objects.filter(pk__in=form.cleaned_data["selected"]),
            status=status,
            user=request.user,
        )
        messages.success(request, f"{changed} question(s) now {Question.Status(status).label}.")
        for problem in problems[:20]:
            messages.error(request, problem)
    return redirect(f"{reverse('questions:list')}?{form.cleaned_data['query']}")


def _save_form(request, question: Question | None):
    data_source = request.POST if request.method == "POST" else None
    if question is None:
        publishing = request.POST.get("status") == Question.Status.PUBLISHED
    else:
        publishing = question.status == Question.Status.PUBLISHED
    if question is None:
        form = QuestionForm(data_source, publishing=publishing)
        formset = option_formset(data_source)
    else:
        current = services.question_as_data(question)
        form = QuestionForm(
            data_source, initial=QuestionForm.initial_from(current), publishing=publishing
        )
        formset = option_formset(
            data_source,
            options=[
                {"text": o["text"], "correct": o["correct"], "rationale": o["rationale"]}
                for o in current["options"]
            ],
        )
    option_problems, other_problems = [], []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = {
            "kind": form.cleaned_data["kind"],
            "stem": form.cleaned_data["stem"],
            "explanation": form.cleaned_data["explanation"],
            "references": form.cleaned_data["references"],
            "tags": form.cleaned_data["tags"],
            "difficulty": form.cleaned_data["difficulty"],
            "domains": form.domain_values(),
            "task_statements": form.task_statement_values(),
            "reviewed_on": form.cleaned_data["reviewed_on"],
            "enemies": form.cleaned_data["enemies"],
            "options": options_from(formset),
        }
        try:
            if question is None:
                status = request.POST.get("status", Question.Status.DRAFT)
                if status not in Question.Status.values:
                    status = Question.Status.DRAFT
                question = services.question_create(data=data, author=request.user, status=status)
                messages.success(request, "Question created.")
            else:
                changed = services.question_update(
                    question=question,
                    data=data,
                    user=request.user,
                    change_note=form.cleaned_data["change_note"],
                )
                messages.success(
                    request,
                    "Saved as a new version."
                    if changed
                    else "Saved (content unchanged, no new version).",
                )
        except ValidationError as exc:
            problems = apply_validation_error(form, exc, collect_other=True)
            option_problems, other_problems = attach_problems(form, formset, problems)
        else:
            return redirect("questions:detail", question_id=question.pk)
    chosen_status = request.POST.get("status") if request.method == "POST" else None
    return render(
        request,
        "questions/question_form.html",
        {
            "form": form,
            "formset": formset,
            "question": question,
            "statuses": Question.Status.choices,
            # Keep what the author chose: a failed save must not turn "Published" into "Draft".
            "chosen_status": chosen_status
            if chosen_status in Question.Status.values
            else Question.Status.DRAFT,
            "publish_needs": PUBLISH_NEEDS,
            "option_problems": option_problems,
            "errors": error_summary(form, formset, option_problems, other_problems)
            if request.method == "POST"
            else [],
        },
    )


@login_required
@author_required
@require_http_methods(["GET", "POST"])
def question_create(request):
    return _save_form(request, None)


@login_required
@author_required
@require_http_methods(["GET", "POST"])
def question_edit(request, question_id: int):
    return _save_form(request, get_object_or_404(Question, pk=question_id))


@login_required
@author_required
def question_detail(request, question_id: int):
    try:
        question = selectors.question_detail(question_id=question_id)
    except Question.DoesNotExist as exc:
        raise Http404 from exc
    versions = list(question.versions.all())
    return render(
        request,
        "questions/question_detail.html",
        {
            "question": question,
            "version": question.current_version,
            "options": question.current_version.options.all(),
            "versions": versions,
            "unversioned_reviews": [r for r in question.reviews.all() if not r.version_id],
            "transitions": [
                Question.Status(s)
                for s in services.ALLOWED_TRANSITIONS[Question.Status(question.status)]
            ],
        },
    )


@login_required
@author_required
def question_diff(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    versions = {v.number: v for v in question.versions.prefetch_related("options")}
    try:
        newer = versions[int(request.GET.get("b", max(versions)))]
        older = versions[int(request.GET.get("a", newer.number - 1))]
    except (KeyError, ValueError) as exc:
        raise Http404("No such version.") from exc
    return render(
        request,
        "questions/question_diff.html",
        {
            "question": question,
            "older": older,
            "newer": newer,
            "diff": selectors.version_diff(older=older, newer=newer),
        },
    )


@login_required
@permission_required("questions.publish_question", raise_exception=True)
@require_POST
@on_refusal(lambda request, question_id: reverse("questions:detail", args=[question_id]))
def question_status(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    question = services.question_set_status(
        question=question, status=request.POST.get("status", ""), user=request.user
    )
    messages.success(request, f"Status is now {question.get_status_display()}.")
    return redirect("questions:detail", question_id=question.pk)


@login_required
@author_required
@require_http_methods(["GET", "POST"])
@on_refusal(lambda request, question_id: reverse("questions:detail", args=[question_id]))
def question_delete(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    if request.method == "GET":
        # Deleting cannot be undone, so the button first leads to a page that asks.
        return render(request, "questions/question_confirm_delete.html", {"question": question})
    services.question_delete(question=question)
    messages.success(request, "Question deleted.")
    return redirect("questions:list")


@login_required
@permission_required("questions.import_question", raise_exception=True)
@require_http_methods(["GET", "POST"])
def question_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = report = None
    if request.method == "POST" and form.is_valid():
        name, text = form.cleaned_data["file"]
        shape = foreign_shape(name, text, form.cleaned_data["format"] or None)
        if shape:  # a foreign JSON or CSV shape: map its fields first
            return start_mapping(
                request, name=name, text=text, shape=shape, cleaned=form.cleaned_data
            )
        outcome = importing.file_import(
            name=name,
            text=text,
            fmt=form.cleaned_data["format"] or None,
            user=request.user,
            status=form.cleaned_data["status"],
            atomic=not form.cleaned_data["import_valid_only"],
            default_domain=form.cleaned_data["default_domain"] or "",
            raw=form.raw,
        )
        result, report = outcome.parsed, outcome.report
        if outcome.format is None:
            form.add_error("format", "Could not tell the format from the file; choose it.")
        elif outcome.refused_on_parse:
            messages.error(
                request,
                f"Nothing was imported: {len(result.errors)} question(s) "
                "have errors. Fix them, or choose to import the valid ones.",
            )
        elif outcome.refused_on_save:
            messages.error(
                request, "Nothing was imported: some questions could not be saved (see below)."
            )
        elif report.needs_review:
            messages.warning(
                request,
                f"Imported {len(report.created)} question(s). {len(report.needs_review)} of "
                "them break a content rule: kept as draft(s) that need review (see below).",
            )
        else:
            messages.success(request, f"Imported {len(report.created)} question(s).")
    return render(
        request,
        "questions/question_import.html",
        {"form": form, "result": result, "report": report},
    )


@login_required
@permission_required("questions.import_question", raise_exception=True)
def question_export(request):
    filterset = ExportFilter(request.GET)
    if not filterset.is_valid():
        return HttpResponseBadRequest(
            f"Cannot export: {filterset.error_text()}", content_type="text/plain; charset=utf-8"
        )
    fmt = filterset.form.cleaned_data["format"]
    questions = filterset.qs.prefetch_related(
        "current_version__options", "domain_links__guide", "domain_links__domain"
    )
    data = [services.question_as_data(q) for q in questions]
    try:
        body = formats.export(fmt, data)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("questions:list")
    spec = formats.FORMATS[fmt]
    charset = "" if isinstance(body, bytes) else "; charset=utf-8"  # a zip has no charset
    response = HttpResponse(body, content_type=f"{spec.content_type}{charset}")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="questions-{stamp}.{spec.extension}"'
    return response


def _anki_download(request, questions, *, back: str) -> HttpResponse:
    """Answer the Anki package of `questions` as a download, or go `back` with the refusal."""
    if not request.user.has_perm("questions.import_question"):
        raise PermissionDenied
    try:
        body = anki.anki_package_for_queryset(questions=questions, deck_name=anki.DEFAULT_DECK_NAME)
    except ApplicationError as exc:
        messages.error(request, exc.message_text)
        return redirect(back)
    response = HttpResponse(body, content_type="application/apkg")
    filename = anki.deck_filename(anki.DEFAULT_DECK_NAME)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@permission_required("questions.import_question", raise_exception=True)
def question_export_anki(request):
    """The questions the list's filters match, as an Anki deck (at most 2,000)."""
    filterset = QuestionFilter(request.GET)
    if not filterset.is_valid():
        return HttpResponseBadRequest(
            f"Cannot export: {filterset.error_text()}", content_type="text/plain; charset=utf-8"
        )
    back = f"{reverse('questions:list')}?{QueryDict(request.GET.urlencode()).urlencode()}"
    return _anki_download(request, filterset.qs, back=back)


@login_required
@author_required
def due_for_review(request):
    max_age = settings.QUESTION_REVIEW_MAX_AGE_DAYS
    questions = selectors.questions_due_for_review(max_age_days=max_age)
    page = Paginator(questions, 50).get_page(request.GET.get("page"))
    return render(request, "questions/due_for_review.html", {"page": page, "max_age_days": max_age})


@login_required
@author_required
def bank_coverage(request):
    return render(
        request,
        "questions/coverage.html",
        {
            "coverage": selectors.bank_coverage(),
            "task_statement_min": selectors.TASK_STATEMENT_MIN_PUBLISHED,
        },
    )
