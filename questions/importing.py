"""One import of a question file, shared by the import page and `manage.py import_questions`.

Detect the format, parse, refuse everything when a question has a parse error (unless told to
keep the valid ones), then write through `services.bank_import`, which keeps a question that
breaks a content rule as a draft that needs review. The caller only shows the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core.errors import ApplicationError

from . import formats
from .content_rules import DEFAULT_GUIDE, domain_by_name_or_number
from .formats import ParseResult
from .formats import mapping as mapped
from .models import Question
from .services import ImportFailed, ImportReport, bank_import


@dataclass
class FileImport:
    """What became of one file: its format (None when it could not be told), what was read
    and, once something was written or refused while saving, the bank's report."""

    format: str | None
    parsed: ParseResult | None = None
    report: ImportReport | None = None
    # Parse errors in an all-or-nothing import: nothing was saved.
    refused_on_parse: bool = False
    # A save failed in an all-or-nothing import: nothing was saved (see `report.errors`).
    refused_on_save: bool = False

    @property
    def imported(self) -> bool:
        return self.report is not None and not self.refused_on_save


@transaction.atomic
def file_import(
    *,
    name: str,
    text: str,
    fmt: str | None = None,
    user=None,
    status: str = Question.Status.DRAFT,
    atomic: bool = True,
    default_domain: str = "",
    default_guide: str = DEFAULT_GUIDE,
    mapping=None,
    source_name: str = "",
    raw: bytes | None = None,
) -> FileImport:
    """Import the questions of file `name`; atomic means nothing is written unless all are valid.

    `default_domain` is the domain of `default_guide` (DVA-C01 unless told) given to questions
    whose file names none in that guide, by name (any case) or number ("2", "Domain 2"); a
    wrong one is an ApplicationError that names the choices.
    A foreign JSON or CSV file is read through `mapping` (a formats.mapping.Mapping; `fmt` is
    then "json" or "csv"), numeric ids becoming keys prefixed with `source_name`. `raw` is a
    binary file (a QTI zip package; `text` is then ignored).
    """
    try:
        default_domain = domain_by_name_or_number(default_guide, default_domain)
    except ValueError as exc:
        raise ApplicationError(f"The default domain: {exc}.") from exc
    if raw is not None:
        fmt = fmt or "qti"
        if fmt not in formats.BINARY_FORMATS:
            parsed = formats.ParseResult()
            parsed.errors.append(
                formats.ImportIssue(None, None, "a zip file can only be a QTI package")
            )
            return FileImport(format=fmt, parsed=parsed, refused_on_parse=True)
        parsed = formats.parse_bytes(fmt, raw)
    else:
        fmt = fmt or formats.detect_format(name, text)
        if fmt is None:
            return FileImport(format=None)
        if mapping is not None:
            parsed = mapped.parse(text, shape=fmt, mapping=mapping, source_name=source_name)
        else:
            parsed = formats.parse(fmt, text)
    outcome = FileImport(format=fmt, parsed=parsed)
    if outcome.parsed.errors and atomic:
        outcome.refused_on_parse = True
        return outcome
    try:
        outcome.report = bank_import(
            questions=[(q.number, q.data) for q in outcome.parsed.questions],
            user=user,
            status=status,
            atomic=atomic,
            default_domains={default_guide: default_domain} if default_domain else None,
        )
    except ImportFailed as failed:
        outcome.report = failed.report
        outcome.refused_on_save = True
    return outcome
