"""The attempt lifecycle, owned by the server: start, save, flag, submit, expire."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from core.errors import ApplicationError
from questions.models import QuestionVersion

from ..models import (
    MAX_DURATION_MINUTES,
    Attempt,
    AttemptEvent,
    AttemptItem,
    Blueprint,
    Confidence,
    ItemSelection,
)
from ..scoring import (
    GRADED_ATTEMPT_ITEMS_PG_SQL,
    GRADED_ATTEMPT_ITEMS_SQL,
    MarkedItem,
    key_in_force,
    score_marked,
)
from ..selectors import options_with_key_in_force
from ..signals import attempt_finished, item_checked
from .assembly import draw_form, form_from_questions

# Saves that arrive this long after the deadline are still accepted: the request may have
# left the browser in time and spent a moment on the network (documented in the README).
SAVE_GRACE = timedelta(seconds=10)


# How far a save's seq may run ahead of both the item's seq and the server's clock, in ms.
# The page numbers saves max(last + 1, Date.now()), so a seq is normally a timestamp; 30 days
# covers a badly set client clock. Without a bound one seq near 2**63 - 1 froze the item for
# good: nothing later could be newer, as the page's own seq + 1 overflowed the column (and
# lost precision past 2**53 in JavaScript). Within the bound a seq stays far below 2**53.
SEQ_AHEAD = 30 * 24 * 60 * 60 * 1000


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class AttemptClosed(ApplicationError):
    """The attempt no longer accepts answers (submitted, or past its deadline)."""

    # JSON clients (the page's autosave) stop retrying on 409 and read `closed`.
    status = 409

    def __init__(self, message: str = ""):
        super().__init__(message, extra={"closed": True})


def _log(attempt: Attempt, kind: str, *, actor=None, ip: str | None = None, **detail) -> None:
    AttemptEvent.objects.create(attempt=attempt, kind=kind, actor=actor, ip=ip, detail=detail)


def _locked(attempt_id: int, user) -> Attempt:
    """Return the user's attempt with its row locked; another user's attempt does not exist."""
    return Attempt.objects.select_for_update().get(pk=attempt_id, user=user)


def attempt_open_for(*, user, blueprint: Blueprint) -> Attempt | None:
    return Attempt.objects.in_progress().filter(user=user, blueprint=blueprint).first()


def seen_and_held(*, user, mode: str) -> tuple[set[int], set[int]]:
    """Return the questions the student has seen, and those a new attempt of `mode` must not
    draw while others are open (one query).

    Practice and drills show keys right after each answer, and any submitted attempt shows
    them on its results page. So while an exam-mode attempt is open its questions stay out
    of every other form, and a new exam leaves out the questions of every open attempt (a
    practice started earlier must not hand out the new exam's keys either).
    """
    seen: set[int] = set()
    held: set[int] = set()
    rows = (
        AttemptItem.objects.filter(attempt__user=user)
        .order_by()
        .values_list("question_id", "attempt__state", "attempt__mode")
    )
    for question_id, state, attempt_mode in rows:
        seen.add(question_id)
        if state == Attempt.State.IN_PROGRESS and (
            mode == Blueprint.Mode.EXAM or attempt_mode == Blueprint.Mode.EXAM
        ):
            held.add(question_id)
    return seen, held


def _insert_sql(model, exclude: tuple[str, ...]) -> tuple[list, str]:
    """The concrete fields of `model` but the primary key and `exclude`, and their columns."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude]
    return fields, ", ".join(connection.ops.quote_name(f.column) for f in fields)


# Field types whose Python value is what the database stores (no conversion by the field).
_PLAIN_COLUMNS = {
    "BigIntegerField",
    "BooleanField",
    "ForeignKey",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
}


def _start_writes(*, attempt: Attempt, items: list[AttemptItem], event: AttemptEvent) -> bool:
    """Write the attempt, its items and the START event in one statement (PostgreSQL).

    The attempt is inserted with ON CONFLICT DO NOTHING on the one-open-attempt index, and the
    items and the event are inserted from what that insert returned, so a lost race between
    two tabs writes nothing and returns False. Columns come from the models, so a new field
    is written too (its Python default applied as by save()).
    """
    ops = connection.ops
    a_fields, a_columns = _insert_sql(Attempt, ())
    i_fields, i_columns = _insert_sql(AttemptItem, ("attempt",))
    e_fields, e_columns = _insert_sql(AttemptEvent, ("attempt",))
    params = [f.get_db_prep_save(f.pre_save(attempt, True), connection) for f in a_fields]
    unnest = []
    for field in i_fields:
        if field.get_internal_type() in _PLAIN_COLUMNS:
            # Ints and booleans go to the driver as they are (65 × a dozen fields per start).
            params.append([getattr(item, field.attname) for item in items])
        else:
            params.append(
                [field.get_db_prep_save(field.pre_save(item, True), connection) for item in items]
            )
        unnest.append(f"%s::{field.db_type(connection)}[]")
    params += [f.get_db_prep_save(f.pre_save(event, True), connection) for f in e_fields]
    # Columns and casts come from the models; every value is a parameter.
    sql = f"""
        WITH attempt AS (
            INSERT INTO exams_attempt ({a_columns}) VALUES ({", ".join(["%s"] * len(a_fields))})
            ON CONFLICT (user_id, blueprint_id) WHERE state = %s DO NOTHING
            RETURNING id
        ), items AS (
            INSERT INTO exams_attemptitem ({ops.quote_name("attempt_id")}, {i_columns})
            SELECT attempt.id, item.* FROM attempt, unnest({", ".join(unnest)}) AS item
        ), logged AS (
            INSERT INTO exams_attemptevent ({ops.quote_name("attempt_id")}, {e_columns})
            SELECT attempt.id, {", ".join(f"%s::{f.db_type(connection)}" for f in e_fields)}
            FROM attempt
        )
        SELECT id FROM attempt
    """  # noqa: S608
    a_count = len(a_fields)
    params = [*params[:a_count], Attempt.State.IN_PROGRESS, *params[a_count:]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    attempt.pk = row[0]
    attempt._state.adding = False
    attempt._state.db = connection.alias
    return True


@transaction.atomic
def attempt_start(
    *,
    user,
    blueprint: Blueprint,
    ip: str | None = None,
    rng: random.Random | None = None,
    now: datetime | None = None,
    question_ids: list[int] | None = None,
    drawn: list | None = None,
    feedback: str | None = None,
    duration_minutes: int | None = None,
    detail: dict | None = None,
) -> Attempt:
    """Start a new attempt, or return the one in progress for this blueprint (resume).

    `question_ids` replaces the random draw with those questions (practising missed ones);
    `drawn` (the assembler's items, drawn ahead for a scheduled sitting) replaces the draw.
    A custom quiz (exams.services.custom) passes its own `feedback` and `duration_minutes`
    (frozen instead of the blueprint's) and `detail` for the START event.
    """
    if not user.has_perm("exams.take_exam"):
        raise ApplicationError("Your role cannot sit exams.", status=403)
    # Custom-quiz blueprints are hidden by design: only the quiz builder starts them.
    if not blueprint.is_active and question_ids is None and blueprint.mode != Blueprint.Mode.CUSTOM:
        raise ApplicationError("This exam is not available.")
    minutes = duration_minutes or blueprint.duration_minutes
    if (minutes or 0) > MAX_DURATION_MINUTES:
        # Saved before the bound existed: refuse plainly rather than fail on the deadline.
        raise ApplicationError("This exam's time limit is out of range; ask your instructor.")
    # Starts of one student take turns: a practice and an exam started together in two tabs
    # would otherwise both miss the other's questions and could share some.
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    existing = attempt_open_for(user=user, blueprint=blueprint)
    if existing is not None:
        _log(existing, AttemptEvent.Kind.RESUME, actor=user, ip=ip)
        return existing
    now = now or timezone.now()
    rng = rng or random.SystemRandom()
    if drawn is None:
        seen, held = seen_and_held(user=user, mode=blueprint.mode)
    if drawn is not None:
        pass  # drawn ahead: exams.services.sittings checked it against the bank and held items
    elif question_ids is not None:
        drawn = form_from_questions(question_ids=question_ids, rng=rng, excluded_question_ids=held)
        if not drawn:
            if held & set(question_ids):
                raise ApplicationError(
                    "Those questions are in your exam in progress; submit it first, then "
                    "practise them."
                )
            raise ApplicationError("None of those questions is available any more.")
    else:
        drawn = draw_form(
            blueprint=blueprint, seen_question_ids=seen, rng=rng, excluded_question_ids=held
        )
    accommodation = user.accommodation_minutes if minutes else 0
    attempt = Attempt(
        user=user,
        blueprint=blueprint,
        started_at=now,
        deadline=(now + timedelta(minutes=minutes + accommodation)) if minutes else None,
        accommodation_minutes=accommodation,
        mode=blueprint.mode,
        feedback=feedback or blueprint.feedback,
        ask_confidence=blueprint.ask_confidence,
        passing_score=blueprint.passing_score,
        cut_percent=blueprint.cut_percent,
    )
    # The one-open-attempt rule is left to the database's unique index, which also settles
    # races between tabs; validating it here too would turn a race into an error message.
    # The user's row is locked above and the blueprint was just read: no need to look them up.
    attempt.full_clean(exclude=["user", "blueprint"], validate_constraints=False)
    items = [
        AttemptItem(
            attempt=attempt,
            position=index,
            question_id=d.question_id,
            version_id=d.version_id,
            domain_id=d.domain_id,
            option_order=d.option_ids,
            scored=d.scored,
        )
        for index, d in enumerate(drawn, start=1)
    ]
    event = AttemptEvent(
        attempt=attempt,
        kind=AttemptEvent.Kind.START,
        actor=user,
        ip=ip,
        detail={"items": len(drawn), **(detail or {})},
    )
    if connection.vendor == "postgresql":
        # One round-trip for the attempt, its items and the START event.
        if not _start_writes(attempt=attempt, items=items, event=event):
            # Two tabs pressed Start together: the unique index let only one through.
            return Attempt.objects.in_progress().get(user=user, blueprint=blueprint)
        return attempt
    try:
        # A savepoint, so that losing a race to a second tab leaves this transaction usable.
        with transaction.atomic():
            attempt.save()
    except IntegrityError:
        # Two tabs pressed Start together: the unique constraint let only one through.
        return Attempt.objects.in_progress().get(user=user, blueprint=blueprint)
    for item in items:
        item.attempt = attempt
    AttemptItem.objects.bulk_create(items)
    event.attempt = attempt
    event.save()
    return attempt


def attempt_is_overdue(attempt: Attempt, now: datetime, *, grace: timedelta = SAVE_GRACE) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace


def _ensure_open(attempt: Attempt, now: datetime) -> None:
    if attempt.state != Attempt.State.IN_PROGRESS:
        raise AttemptClosed("This exam has already been submitted; answers can no longer change.")
    if attempt_is_overdue(attempt, now):
        raise AttemptClosed("Time is up: answers after the deadline are not accepted.")


def answer_save(
    *,
    user,
    attempt_id: int,
    position: int,
    option_ids: list[int],
    seq: int,
    ip: str | None = None,
    now: datetime | None = None,
    confidence: str | None = None,
) -> AttemptItem:
    """Replace the selection of one item; stale retries (seq not newer) change nothing.

    `confidence` is how sure the student said they were (a `Confidence` value, or "" for not
    given), saved with the selection under the same seq; None leaves the stored one as it is.
    Only an attempt that asks for it takes one. A confidence without a selected option is kept
    too (it counts only once there is an answer).
    """
    if confidence is not None and confidence != "" and confidence not in Confidence.values:
        raise ApplicationError("Say how sure you are with Sure, Unsure or Guess.")
    save = {
        "user": user,
        "attempt_id": attempt_id,
        "position": position,
        "option_ids": option_ids,
        "seq": seq,
        "ip": ip,
        "now": now or timezone.now(),
        "confidence": confidence,
    }
    if connection.vendor == "postgresql":
        item = _answer_save_at_once(**save)
        if item is not None:
            return item
    # Everything the one statement did not accept: refusals (which this path words and logs),
    # the save that found the item changed while it waited for the lock, SQLite.
    try:
        with transaction.atomic():
            return _answer_save_locked(**save)
    except AttemptClosed:
        # Logged after the rollback, so the refusal itself stays in the audit trail.
        AttemptEvent.objects.create(
            attempt_id=attempt_id,
            kind=AttemptEvent.Kind.REFUSED,
            actor=user,
            ip=ip,
            detail={"position": position},
        )
        raise


# An autosave in ONE statement, in autocommit (no BEGIN/COMMIT round trips): the hottest path.
#
# `d` locks the user's attempt (FOR UPDATE OF a, as every writer of an attempt does) and reads the
# item with it, then decides: 'refused' (closed, past the deadline and its grace, a checked item,
# an option not on the item, too many options, a seq too far ahead; nothing is written and
# `answer_save` takes its other path, which words the refusal and logs it), 'stale' (seq not
# newer: only the position may move), or 'apply'. Under READ COMMITTED a statement that waited for
# the attempt's lock gets the attempt's newest row (EvalPlanQual) but reads the item and its
# selection from the snapshot taken before it waited. So the item's UPDATE repeats the check
# "answer_seq and checked as read": PostgreSQL re-evaluates it on the newest row version, and a
# save committed meanwhile makes it update nothing. Every other write joins `upd` (its RETURNING),
# so then nothing at all is written, and `answer_seq`'s growth with every applied save makes an
# unchanged answer_seq an unchanged selection. A 'stale' verdict needs no such check: a newer
# save only makes answer_seq larger. A statement returns verdict, stored seq and whether the item
# was written; 'apply' with nothing written goes to the other path, which holds the lock in a
# transaction while it reads again.
_SAVE_AT_ONCE = """
    WITH d AS MATERIALIZED (
        SELECT r.id, r.answer_seq, r.current_position, r.stored,
               CASE WHEN NOT r.valid THEN 'refused'
                    WHEN %(seq)s <= r.answer_seq THEN 'stale'
                    WHEN %(seq)s > greatest(r.answer_seq, %(now_ms)s) + %(ahead)s THEN 'refused'
                    ELSE 'apply' END AS verdict,
               NOT (r.stored <@ %(chosen)s::bigint[] AND r.stored @> %(chosen)s::bigint[])
                   AS changed,
               coalesce(%(confidence)s::varchar <> r.confidence, false) AS conf_changed
        FROM (
            SELECT i.id, i.answer_seq, a.current_position, i.confidence,
                   ARRAY(SELECT s.option_id FROM exams_itemselection s WHERE s.item_id = i.id)
                       AS stored,
                   a.state = %(open)s AND (a.deadline IS NULL OR a.deadline >= %(cutoff)s)
                   AND NOT i.checked AND i.option_order @> %(chosen_json)s::jsonb
                   AND cardinality(%(chosen)s::bigint[]) <= v.select_count
                   AND (%(confidence)s::varchar IS NULL OR a.ask_confidence) AS valid
            FROM exams_attemptitem i
            JOIN exams_attempt a ON a.id = i.attempt_id
            JOIN questions_questionversion v ON v.id = i.version_id
            WHERE i.attempt_id = %(attempt)s AND a.user_id = %(user)s AND i.position = %(position)s
            FOR UPDATE OF a
        ) r
    ),
    upd AS (
        UPDATE exams_attemptitem i
        SET answer_seq = %(seq)s,
            answered_at = CASE WHEN d.changed THEN %(answered_at)s::timestamptz
                               ELSE i.answered_at END,
            confidence = CASE WHEN d.conf_changed THEN %(confidence)s::varchar
                              ELSE i.confidence END
        FROM d
        WHERE i.id = d.id AND d.verdict = 'apply' AND i.answer_seq = d.answer_seq
          AND NOT i.checked
        RETURNING i.id, d.changed, d.stored, d.conf_changed
    ),
    removed AS (
        DELETE FROM exams_itemselection s USING upd
        WHERE s.item_id = upd.id AND upd.changed
          AND NOT (s.option_id = ANY(%(chosen)s::bigint[]))
    ),
    added AS (
        INSERT INTO exams_itemselection (item_id, option_id)
        SELECT upd.id, c.option_id
        FROM upd, unnest(%(chosen)s::bigint[]) WITH ORDINALITY AS c(option_id, n)
        WHERE upd.changed AND NOT (c.option_id = ANY(upd.stored))
        ORDER BY c.n
    ),
    logged AS (
        INSERT INTO exams_attemptevent (attempt_id, kind, actor_id, at, ip, detail)
        SELECT %(attempt)s, %(kind)s, %(user)s, %(at)s, %(ip)s::inet, %(detail)s::jsonb
        FROM upd WHERE upd.changed OR upd.conf_changed
    ),
    moved AS (
        UPDATE exams_attempt a SET current_position = %(position)s
        FROM d
        WHERE a.id = %(attempt)s AND d.current_position <> %(position)s
          AND (d.verdict = 'stale' OR EXISTS (SELECT 1 FROM upd))
    )
    SELECT d.id, d.verdict, d.answer_seq, EXISTS (SELECT 1 FROM upd) FROM d
"""

# What the one statement can take as it is: larger numbers would fail the statement's casts
# even where no row is written (a position is a smallint, a seq and an id a bigint), and the
# other path answers them as before.
_SMALLINT_MAX = 2**15 - 1
_BIGINT_MAX = 2**63 - 1


def _save_detail(*, position: int, chosen: list[int], seq: int, confidence: str | None) -> str:
    """The SAVE audit row's detail: the whole answer as saved (with the confidence if sent)."""
    detail: dict = {"position": position, "options": chosen, "seq": seq}
    if confidence is not None:
        detail["confidence"] = confidence
    return json.dumps(detail)


def _answer_save_at_once(
    *, user, attempt_id, position, option_ids, seq, ip, now, confidence
) -> AttemptItem | None:
    """The autosave as one statement (PostgreSQL); None when the other path must answer."""
    try:
        chosen = list(dict.fromkeys(int(i) for i in option_ids))
    except (TypeError, ValueError):
        return None
    if not (
        0 < position <= _SMALLINT_MAX
        and 0 <= seq <= _BIGINT_MAX
        and 0 < attempt_id <= _BIGINT_MAX
        and all(0 < i <= _BIGINT_MAX for i in chosen)
    ):
        return None
    at = timezone.now()
    params = {
        "attempt": attempt_id,
        "user": user.pk,
        "position": position,
        "seq": seq,
        "chosen": chosen,
        "chosen_json": json.dumps(chosen),
        "open": Attempt.State.IN_PROGRESS.value,
        "cutoff": now - SAVE_GRACE,
        "now_ms": _epoch_ms(now),
        "ahead": SEQ_AHEAD,
        "answered_at": now if chosen else None,
        "kind": AttemptEvent.Kind.SAVE.value,
        "at": at,
        "ip": ip,
        "detail": _save_detail(position=position, chosen=chosen, seq=seq, confidence=confidence),
        "confidence": confidence,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SAVE_AT_ONCE, params)
        row = cursor.fetchone()
    if row is None:
        return None  # no such attempt or item for this user: the other path says which
    item_id, verdict, answer_seq, written = row
    if verdict == "stale":
        answer_seq_now = answer_seq
    elif written:
        answer_seq_now = seq
    else:
        return None  # refused, or the item changed while this save waited for the lock
    return _from_db(
        AttemptItem,
        {
            "id": item_id,
            "attempt_id": attempt_id,
            "position": position,
            "answer_seq": answer_seq_now,
        },
    )


# The same read as SQL written once: an autosave is the hottest path, and building the ORM query
# (joins, deferred fields, the subquery) cost more CPU than running it.
_SAVE_READ = """
    SELECT i.id, i.attempt_id, i.position, i.version_id, i.option_order, i.answer_seq,
           i.answered_at, i.checked, a.state, a.deadline, a.current_position, v.select_count,
           ARRAY(SELECT s.option_id FROM exams_itemselection s WHERE s.item_id = i.id),
           i.confidence, a.ask_confidence
    FROM exams_attemptitem i
    JOIN exams_attempt a ON a.id = i.attempt_id
    JOIN questions_questionversion v ON v.id = i.version_id
    WHERE i.attempt_id = %s AND a.user_id = %s AND i.position = %s
    FOR UPDATE OF a
"""


def _from_db(model, row: dict):
    """A model instance from some of its columns (the others deferred), as the ORM makes it."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in row]
    return model.from_db(connection.alias, names, [row[name] for name in names])


def _item_for_save(*, attempt_id: int, user, position: int) -> AttemptItem:
    """Lock the user's attempt and read the item at `position` with it: one statement.

    The item comes with its attempt (state, deadline, current_position), its version's
    select_count and `stored_ids`, its current selection. Raise as `open_item_locked` does when
    there is no such attempt, it is closed, or it has no such item.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SAVE_READ, [attempt_id, user.pk, position])
            row = cursor.fetchone()
        item = None
        if row is not None:
            (item_id, _, _, version_id, order, answer_seq, answered_at, checked) = row[:8]
            state, deadline, current_position, select_count, stored_ids = row[8:13]
            confidence, ask_confidence = row[13:]
            item = _from_db(
                AttemptItem,
                {
                    "id": item_id,
                    "attempt_id": attempt_id,
                    "position": position,
                    "version_id": version_id,
                    "option_order": json.loads(order) if isinstance(order, str) else order,
                    "answer_seq": answer_seq,
                    "answered_at": answered_at,
                    "checked": checked,
                    "confidence": confidence,
                },
            )
            item.attempt = _from_db(
                Attempt,
                {
                    "id": attempt_id,
                    "state": state,
                    "deadline": deadline,
                    "current_position": current_position,
                    "ask_confidence": ask_confidence,
                },
            )
            item.version = _from_db(
                QuestionVersion, {"id": version_id, "select_count": select_count}
            )
            item.stored_ids = stored_ids
    else:
        item = (
            AttemptItem.objects.select_related("attempt", "version")
            .select_for_update(of=("attempt",))
            .filter(attempt_id=attempt_id, attempt__user=user, position=position)
            .first()
        )
        if item is not None:
            item.stored_ids = list(item.selections.values_list("option_id", flat=True))
    if item is None:
        # Rare: say why as before (no such attempt, closed, or no such item).
        open_item_locked(attempt_id=attempt_id, user=user, position=position, now=timezone.now())
        raise AttemptItem.DoesNotExist("No such question in this attempt.")
    return item


# Written in one statement on PostgreSQL; the CTE `fresh` holds the item only if it still is as
# read (same answer_seq, not checked), and every write joins it, so a read overtaken by a
# concurrent save (the lock was waited for, the row was read from the statement's snapshot)
# writes nothing and the save reads again, now with the lock held. answer_seq grows with every
# applied save, so an unchanged answer_seq means an unchanged selection.
_SAVE_FRESH = """
    WITH fresh AS (
        SELECT id FROM exams_attemptitem
        WHERE id = %(item)s AND answer_seq = %(read_seq)s AND NOT checked
    )"""
_SAVE_MOVE = """,
    moved AS (
        UPDATE exams_attempt SET current_position = %(position)s
        WHERE id = %(attempt)s AND EXISTS (SELECT 1 FROM fresh)
    )"""
_SAVE_REMOVE = """,
    removed AS (
        DELETE FROM exams_itemselection
        WHERE item_id IN (SELECT id FROM fresh) AND option_id = ANY(%(removed)s)
    )"""
_SAVE_ADD = """,
    added AS (
        INSERT INTO exams_itemselection (item_id, option_id)
        SELECT fresh.id, chosen.option_id FROM fresh, unnest(%(added)s) AS chosen(option_id)
    )"""
_SAVE_LOG = """,
    logged AS (
        INSERT INTO exams_attemptevent (attempt_id, kind, actor_id, at, ip, detail)
        SELECT %(attempt)s, %(kind)s, %(actor)s, %(at)s, %(ip)s::inet, %(detail)s::jsonb
        FROM fresh
    )"""
_SAVE_ITEM = """
    UPDATE exams_attemptitem SET answer_seq = %(seq)s{answered}{confidence}
    FROM fresh WHERE exams_attemptitem.id = fresh.id
    RETURNING exams_attemptitem.id
"""


def _answer_save_locked(
    *, user, attempt_id, position, option_ids, seq, ip, now, confidence=None
) -> AttemptItem:
    # At most one re-read: after the first statement the lock is held, so the next read is fresh.
    for _ in range(2):
        item = _item_for_save(attempt_id=attempt_id, user=user, position=position)
        if _answer_apply(
            item,
            user=user,
            position=position,
            option_ids=option_ids,
            seq=seq,
            ip=ip,
            now=now,
            confidence=confidence,
        ):
            return item
    raise ApplicationError("This answer changed meanwhile; reload the page and answer again.")


def _answer_apply(
    item: AttemptItem, *, user, position, option_ids, seq, ip, now, confidence=None
) -> bool:
    """Apply the save to `item` as read; False when the read turned out stale (nothing written)."""
    attempt = item.attempt
    _ensure_open(attempt, now)
    if item.checked:
        raise ApplicationError("You already checked this answer; it can no longer change.")
    chosen = list(dict.fromkeys(int(i) for i in option_ids))
    if not set(chosen) <= set(item.option_order):
        raise ApplicationError("That option does not belong to this question.")
    if len(chosen) > item.version.select_count:
        raise ApplicationError(
            f"Choose at most {item.version.select_count} option"
            f"{'s' if item.version.select_count > 1 else ''} for this question."
        )
    if confidence is not None and not attempt.ask_confidence:
        raise ApplicationError("This attempt does not ask how sure you are.")
    moved = attempt.current_position != position
    attempt.current_position = position
    if seq <= item.answer_seq:
        # An older request retried after a newer one: keep the newer answer. (A stale read only
        # makes answer_seq look smaller, so this verdict never needs a re-read.)
        if moved:
            Attempt.objects.filter(pk=attempt.pk).update(current_position=position)
        return True
    if seq > max(item.answer_seq, _epoch_ms(now)) + SEQ_AHEAD:
        raise ApplicationError("This save is out of order; reload the page and answer again.")
    stored = set(item.stored_ids)
    changed = set(chosen) != stored
    conf_changed = confidence is not None and confidence != item.confidence
    # The page's own buttons post the answer autosave already stored: then only note the newer
    # seq (so older retries stay ignored), rewrite no selection and log nothing.
    removed = sorted(stored - set(chosen))
    added = [i for i in chosen if i not in stored]
    read_seq = item.answer_seq
    item.answer_seq = seq
    if changed:
        item.answered_at = now if chosen else None
        item.stored_ids = chosen
    if conf_changed:
        item.confidence = confidence
    if connection.vendor != "postgresql":
        # Elsewhere (SQLite, `make run`) a transaction holds the database's write lock from its
        # start, so the read is fresh: the same writes, one statement each.
        if moved:
            Attempt.objects.filter(pk=attempt.pk).update(current_position=position)
        if removed:
            ItemSelection.objects.filter(item=item, option_id__in=removed).delete()
        if added:
            ItemSelection.objects.bulk_create(ItemSelection(item=item, option_id=i) for i in added)
        fields = ["answer_seq"]
        fields += ["answered_at"] if changed else []
        fields += ["confidence"] if conf_changed else []
        item.save(update_fields=fields)
        if changed or conf_changed:
            extra = {} if confidence is None else {"confidence": confidence}
            _log(
                attempt,
                AttemptEvent.Kind.SAVE,
                actor=user,
                ip=ip,
                position=position,
                options=chosen,
                seq=seq,
                **extra,
            )
        return True
    sql = _SAVE_FRESH
    params = {"item": item.pk, "read_seq": read_seq, "seq": seq, "attempt": attempt.pk}
    if moved:
        sql += _SAVE_MOVE
        params["position"] = position
    if removed:
        sql += _SAVE_REMOVE
        params["removed"] = removed
    if added:
        sql += _SAVE_ADD
        params["added"] = added
    if changed or conf_changed:
        sql += _SAVE_LOG
        params.update(
            kind=AttemptEvent.Kind.SAVE.value,
            actor=user.pk,
            at=timezone.now(),
            ip=ip,
            detail=_save_detail(position=position, chosen=chosen, seq=seq, confidence=confidence),
        )
    if changed:
        params["answered_at"] = item.answered_at
    if conf_changed:
        params["confidence"] = confidence
    sql += _SAVE_ITEM.format(
        answered=", answered_at = %(answered_at)s" if changed else "",
        confidence=", confidence = %(confidence)s" if conf_changed else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def open_item_locked(*, attempt_id: int, user, position: int, now: datetime):
    """Lock the user's open attempt and return it with the item at `position`.

    Raise AttemptClosed past the deadline and AttemptItem.DoesNotExist for no such item.
    """
    attempt = _locked(attempt_id, user)
    _ensure_open(attempt, now)
    return attempt, AttemptItem.objects.get(attempt=attempt, position=position)


@transaction.atomic
def item_flag_set(
    *,
    user,
    attempt_id: int,
    position: int,
    flagged: bool,
    ip: str | None = None,
    now: datetime | None = None,
) -> AttemptItem:
    """Flag or unflag an item for review."""
    now = now or timezone.now()
    attempt, item = open_item_locked(attempt_id=attempt_id, user=user, position=position, now=now)
    if item.flagged != flagged:
        item.flagged = flagged
        item.save(update_fields=["flagged"])
        _log(attempt, AttemptEvent.Kind.FLAG, actor=user, ip=ip, position=position, flagged=flagged)
    return item


@transaction.atomic
def attempt_visit(*, user, attempt_id: int, position: int) -> None:
    """Remember where the student is, so a resume opens the same question."""
    Attempt.objects.filter(pk=attempt_id, user=user, state=Attempt.State.IN_PROGRESS).update(
        current_position=position
    )


@transaction.atomic
def item_check(*, user, attempt_id: int, position: int, now: datetime | None = None) -> AttemptItem:
    """Practice feedback: lock the item's answer and mark it correct or not."""
    now = now or timezone.now()
    attempt = _locked(attempt_id, user)
    _ensure_open(attempt, now)
    if attempt.feedback != Blueprint.Feedback.AFTER_EACH:
        raise ApplicationError("Feedback is shown after the exam is submitted.")
    item = (
        AttemptItem.objects.select_related("version")
        # The key in force is read with the options, as the results page reads it.
        .prefetch_related(Prefetch("version__options", queryset=options_with_key_in_force()))
        .get(attempt=attempt, position=position)
    )
    if not item.checked:
        chosen = {s.option_id for s in item.selections.all()}
        if not chosen:
            # Checking an empty answer would reveal the key and lock the item for nothing.
            raise ApplicationError("Choose an answer before checking it.")
        item.checked = True
        item.is_correct = key_in_force(item.version.options.all()).grades(item.version.kind, chosen)
        item.save(update_fields=["checked", "is_correct"])
        item_checked.send(sender=None, attempt_id=attempt.pk, item_id=item.pk, now=now)
    return item


# Grade every item of one attempt in one statement (the rule is GRADED_ATTEMPT_ITEMS_SQL, which
# the analytics regrade shares) and return what the score needs of each item.
# The grading is a MATERIALIZED CTE, computed once: without trustworthy planner statistics
# (right after a bulk load) PostgreSQL otherwise re-ran the grading aggregate once per row.
_GRADE_ATTEMPT = f"""
    WITH graded AS MATERIALIZED ({GRADED_ATTEMPT_ITEMS_PG_SQL})
    UPDATE exams_attemptitem SET is_correct = (graded.ok = 1)
    FROM graded, questions_domain d
    WHERE graded.item_id = exams_attemptitem.id AND d.id = exams_attemptitem.domain_id
      -- Also named here so the updated rows are found by attempt whatever the statistics.
      AND exams_attemptitem.attempt_id = %s
    RETURNING exams_attemptitem.id, exams_attemptitem.position, d.name,
              exams_attemptitem.scored, graded.ok
"""  # noqa: S608  # nosec B608 - no user input in this SQL


def _graded_items(attempt: Attempt) -> list[MarkedItem]:
    """Set is_correct on every item of `attempt` from its selections; return them marked."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_GRADE_ATTEMPT, [attempt.pk, attempt.pk, attempt.pk])
            rows = cursor.fetchall()
        else:
            # SQLite's RETURNING cannot name the FROM tables: the same rule, then a read.
            cursor.execute(
                f"""
                UPDATE exams_attemptitem SET is_correct = (graded.ok = 1)
                FROM ({GRADED_ATTEMPT_ITEMS_SQL}) AS graded
                WHERE graded.item_id = exams_attemptitem.id
                  AND exams_attemptitem.attempt_id = %s
                """,  # noqa: S608  # nosec B608 - no user input in this SQL
                [attempt.pk, attempt.pk, attempt.pk],
            )
            rows = attempt.items.values_list(
                "id", "position", "domain__name", "scored", "is_correct"
            )
    return [
        MarkedItem(item_id=item_id, domain=domain, ok=bool(ok), scored=scored)
        for item_id, _, domain, scored, ok in sorted(rows, key=lambda row: row[1])
    ]


def _apply_score(attempt: Attempt) -> None:
    score = score_marked(
        _graded_items(attempt),
        cut_fraction=float(attempt.cut_percent) / 100,
        passing_score=attempt.passing_score,
    )
    attempt.correct_count = score.correct
    attempt.scored_count = score.scored_total
    attempt.percent = Decimal(str(score.percent)).quantize(Decimal("0.01"))
    attempt.scaled_score = score.scaled
    attempt.passed = score.passed
    attempt.domain_results = [
        {
            "domain": d.domain,
            "correct": d.correct,
            "total": d.total,
            "percent": d.percent,
            "meets": d.meets,
        }
        for d in score.domains
    ]


# What scoring writes on the attempt's row (and finishing adds its state and finish time).
_SCORE_FIELDS = [
    "correct_count",
    "scored_count",
    "percent",
    "scaled_score",
    "passed",
    "domain_results",
]


def _finish(attempt: Attempt, *, state: str, finished_at: datetime) -> Attempt:
    attempt.state = state
    attempt.finished_at = finished_at
    _apply_score(attempt)
    # The user and blueprint were checked at start and do not change: validating them again
    # would cost a query each.
    attempt.full_clean(exclude=["user", "blueprint"], validate_constraints=False)
    attempt.save(update_fields=["state", "finished_at", *_SCORE_FIELDS])
    attempt_finished.send(sender=Attempt, attempt_id=attempt.pk)
    return attempt


@transaction.atomic
def attempt_regrade(*, attempt_id: int, actor=None, reason: str = "") -> Attempt:
    """Score a submitted attempt again from its raw answers, leaving an audit event."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
    if attempt.state == Attempt.State.IN_PROGRESS:
        return attempt
    before = attempt.scaled_score
    _apply_score(attempt)
    attempt.save(update_fields=_SCORE_FIELDS)
    _log(
        attempt,
        AttemptEvent.Kind.REGRADE,
        actor=actor,
        before=before,
        after=attempt.scaled_score,
        reason=reason,
    )
    return attempt


@transaction.atomic
def attempt_submit(
    *, user, attempt_id: int, ip: str | None = None, auto: bool = False, now: datetime | None = None
) -> Attempt:
    """Submit and score once; a double click, second tab or retry returns the same result.

    `auto` is the open page submitting itself when its timer reached zero.
    """
    now = now or timezone.now()
    attempt = _locked(attempt_id, user)
    if attempt.state != Attempt.State.IN_PROGRESS:
        return attempt
    timed_out = attempt.deadline is not None and now >= attempt.deadline
    if attempt_is_overdue(attempt, now) or (auto and timed_out):
        # Submitted after time ran out: the deadline is the finish time, as for the beat task.
        _finish(attempt, state=Attempt.State.EXPIRED, finished_at=attempt.deadline)
        _log(attempt, AttemptEvent.Kind.AUTO_SUBMIT, actor=user, ip=ip)
        return attempt
    _finish(
        attempt,
        state=Attempt.State.SUBMITTED,
        finished_at=min(now, attempt.deadline) if attempt.deadline else now,
    )
    _log(attempt, AttemptEvent.Kind.SUBMIT, actor=user, ip=ip)
    return attempt


def attempts_expire_overdue(*, now: datetime | None = None) -> int:
    """Submit every attempt whose deadline has passed (the beat task); return how many."""
    now = now or timezone.now()
    expired = 0
    overdue_ids = list(
        Attempt.objects.in_progress()
        .filter(deadline__lt=now - SAVE_GRACE)
        .values_list("pk", flat=True)
    )
    for attempt_id in overdue_ids:
        with transaction.atomic():
            attempt = (
                Attempt.objects.select_for_update(skip_locked=True)
                .filter(pk=attempt_id, state=Attempt.State.IN_PROGRESS)
                .first()
            )
            if attempt is None:
                continue  # submitted meanwhile, or being submitted by its student right now
            _finish(attempt, state=Attempt.State.EXPIRED, finished_at=attempt.deadline)
            _log(attempt, AttemptEvent.Kind.AUTO_SUBMIT, actor=None)
            expired += 1
    return expired
