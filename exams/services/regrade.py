"""Key corrections: mark finished attempts by a question's corrected key, fairly and traceably.

A question's newer version may key other option positions than an older one that finished
attempts answered. A `KeyCorrection` carries that key back to each older version, as options
*of that version* matched by position (versions with another option count or kind are not
regradable and are reported); the grading rule (exams.scoring, both twins) then reads it for
every item of those versions. The attempts keep the version and options they showed.

The preview and the regrade run the same code: `correction_preview` creates the correction and
regrades every affected attempt inside a transaction it rolls back, `correction_run` does the
same for real in chunks (the Celery task), so what the instructor saw is what happens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from core.errors import ApplicationError
from questions.models import Question, QuestionVersion

from ..models import (
    Attempt,
    AttemptItem,
    AttemptRegrade,
    Blueprint,
    KeyCorrection,
    KeyCorrectionOption,
    KeyCorrectionVersion,
)
from ..signals import attempt_regraded, key_correction_finished
from .attempts import attempt_regrade

CHUNK = 200
REASON_MAX = 300


# --------------------------------------------------------------------------- key changes


@dataclass(frozen=True)
class VersionKey:
    """How an older version's key compares with the corrected version's."""

    version: QuestionVersion
    key_positions: tuple[int, ...]  # in force now: its own, or an earlier correction's
    corrected_positions: tuple[int, ...]
    regradable: bool
    why_not: str = ""  # when not regradable

    @property
    def changed(self) -> bool:
        return self.key_positions != self.corrected_positions

    @property
    def key_letters(self) -> str:
        return letters(self.key_positions)

    @property
    def corrected_letters(self) -> str:
        return letters(self.corrected_positions)


def letters(positions) -> str:
    """Option positions (from 0) as the letters students see (0 -> A)."""
    return ", ".join(chr(65 + p) if 0 <= p < 26 else str(p + 1) for p in positions) or "none"


def _positions(options, keyed_ids=None) -> tuple[int, ...]:
    if keyed_ids is None:
        return tuple(sorted(o.position for o in options if o.is_correct))
    return tuple(sorted(o.position for o in options if o.pk in keyed_ids))


def key_changes(*, question: Question, version: QuestionVersion | None = None) -> list[VersionKey]:
    """Every older version whose key in force differs from `version`'s (default: current)."""
    versions = list(question.versions.prefetch_related("options").order_by("number"))
    if not versions:
        return []
    target = version or next(
        (v for v in versions if v.pk == question.current_version_id), versions[-1]
    )
    target = next((v for v in versions if v.pk == target.pk), None)
    if target is None:
        raise ApplicationError("That version belongs to another question.")
    in_force = {
        entry.version_id: {o.pk for o in entry.options.all()}
        for entry in KeyCorrectionVersion.objects.filter(
            version__question=question, in_force=True, regradable=True
        ).prefetch_related("options")
    }
    new_options = list(target.options.all())
    corrected = _positions(new_options)
    changes = []
    for old in versions:
        if old.number >= target.number:
            continue
        old_options = list(old.options.all())
        key = _positions(old_options, in_force.get(old.pk))
        why_not = ""
        if len(old_options) != len(new_options):
            why_not = (
                f"v{old.number} has {len(old_options)} options, v{target.number} "
                f"{len(new_options)}: positions cannot be matched"
            )
        elif old.kind != target.kind:
            why_not = f"v{old.number} is {old.get_kind_display().lower()}, the kind changed"
        entry = VersionKey(
            version=old,
            key_positions=key,
            corrected_positions=corrected,
            regradable=not why_not,
            why_not=why_not,
        )
        if entry.changed:
            changes.append(entry)
    return changes


def question_has_key_change(*, question: Question) -> bool:
    """Whether the current version keys other positions than an older version answered."""
    changed = [c.version.pk for c in key_changes(question=question)]
    return bool(changed) and AttemptItem.objects.filter(version_id__in=changed).exists()


# --------------------------------------------------------------------------- creating


def _clean_reason(reason: str) -> str:
    # PostgreSQL refuses NUL in text: drop it (and any control characters) as whitespace.
    reason = " ".join("".join(c if c.isprintable() else " " for c in reason or "").split())
    if not reason:
        raise ApplicationError("Say why the key is corrected: students read this reason.")
    if len(reason) > REASON_MAX:
        raise ApplicationError(f"Keep the reason within {REASON_MAX} characters.")
    return reason


def _affected_attempts(correction: KeyCorrection):
    """Finished attempts holding an item of a regradable corrected version, by id."""
    versions = KeyCorrectionVersion.objects.filter(correction=correction, regradable=True)
    return (
        Attempt.objects.finished()
        .filter(items__version_id__in=versions.values("version_id"))
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def correction_create(
    *, question: Question, version: QuestionVersion | None = None, policy: str, reason: str, actor
) -> KeyCorrection:
    """Record the correction and put its key in force (the regrade itself is `correction_run`).

    Raise ApplicationError for an unknown policy, a missing reason, or no key change.
    """
    if policy not in KeyCorrection.Policy.values:
        raise ApplicationError("Choose how the corrected key is applied.")
    reason = _clean_reason(reason)
    # One correction of a question at a time: a second request waits here, then sees the first.
    Question.objects.select_for_update().filter(pk=question.pk).first()
    changes = key_changes(question=question, version=version)
    if not changes:
        raise ApplicationError("No older version keys other options: nothing to correct.")
    target = version or question.current_version
    correction = KeyCorrection.objects.create(
        question=question,
        version=target,
        policy=policy,
        reason=reason,
        requested_by=actor,
    )
    regradable = [c.version.pk for c in changes if c.regradable]
    KeyCorrectionVersion.objects.filter(version_id__in=regradable, in_force=True).update(
        in_force=False
    )
    for change in changes:
        entry = KeyCorrectionVersion.objects.create(
            correction=correction,
            version=change.version,
            regradable=change.regradable,
            accept_original=policy == KeyCorrection.Policy.EITHER,
            keyed_count=len(change.corrected_positions) if change.regradable else 0,
            in_force=change.regradable,
        )
        if change.regradable:
            KeyCorrectionOption.objects.bulk_create(
                KeyCorrectionOption(entry=entry, option=option)
                for option in change.version.options.all()
                if option.position in change.corrected_positions
            )
    not_regradable = [c.version.pk for c in changes if not c.regradable]
    correction.items_not_regradable = (
        AttemptItem.objects.filter(version_id__in=not_regradable)
        .exclude(attempt__state=Attempt.State.IN_PROGRESS)
        .count()
    )
    correction.attempts_total = _affected_attempts(correction).count()
    correction.save(update_fields=["items_not_regradable", "attempts_total"])
    return correction


# --------------------------------------------------------------------------- regrading


@dataclass(frozen=True)
class Outcome:
    """One attempt before and after (plain data: what the preview shows, what is stored)."""

    attempt_id: int
    position: int
    old_scaled: int | None
    new_scaled: int | None
    old_percent: Decimal | None
    new_percent: Decimal | None
    old_passed: bool | None
    new_passed: bool | None

    @property
    def changed(self) -> bool:
        return (self.old_scaled, self.old_percent, self.old_passed) != (
            self.new_scaled,
            self.new_percent,
            self.new_passed,
        )

    @property
    def verdict_changed(self) -> bool:
        return self.old_passed != self.new_passed

    @classmethod
    def of(cls, record: AttemptRegrade) -> Outcome:
        return cls(
            attempt_id=record.attempt_id,
            position=record.position,
            old_scaled=record.old_scaled,
            new_scaled=record.new_scaled,
            old_percent=record.old_percent,
            new_percent=record.new_percent,
            old_passed=record.old_passed,
            new_passed=record.new_passed,
        )


def _regrade_one(correction: KeyCorrection, attempt_id: int) -> AttemptRegrade | None:
    """Regrade one attempt under `correction` (locked; skipped when done already)."""
    attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
    if attempt is None or attempt.state == Attempt.State.IN_PROGRESS:
        return None
    if AttemptRegrade.objects.filter(correction=correction, attempt_id=attempt_id).exists():
        return None
    before = (attempt.scaled_score, attempt.percent, attempt.passed)
    position = (
        attempt.items.filter(
            version__in=KeyCorrectionVersion.objects.filter(
                correction=correction, regradable=True
            ).values("version_id")
        ).aggregate(first=Min("position"))["first"]
        or 0
    )
    attempt = attempt_regrade(
        attempt_id=attempt_id,
        actor=correction.requested_by,
        reason=f"{correction.reason} (key correction {correction.pk}, question {position})",
    )
    record = AttemptRegrade.objects.create(
        correction=correction,
        attempt=attempt,
        position=position,
        old_scaled=before[0],
        old_percent=before[1],
        old_passed=before[2],
        new_scaled=attempt.scaled_score,
        new_percent=attempt.percent,
        new_passed=attempt.passed,
    )
    attempt_regraded.send(sender=Attempt, attempt_id=attempt_id, correction_id=correction.pk)
    return record


def correction_run_chunk(*, correction_id: int, size: int = CHUNK) -> int:
    """Regrade the next `size` attempts not done yet, in one transaction; return how many.

    Idempotent: an attempt with a record for this correction is skipped; when none is left the
    correction is marked done (once) and `key_correction_finished` is sent.
    """
    with transaction.atomic():
        correction = KeyCorrection.objects.select_for_update().get(pk=correction_id)
        if correction.state == KeyCorrection.State.DONE:
            return 0
        todo = list(
            _affected_attempts(correction)
            .exclude(regrades__correction=correction)
            .values_list("pk", flat=True)[:size]
        )
        changed = 0
        for attempt_id in todo:
            record = _regrade_one(correction, attempt_id)
            changed += bool(record and record.changed)
        done = AttemptRegrade.objects.filter(correction=correction).count()
        correction.attempts_done = done
        correction.attempts_changed += changed
        correction.attempts_total = max(correction.attempts_total, done)
        fields = ["attempts_done", "attempts_changed", "attempts_total", "state"]
        if not todo:
            correction.state = KeyCorrection.State.DONE
            correction.finished_at = timezone.now()
            fields.append("finished_at")
            key_correction_finished.send(
                sender=KeyCorrection,
                correction_id=correction.pk,
                blueprint_ids=sorted(
                    set(
                        Attempt.objects.filter(regrades__correction=correction).values_list(
                            "blueprint_id", flat=True
                        )
                    )
                ),
            )
        else:
            correction.state = KeyCorrection.State.RUNNING
        correction.save(update_fields=fields)
        return len(todo)


def correction_run(*, correction_id: int, size: int = CHUNK) -> KeyCorrection:
    """Regrade every affected attempt, chunk by chunk (what the Celery task runs)."""
    while correction_run_chunk(correction_id=correction_id, size=size):
        pass
    return KeyCorrection.objects.get(pk=correction_id)


def correction_outcomes(*, correction: KeyCorrection) -> list[Outcome]:
    """What the regrade did, attempt by attempt (by attempt id)."""
    return [Outcome.of(r) for r in correction.regrades.order_by("attempt_id")]


# --------------------------------------------------------------------------- preview


@dataclass
class Preview:
    """What applying a correction would do; `outcomes` by attempt id."""

    changes: list[VersionKey]
    outcomes: list[Outcome] = field(default_factory=list)
    students: dict[int, str] = field(default_factory=dict)  # attempt id -> username
    blueprints: dict[int, str] = field(default_factory=dict)  # attempt id -> blueprint title
    finished_at: dict[int, datetime | None] = field(default_factory=dict)
    # attempt id -> mode: only full mocks (exam mode) carry a scaled score and a pass/fail.
    modes: dict[int, str] = field(default_factory=dict)
    items_not_regradable: int = 0
    in_progress: int = 0

    @property
    def changed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.changed]

    @property
    def newly_passing(self) -> int:
        return sum(1 for o in self._mocks() if o.new_passed and not o.old_passed)

    @property
    def newly_failing(self) -> int:
        return sum(1 for o in self._mocks() if o.old_passed and not o.new_passed)

    def _mocks(self) -> list[Outcome]:
        return [o for o in self.outcomes if self.modes.get(o.attempt_id) == Blueprint.Mode.EXAM]

    @property
    def rows(self) -> list[dict]:
        return [
            {
                "o": o,
                "student": self.students.get(o.attempt_id, ""),
                "blueprint": self.blueprints.get(o.attempt_id, ""),
                "finished_at": self.finished_at.get(o.attempt_id),
                "is_exam": self.modes.get(o.attempt_id) == Blueprint.Mode.EXAM,
            }
            for o in self.changed
        ]


class _RollBack(Exception):
    pass


def correction_preview(
    *, question: Question, version: QuestionVersion | None = None, policy: str, reason: str, actor
) -> Preview:
    """Run the correction and the whole regrade in a transaction rolled back; return the result.

    The same functions as the real run (`correction_create`, `correction_run`), so the preview
    is what applying does (tested attempt by attempt). Nothing is written or dispatched:
    receivers act on commit, which never comes.
    """
    changes = key_changes(question=question, version=version)
    preview = Preview(changes=changes)
    try:
        with transaction.atomic():
            correction = correction_create(
                question=question, version=version, policy=policy, reason=reason, actor=actor
            )
            correction = correction_run(correction_id=correction.pk, size=10**9)
            preview.outcomes = correction_outcomes(correction=correction)
            preview.items_not_regradable = correction.items_not_regradable
            for pk, username, title, finished, mode in Attempt.objects.filter(
                regrades__correction=correction
            ).values_list("pk", "user__username", "blueprint__title", "finished_at", "mode"):
                preview.students[pk] = username
                preview.blueprints[pk] = title
                preview.finished_at[pk] = finished
                preview.modes[pk] = mode
            raise _RollBack
    except _RollBack:
        pass
    preview.in_progress = (
        Attempt.objects.in_progress()
        .filter(items__version_id__in=[c.version.pk for c in changes if c.regradable])
        .distinct()
        .count()
    )
    return preview


# --------------------------------------------------------------------------- students


def regrades_for_attempt(*, attempt: Attempt) -> list[AttemptRegrade]:
    """The key-correction regrades of one attempt that changed something, oldest first."""
    return [
        r
        for r in AttemptRegrade.objects.filter(attempt=attempt)
        .select_related("correction")
        .order_by("regraded_at", "pk")
        if r.changed
    ]


def regrades_for_user(*, user, limit: int = 5) -> list[AttemptRegrade]:
    """A student's latest regrades that changed a score, newest first (their dashboard)."""
    rows = (
        AttemptRegrade.objects.filter(attempt__user=user)
        .select_related("correction", "attempt", "attempt__blueprint")
        .order_by("-regraded_at", "-pk")
    )
    return [r for r in rows[: limit * 4] if r.changed][:limit]
