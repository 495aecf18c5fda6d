"""Writes for exams: blueprints, form assembly, the attempt lifecycle."""

from .assembly import BankTooSmall, blueprint_domain_counts, draw_form
from .attempts import (
    SAVE_GRACE,
    AttemptClosed,
    answer_save,
    attempt_regrade,
    attempt_start,
    attempt_submit,
    attempt_visit,
    attempts_expire_overdue,
    item_check,
    item_flag_set,
)

__all__ = [
    "SAVE_GRACE",
    "AttemptClosed",
    "BankTooSmall",
    "answer_save",
    "attempt_regrade",
    "attempt_start",
    "attempt_submit",
    "attempt_visit",
    "attempts_expire_overdue",
    "blueprint_domain_counts",
    "draw_form",
    "item_check",
    "item_flag_set",
]

from .blueprints import blueprint_save  # noqa: E402

__all__ += ["blueprint_save"]

from .sittings import (  # noqa: E402
    sitting_cancel,
    sitting_prepare,
    sitting_schedule,
    sitting_start,
    sittings_prepare_due,
)

__all__ += [
    "sitting_cancel",
    "sitting_prepare",
    "sitting_schedule",
    "sitting_start",
    "sittings_prepare_due",
]
