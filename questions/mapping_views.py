"""The import page's mapping step for foreign JSON and CSV files. Thin: validate, call services.

`question_import` hands a foreign file over with `start_mapping` (the file is kept on the
server, never in the page); `import_mapping` shows the proposed or remembered mapping with a
preview of the first rows, and imports through `importing.file_import` like any file.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_validation_error

from . import importing, mapping_services
from .content_rules import question_problems
from .formats import mapping as mapped
from .formats.base import normalise_question
from .forms import ImportMappingForm
from .models import Question

NO_DOMAIN = (
    "no domain: it will be a draft that needs review (or choose a domain for questions without one)"
)
import_required = permission_required("questions.import_question", raise_exception=True)


def start_mapping(request, *, name: str, text: str, shape: str, cleaned: dict):
    """Keep the uploaded foreign file and send the user to its mapping step."""
    options = {
        "status": cleaned.get("status") or "draft",
        "import_valid_only": bool(cleaned.get("import_valid_only")),
    }
    try:
        upload = mapping_services.import_upload_keep(
            owner=request.user, name=name, shape=shape, text=text, options=options
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("questions:import")
    return redirect("questions:import_mapping", upload_id=upload.pk)


def _from_saved(saved, source: mapped.Source) -> mapped.Mapping:
    """A remembered mapping, less the fields this file does not have."""
    mapping = mapping_services.mapping_from_saved(saved)
    mapping.fields = {
        t: kept
        for t, names in mapping.fields.items()
        if (kept := [n for n in names if n in source.fields])
    }
    return mapping


def _initial(upload, source: mapped.Source) -> tuple[dict, str]:
    """The form's first values: a remembered mapping for this source, else the proposal."""
    name = mapping_services.source_name_for(upload.name)
    saved = mapping_services.remembered_mapping(name=name, source=source)
    if saved is not None:
        mapping = _from_saved(saved, source)
        note = f"Filled in from the remembered mapping “{saved.name}”: check it."
        name = saved.name
    else:
        mapping = mapped.propose(source)
        note = "Proposed from the file's field names: check each one."
    return ImportMappingForm.initial_for(mapping, source_name=name, options=upload.options), note


def _preview(source: mapped.Source, mapping: mapped.Mapping, source_name: str) -> dict:
    """The first rows as they would import (after the same checks), and a count over the file."""
    result = mapped.apply(source, mapping, source_name=source_name)
    valid = {q.number: q.data for q in result.questions}
    errors, notes = {}, {}
    for issue in result.errors:
        errors.setdefault(issue.number, []).append(issue.message)
    for number, data in valid.items():
        if not any((data["domains"] or {}).values()):  # a rule problem: kept as a draft
            notes.setdefault(number, []).append(NO_DOMAIN)
    for issue in result.warnings:
        notes.setdefault(issue.number, []).append(issue.message)
    rows = []
    for row in mapped.convert_all(source, mapping, source_name=source_name)[: mapped.PREVIEW_ROWS]:
        data = valid.get(row.number) or (normalise_question(row.data) if row.data else None)

        rows.append(
            {
                "number": row.number,
                "data": data,
                "problems": errors.get(row.number, []),
                "notes": notes.get(row.number, []),
                "publish": question_problems(data, for_publish=True) if row.number in valid else [],
            }
        )
    later = [
        f"Question {number}: {'; '.join(messages_)}"
        for number, messages_ in sorted(errors.items(), key=lambda item: item[0] or 0)
        if number is None or number > mapped.PREVIEW_ROWS
    ]
    # Notes (no domain, a converted value) on the rows past the preview, so a file whose later
    # questions lack a domain says so before the import rather than on its report.
    later_notes = [
        f"Question {number}: {'; '.join(messages_)}"
        for number, messages_ in sorted(notes.items(), key=lambda item: item[0] or 0)
        if number is not None and number > mapped.PREVIEW_ROWS and number not in errors
    ]
    return {
        "rows": rows,
        "total": len(source.records),
        "failing": len(errors),
        "later": later[:20],
        "more": max(0, len(later) - 20),
        "later_notes": later_notes[:20],
        "more_notes": max(0, len(later_notes) - 20),
        "drafts_later": sum(
            1
            for number in notes
            if number and number > mapped.PREVIEW_ROWS and NO_DOMAIN in notes[number]
        ),
    }


@login_required
@import_required
@require_http_methods(["GET", "POST"])
def import_mapping(request, upload_id: int):
    upload = mapping_services.import_upload_get(upload_id=upload_id, user=request.user)
    if upload is None:
        raise Http404("No such upload (uploads expire after a day): upload the file again.")
    try:
        source = mapped.read_source(upload.text, upload.shape)
    except mapped.MappingError as exc:
        messages.error(request, f"The file cannot be read: {exc}")
        mapping_services.import_upload_discard(upload=upload)
        return redirect("questions:import")
    action = request.POST.get("action", "preview")
    result, note = None, ""
    if request.method == "GET":
        initial, note = _initial(upload, source)
        form = ImportMappingForm(initial=initial, source=source)
        mapping, source_name = _mapping_from_initial(initial), initial["source"]
    elif action == "load":
        # NUL never names a mapping (and PostgreSQL refuses it in a comparison).
        source_name = request.POST.get("source", "").replace("\x00", "").strip()[:100]
        saved = mapping_services.remembered_mapping(name=source_name) if source_name else None
        if saved is None:
            form = ImportMappingForm(request.POST, source=source)
            form.is_valid()
            form.add_error("source", f"No mapping is remembered under “{source_name}”.")
            mapping = form.mapping
        else:
            mapping = _from_saved(saved, source)
            initial = ImportMappingForm.initial_for(
                mapping, source_name=saved.name, options=upload.options
            )
            form = ImportMappingForm(initial=initial, source=source)
            note = f"Filled in from the remembered mapping “{saved.name}”: check it."
    else:
        form = ImportMappingForm(request.POST, source=source)
        valid = form.is_valid()
        mapping, source_name = form.mapping, form.cleaned_data.get("source", "")
        if valid and action == "import":
            done = _import(request, upload, form)
            if done is not None:
                return done
            result = form.outcome.parsed if form.outcome else None
    preview = None
    if mapping is not None and not mapped.validate(mapping, source):
        preview = _preview(source, mapping, source_name)
    return render(
        request,
        "questions/import_mapping.html",
        {
            "upload": upload,
            "source": source,
            "form": form,
            "note": note,
            "preview": preview,
            "result": result,
            "remembered": mapping_services.mapping_list(),
        },
    )


def _mapping_from_initial(initial: dict) -> mapped.Mapping:
    fields = {}
    for target in mapped.TARGETS:
        value = initial.get(target)
        names = value if isinstance(value, list) else ([value] if value else [])
        if names:
            fields[target] = names
    indices = initial.get("indices")
    return mapped.Mapping(
        fields=fields,
        one_based=None if not indices else indices == "one",
        guide=initial.get("guide") or mapped.DEFAULT_GUIDE,
        default_domain=initial.get("default_domain") or "",
    )


def _import(request, upload, form: ImportMappingForm):
    """Import through the mapping; on success remember it and leave the step, else None."""
    data = form.cleaned_data
    source_name = data["source"].strip()
    outcome = importing.file_import(
        name=upload.name,
        text=upload.text,
        fmt=upload.shape,
        user=request.user,
        status=data["status"],
        atomic=not data["import_valid_only"],
        mapping=form.mapping,
        source_name=source_name,
    )
    form.outcome = outcome
    if outcome.refused_on_parse:
        form.add_error(
            None,
            f"Nothing was imported: {len(outcome.parsed.errors)} question(s) have errors (see "
            "below). Fix the mapping or the file, or choose to import the valid ones.",
        )
        return None
    if outcome.refused_on_save:
        form.add_error(
            None,
            "Nothing was imported: some questions could not be saved: "
            + "; ".join(outcome.report.errors[:10]),
        )
        return None
    try:
        mapping_services.import_mapping_save(
            name=source_name,
            shape=upload.shape,
            mapping=form.mapping,
            source_fields=form.source.fields,
            user=request.user,
        )
    except ValidationError as exc:
        apply_validation_error(form, exc)
        return None
    mapping_services.import_upload_discard(upload=upload)
    report = outcome.report
    messages.success(
        request,
        f"Imported {len(report.created)} question(s) from “{source_name}” as "
        f"{Question.Status(data['status']).label.lower()}. The mapping is remembered for the "
        "next file from this source.",
    )
    skipped = len(outcome.parsed.errors)
    if skipped:
        messages.warning(request, f"{skipped} question(s) with errors were skipped.")
    if report.duplicates:
        shown = "; ".join(report.duplicates[:5])
        more = f" … and {len(report.duplicates) - 5} more" if len(report.duplicates) > 5 else ""
        messages.warning(request, f"Duplicates skipped: {shown}{more}")
    if report.errors:
        messages.warning(request, "Could not be saved: " + "; ".join(report.errors[:5]))
    return redirect("questions:import")


def _remembered_or_404(mapping_id: int):
    saved = mapping_services.mapping_get(mapping_id=mapping_id)
    if saved is None:
        raise Http404("No such remembered mapping.")
    return saved


@login_required
@import_required
@require_GET
def import_mapping_download(request, mapping_id: int):
    """A remembered mapping as a JSON file, for `import_questions --mapping FILE`."""
    saved = _remembered_or_404(mapping_id)
    response = JsonResponse(mapping_services.mapping_file(saved), json_dumps_params={"indent": 2})
    filename = f"{mapped.slug(saved.name) or 'mapping'}.mapping.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@import_required
@require_http_methods(["GET", "POST"])
def import_mapping_delete(request, mapping_id: int):
    """Ask, then forget a remembered mapping."""
    saved = _remembered_or_404(mapping_id)
    if request.method == "GET":
        return render(
            request,
            "questions/import_mapping_confirm_delete.html",
            {
                "mapping": saved,
                "file_json": json.dumps(mapping_services.mapping_file(saved), indent=2),
            },
        )
    mapping_services.import_mapping_delete(mapping=saved)
    messages.success(
        request,
        f"The mapping “{saved.name}” is forgotten: the next file from this source gets a "
        "mapping proposed from its field names.",
    )
    return redirect("questions:import")
