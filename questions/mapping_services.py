"""Foreign files through a field mapping: keep the upload between the steps, remember mappings.

The pure part (reading foreign files, proposing and applying a mapping) is
`questions.formats.mapping`; the import itself goes through `importing.file_import` like every
other file.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from core.errors import ApplicationError

from .formats import mapping as mapped
from .models import ImportMapping, ImportUpload

UPLOAD_TTL = timedelta(hours=24)
UPLOADS_PER_OWNER = 5
MAX_UPLOAD_CHARS = 2 * 1024 * 1024  # the import form's limit (questions.forms.MAX_UPLOAD_BYTES)
MAX_MAPPING_FILE_BYTES = 64 * 1024


def source_name_for(filename: str) -> str:
    """The default source name of a file: its name without the extension, as a slug."""
    stem = Path(filename or "").stem
    return mapped.slug(stem)[:100] or "imported"


@transaction.atomic
def import_upload_keep(*, owner, name: str, shape: str, text: str, options: dict) -> ImportUpload:
    """Keep a foreign file for the mapping step; expired and surplus uploads are removed."""
    if len(text) > MAX_UPLOAD_CHARS:
        raise ApplicationError("The file is larger than 2 MB; split it into parts.")
    ImportUpload.objects.filter(created_at__lt=timezone.now() - UPLOAD_TTL).delete()
    upload = ImportUpload(owner=owner, name=name[:255], shape=shape, text=text, options=options)
    upload.full_clean()
    upload.save()
    surplus = ImportUpload.objects.filter(owner=owner).values_list("pk", flat=True)[
        UPLOADS_PER_OWNER:
    ]
    ImportUpload.objects.filter(pk__in=list(surplus)).delete()
    return upload


def import_upload_get(*, upload_id: int, user) -> ImportUpload | None:
    """The user's own upload, unless it has expired (another user's does not exist)."""
    return ImportUpload.objects.filter(
        pk=upload_id, owner=user, created_at__gte=timezone.now() - UPLOAD_TTL
    ).first()


@transaction.atomic
def import_upload_discard(*, upload: ImportUpload) -> None:
    upload.delete()


def mapping_list():
    """Every remembered mapping, by name (for the import pages)."""
    return ImportMapping.objects.select_related("updated_by").order_by("name")


def mapping_get(*, mapping_id: int) -> ImportMapping | None:
    return ImportMapping.objects.select_related("updated_by").filter(pk=mapping_id).first()


def mapping_file(saved: ImportMapping) -> dict:
    """The remembered mapping as a mapping file (`import_questions --mapping FILE` reads it)."""
    return mapping_from_saved(saved).to_json(shape=saved.shape)


@transaction.atomic
def import_mapping_delete(*, mapping: ImportMapping) -> None:
    """Forget a remembered mapping: the next file from its source gets a fresh proposal."""
    ImportMapping.objects.filter(pk=mapping.pk).delete()


def mapping_from_saved(saved: ImportMapping) -> mapped.Mapping:
    return mapped.Mapping(
        fields={t: list(v) for t, v in saved.fields.items() if t in mapped.TARGETS},
        one_based=saved.one_based,
        guide=saved.guide,
        default_domain=saved.default_domain,
    )


def remembered_mapping(*, name: str = "", source: mapped.Source | None = None):
    """The saved mapping named `name` (any case) or, failing that, the latest one saved for a
    file with the same fields; None when there is none."""
    if name:
        found = ImportMapping.objects.filter(name__iexact=name.strip()).first()
        if found:
            return found
    if source is not None:
        return (
            ImportMapping.objects.filter(shape=source.shape, source_fields=source.field_set)
            .order_by("-updated_at")
            .first()
        )
    return None


@transaction.atomic
def import_mapping_save(
    *, name: str, shape: str, mapping: mapped.Mapping, source_fields: list[str], user=None
) -> ImportMapping:
    """Remember a mapping under a source name (replacing the one of that name, any case)."""
    name = name.strip()
    if not name:
        raise ApplicationError({"source": "Give the source a name."})
    saved = ImportMapping.objects.select_for_update().filter(
        name__iexact=name
    ).first() or ImportMapping(name=name)
    saved.shape = shape
    saved.fields = {t: v for t, v in mapping.fields.items() if v}
    saved.source_fields = sorted(source_fields)
    saved.one_based = mapping.one_based
    saved.guide = mapping.guide
    saved.default_domain = mapping.default_domain
    saved.updated_by = user
    saved.full_clean()
    saved.save()
    return saved


def mapping_for_command(
    *, filename: str, text: str, mapping_path: str | None, source: str | None
) -> tuple[str, mapped.Mapping, mapped.Source]:
    """The shape, mapping and records for `import_questions --mapping/--source`.

    MappingError (a ValueError) says what is wrong: an unreadable mapping file, a mapping naming
    fields the file lacks, a remembered mapping that does not exist, an unknown index base.
    """
    if len(text) > MAX_UPLOAD_CHARS:
        raise mapped.MappingError("the file is larger than 2 MB; split it into parts")
    shape = mapped.foreign_shape(filename, text) or _shape_of(filename, text)
    records = mapped.read_source(text, shape)
    if mapping_path:
        path = Path(mapping_path)
        try:
            if path.stat().st_size > MAX_MAPPING_FILE_BYTES:
                raise mapped.MappingError(f"the mapping file {path} is larger than 64 KB")
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise mapped.MappingError(f"cannot read the mapping file {path}: {exc}") from exc
        except (ValueError, RecursionError) as exc:
            raise mapped.MappingError(
                f"the mapping file {path} is not valid JSON: {str(exc)[:120]}"
            ) from exc
        mapping = mapped.Mapping.from_json(data)
        if data.get("shape") and data["shape"] != shape:
            raise mapped.MappingError(
                f"the mapping is for {data['shape'].upper()} files, but the file is {shape.upper()}"
            )
    else:
        saved = remembered_mapping(name=source or "")
        if saved is None:
            known = ", ".join(ImportMapping.objects.values_list("name", flat=True)) or "none yet"
            raise mapped.MappingError(f"no remembered mapping is named {source!r} (saved: {known})")
        mapping = mapping_from_saved(saved)
    if mapping.one_based is None and mapped.needs_index_base(records, mapping):
        mapping.one_based = mapped.guess_one_based(records, mapping)
    problems = mapped.validate(mapping, records)
    if problems:
        raise mapped.MappingError(
            "; ".join(
                f"{target}: {p}" if target else p for target, ps in problems.items() for p in ps
            )
        )
    return shape, mapping, records


def _shape_of(filename: str, text: str) -> str:
    body = (text or "").lstrip("\ufeff").lstrip()
    if filename.lower().endswith(".csv"):
        return "csv"
    if body.startswith(("[", "{")):
        return "json"
    raise mapped.MappingError("a mapping reads JSON or CSV files; this file is neither")
