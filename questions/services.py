"""Writes to the question bank: create, edit (new immutable versions), status, import."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils.text import slugify

from core.errors import ApplicationError

from .content_rules import parse_date, parse_problems, question_problems, rule_problems
from .markdown import render_inline, render_markdown
from .models import (
    Domain,
    ExamGuide,
    Option,
    Question,
    QuestionDomain,
    QuestionEvent,
    QuestionReview,
    QuestionVersion,
    Tag,
    TaskStatement,
)


def normalise_stem(stem: str) -> str:
    """Return the stem as compared for duplicates: case and whitespace do not matter."""
    return re.sub(r"\s+", " ", (stem or "").strip()).lower()


def _content_of(data: dict) -> tuple:
    return (
        data["kind"],
        data["stem"].strip(),
        (data.get("explanation") or "").strip(),
        tuple(data.get("references") or ()),
        tuple(
            (o["text"].strip(), bool(o["correct"]), (o.get("rationale") or "").strip())
            for o in data["options"]
        ),
    )


def question_as_data(question: Question, version: QuestionVersion | None = None) -> dict:
    """Return a question in the bank schema (the native JSON format)."""
    version = version or question.current_version
    return {
        "key": question.key,
        "kind": version.kind,
        "stem": version.stem,
        "options": [
            {"text": o.text, "correct": o.is_correct, "rationale": o.rationale}
            for o in version.options.all()
        ],
        "explanation": version.explanation,
        "references": list(version.references),
        "domains": {link.guide.code: link.domain.name for link in question.domain_links.all()},
        "task_statements": {
            link.guide.code: link.task_statement.code
            for link in question.domain_links.all()
            if link.task_statement_id
        },
        "tags": [t.name for t in question.tags.all()],
        "difficulty": question.difficulty,
        "enemies": sorted(e.key for e in question.enemies.all()),
        "reviewed_on": question.reviewed_on.isoformat() if question.reviewed_on else None,
        "is_pretest": question.is_pretest,
        "reviews": [
            {
                "reviewer": r.reviewer,
                "verdict": r.verdict,
                "notes": r.notes,
                "date": r.reviewed_on.isoformat(),
            }
            for r in sorted(question.reviews.all(), key=lambda r: (r.reviewed_on, r.pk))
        ],
    }


def _resolve_domains(domains: dict, *, required: bool = True) -> list[Domain]:
    """Return the named domains; with `required` (publishing), refuse none at all. A draft
    may lack a domain: it is stored with no domain link and marked as needing review."""
    if not domains or not any(domains.values()):
        if not required:
            return []
        raise ApplicationError({"domains": "A domain in at least one exam guide is required."})
    resolved = []
    guides = {g.code: g for g in ExamGuide.objects.prefetch_related("domains")}
    for code, name in domains.items():
        if not name:
            continue
        guide = guides.get(code)
        if guide is None:
            raise ApplicationError({"domains": f"Unknown exam guide {code!r}."})
        match = next((d for d in guide.domains.all() if d.name.lower() == name.lower()), None)
        if match is None:
            names = ", ".join(d.name for d in guide.domains.all())
            raise ApplicationError(
                {"domains": f"{code} has no domain {name!r} (choose one of: {names})."}
            )
        resolved.append(match)
    return resolved


def _check_content(data: dict, *, for_publish: bool, lenient: bool = False) -> list[str]:
    """Refuse what cannot be saved and return the rule problems to store as review notes.

    Publishing refuses every problem; the authoring form's drafts refuse the parse errors and
    the count and wording rules (question_problems); a `lenient` save (an import, an edit of a
    question that needs review) refuses only the parse errors (content_rules.parse_problems).
    """
    if lenient and not for_publish:
        problems = parse_problems(data)
    else:
        problems = question_problems(data, for_publish=for_publish)
    if problems:
        raise ApplicationError(problems)
    return rule_problems(data)


def _duplicate_of(stem: str, domains: list[Domain], exclude: Question | None) -> Question | None:
    """Return a question with the same stem in one of these domains' guides or with no
    domain; with no domains, any question with the same stem."""
    candidates = Question.objects.filter(stem_search=normalise_stem(stem))
    if domains:
        candidates = candidates.filter(
            Q(domain_links__guide__in=[d.guide_id for d in domains]) | Q(domain_links__isnull=True)
        )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    return candidates.first()


def _duplicate_message(dup: Question, domains: list[Domain]) -> str:
    where = "in this guide" if domains else "in the bank"
    return f"The same stem already exists {where} ({dup.key})."


def _new_version(*, question: Question, data: dict, user, change_note: str) -> QuestionVersion:
    number = question.versions.order_by("-number").values_list("number", flat=True).first() or 0
    correct = sum(1 for o in data["options"] if o["correct"])
    version = QuestionVersion(
        question=question,
        number=number + 1,
        kind=data["kind"],
        stem=data["stem"].strip(),
        stem_html=render_markdown(data["stem"]),
        explanation=(data.get("explanation") or "").strip(),
        explanation_html=render_markdown(data.get("explanation") or ""),
        references=list(data.get("references") or []),
        select_count=correct,
        created_by=user,
        change_note=change_note[:200],
    )
    version.full_clean(exclude=["question"])
    version.save()
    Option.objects.bulk_create(
        Option(
            version=version,
            position=position,
            text=o["text"].strip(),
            text_html=render_inline(o["text"]),
            is_correct=bool(o["correct"]),
            rationale=(o.get("rationale") or "").strip(),
            rationale_html=render_markdown(o.get("rationale") or ""),
        )
        for position, o in enumerate(data["options"])
    )
    return version


def _resolve_task_statements(data: dict, domains: list[Domain]) -> dict[int, TaskStatement]:
    """Return the task statement per guide id; each must belong to the question's domain."""
    wanted = {
        code: number for code, number in (data.get("task_statements") or {}).items() if number
    }
    by_guide = {d.guide.code: d for d in domains}
    resolved = {}
    for code, number in wanted.items():
        domain = by_guide.get(code)
        if domain is None:
            raise ApplicationError(
                {"task_statements": f"The {code} task statement {number} needs a {code} domain."}
            )
        statement = (
            TaskStatement.objects.select_related("domain")
            .filter(guide_id=domain.guide_id, code=str(number).strip())
            .first()
        )
        if statement is None:
            raise ApplicationError({"task_statements": f"{code} has no task statement {number!r}."})
        if statement.domain_id != domain.pk:
            raise ApplicationError(
                {
                    "task_statements": f"The {code} task statement {statement.code} belongs to "
                    f"{statement.domain.name}, not to the {code} domain {domain.name}."
                }
            )
        resolved[domain.guide_id] = statement
    return resolved


def _set_metadata(question: Question, data: dict, domains: list[Domain]) -> None:
    statements = _resolve_task_statements(data, domains)
    question.domain_links.exclude(guide__in=[d.guide_id for d in domains]).delete()
    for domain in domains:
        QuestionDomain.objects.update_or_create(
            question=question,
            guide_id=domain.guide_id,
            defaults={"domain": domain, "task_statement": statements.get(domain.guide_id)},
        )
    tags = [
        Tag.objects.get_or_create(name=name.strip())[0]
        for name in data.get("tags") or []
        if name.strip()
    ]
    question.tags.set(tags)
    if data.get("enemies") is not None:
        question_set_enemies(question=question, keys=data["enemies"])
    _record_reviews(question, data.get("reviews") or [])


def _record_reviews(question: Question, reviews: list[dict]) -> None:
    """Add the reviews not recorded yet (same reviewer, verdict, notes and date): idempotent."""
    existing = {
        (r.reviewer, r.verdict, r.notes, r.reviewed_on)
        for r in question.reviews.all().only("reviewer", "verdict", "notes", "reviewed_on")
    }
    for review in reviews:
        row = QuestionReview(
            question=question,
            version=question.current_version,
            reviewer=(review.get("reviewer") or "").strip(),
            verdict=review.get("verdict"),
            notes=(review.get("notes") or "").strip(),
            reviewed_on=parse_date(review.get("date")),
        )
        identity = (row.reviewer, row.verdict, row.notes, row.reviewed_on)
        if identity in existing:
            continue
        row.full_clean()
        row.save()
        existing.add(identity)


def question_set_enemies(*, question: Question, keys: list[str]) -> None:
    """Make the questions with these keys the enemies of `question` (and it theirs)."""
    keys = sorted({k.strip() for k in keys if k and k.strip()})
    if question.key in keys:
        raise ApplicationError({"enemies": "A question cannot be its own enemy."})
    found = list(Question.objects.filter(key__in=keys))
    missing = sorted(set(keys) - {q.key for q in found})
    if missing:
        raise ApplicationError(
            {"enemies": f"No question has the key(s) {', '.join(missing)} (enemies)."}
        )
    question.enemies.set(found)


def _unique_key(stem: str) -> str:
    base = slugify(stem[:50]) or "question"
    return f"{base}-{uuid.uuid4().hex[:6]}"


@transaction.atomic
def question_create(
    *,
    data: dict,
    author=None,
    status: str = Question.Status.DRAFT,
    allow_duplicate: bool = False,
    lenient: bool = False,
) -> Question:
    """Create a question with its first version; publishing requires complete content.

    Whatever the status, the rule problems are stored (`needs_review`, `review_notes`). With
    `lenient` (imports) a draft is refused only for parse errors: a question that breaks a
    content rule is kept as a draft that needs review.
    """
    publish = status == Question.Status.PUBLISHED
    notes = _check_content(data, for_publish=publish, lenient=lenient)
    domains = _resolve_domains(data.get("domains") or {}, required=publish)
    if not allow_duplicate and (dup := _duplicate_of(data["stem"], domains, None)):
        raise ApplicationError({"stem": _duplicate_message(dup, domains)})
    question = Question(
        key=data.get("key") or _unique_key(data["stem"]),
        status=status,
        difficulty=data.get("difficulty") or Question.Difficulty.MEDIUM,
        reviewed_on=parse_date(data.get("reviewed_on")),
        is_pretest=data.get("is_pretest") is True,
        author=author,
        kind=data["kind"],
        stem_search=normalise_stem(data["stem"]),
        needs_review=bool(notes),
        review_notes=notes,
    )
    question.full_clean(exclude=["current_version"])
    question.save()
    question.current_version = _new_version(
        question=question, data=data, user=author, change_note="Created"
    )
    question.save(update_fields=["current_version"])
    _set_metadata(question, data, domains)
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    data: dict,
    user=None,
    change_note: str = "",
    lenient: bool = False,
) -> bool:
    """Apply an edit; a content change makes a new immutable version. Return True if it did.

    The rule problems are stored again: an edit that makes the question pass the rules clears
    `needs_review` and its notes. A question that needs review (and is not published) is
    saved leniently, like `lenient`: only parse errors refuse, so it can be fixed bit by bit.
    """
    question = Question.objects.select_for_update().get(pk=question.pk)
    publish = question.status == Question.Status.PUBLISHED
    notes = _check_content(data, for_publish=publish, lenient=lenient or question.needs_review)
    domains = _resolve_domains(data.get("domains") or {}, required=publish)
    if dup := _duplicate_of(data["stem"], domains, question):
        raise ApplicationError({"stem": _duplicate_message(dup, domains)})
    current = question_as_data(question)
    changed = _content_of(current) != _content_of(data)
    if changed:
        question.current_version = _new_version(
            question=question, data=data, user=user, change_note=change_note or "Edited"
        )
    question.kind = data["kind"]
    question.stem_search = normalise_stem(data["stem"])
    question.difficulty = data.get("difficulty") or question.difficulty
    if "reviewed_on" in data:
        question.reviewed_on = parse_date(data["reviewed_on"])
    if isinstance(data.get("is_pretest"), bool):
        question.is_pretest = data["is_pretest"]
    question.needs_review = bool(notes)
    question.review_notes = notes
    question.full_clean(exclude=["current_version"])
    question.save()
    _set_metadata(question, data, domains)
    return changed


ALLOWED_TRANSITIONS = {
    Question.Status.DRAFT: {
        Question.Status.IN_REVIEW,
        Question.Status.PUBLISHED,
        Question.Status.RETIRED,
    },
    Question.Status.IN_REVIEW: {
        Question.Status.DRAFT,
        Question.Status.PUBLISHED,
        Question.Status.RETIRED,
    },
    Question.Status.PUBLISHED: {Question.Status.RETIRED, Question.Status.IN_REVIEW},
    Question.Status.RETIRED: {Question.Status.DRAFT, Question.Status.PUBLISHED},
}


@transaction.atomic
def question_set_status(*, question: Question, status: str, user=None) -> Question:
    """Move a question through draft → in review → published → retired."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if status == question.status:
        return question
    if status not in Question.Status.values:
        raise ApplicationError(f"{question.key}: there is no status {status[:40]!r}.")
    if status not in ALLOWED_TRANSITIONS[question.status]:
        raise ApplicationError(
            f"{question.key}: cannot go from {question.get_status_display()} to "
            f"{Question.Status(status).label}."
        )
    if status == Question.Status.PUBLISHED:
        problems = question_problems(question_as_data(question), for_publish=True)
        if problems:
            raise ApplicationError([f"{question.key}: {p}" for p in problems])
    question.status = status
    question.save(update_fields=["status", "updated_at"])
    return question


@transaction.atomic
def question_promote(*, question: Question, user=None, detail: dict | None = None) -> Question:
    """Promote a pretest item to a scored one, with an append-only audit event (idempotent:
    promoting an item that is no longer pretest changes nothing and writes no event)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not question.is_pretest:
        return question
    if question.status != Question.Status.PUBLISHED:
        raise ApplicationError(
            f"{question.key}: only a published pretest item can be promoted "
            f"(it is {question.get_status_display().lower()})."
        )
    question.is_pretest = False
    question.save(update_fields=["is_pretest", "updated_at"])
    QuestionEvent.objects.create(
        question=question,
        kind=QuestionEvent.Kind.PROMOTED,
        actor=user if getattr(user, "pk", None) else None,
        detail=detail or {},
    )
    return question


def questions_bulk_set_status(*, questions, status: str, user=None) -> tuple[int, list[str]]:
    """Change many statuses; each question succeeds or fails on its own, with a reason."""
    changed, problems = 0, []
    for question in questions:
        try:
            question_set_status(question=question, status=status, user=user)
        except ValidationError as exc:
            problems.extend(exc.messages)
        else:
            changed += 1
    return changed, problems


@transaction.atomic
def question_delete(*, question: Question) -> None:
    """Delete a question that no attempt has shown; otherwise explain that it must be retired."""
    try:
        question.current_version = None
        question.save(update_fields=["current_version"])
        # Reviews point at versions (PROTECT); they go with the question.
        question.reviews.all().delete()
        question.delete()
    except ProtectedError as exc:
        raise ApplicationError(
            "This question appears in exam attempts, so it cannot be deleted. Retire it instead."
        ) from exc


@dataclass(frozen=True)
class NeedsReview:
    """A question an import wrote as a draft that needs review, and why."""

    number: int
    key: str
    notes: list[str]
    # The status the import asked for when it was not draft (the question is a draft anyway).
    asked: str = ""
    question_id: int | None = None

    @property
    def asked_label(self) -> str:
        """The status asked for, as the pages say it ("published"), or ""."""
        return Question.Status(self.asked).label.lower() if self.asked else ""

    def __str__(self) -> str:
        asked = f" (not {self.asked_label})" if self.asked else ""
        return f"Question {self.number} ({self.key}): draft{asked}, needs review: " + "; ".join(
            self.notes
        )


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Created or updated questions that break a content rule: kept as drafts, with the reasons.
    needs_review: list[NeedsReview] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.created) + len(self.updated)

    @property
    def ready(self) -> int:
        """How many created questions need no review."""
        keys = {n.key for n in self.needs_review}
        return sum(1 for key in self.created if key not in keys)


def _import_enemies(
    declared: list[tuple[int, Question, object]], written: dict[str, Question]
) -> list[str]:
    """Set the enemies an import declares (a key of the file or of the bank); return errors.

    Enemies are symmetrical: a pair declared on either side is kept on both, so the file's
    order does not matter.
    """
    errors: list[str] = []
    wanted: dict[int, set[int]] = {}
    owners: dict[int, Question] = {}
    for number, question, keys in declared:
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            errors.append(f"Question {number}: the enemies must be a list of question keys.")
            continue
        owners[question.pk] = question
        wanted.setdefault(question.pk, set())
        for key in keys:
            key = (key or "").strip()
            enemy = written.get(key) or Question.objects.filter(key=key).first()
            if enemy is None:
                errors.append(f"Question {number}: enemy {key!r} is not a question key.")
            elif enemy.pk == question.pk:
                errors.append(f"Question {number}: a question cannot be its own enemy.")
            else:
                wanted[question.pk].add(enemy.pk)
    for pk, enemies in list(wanted.items()):
        for enemy_pk in enemies:
            if enemy_pk in wanted:
                wanted[enemy_pk].add(pk)
    for pk, enemies in wanted.items():
        owners[pk].enemies.set(enemies)
    return errors


class ImportFailed(ApplicationError):
    """Raised by an all-or-nothing import when any question fails; nothing was written."""

    def __init__(self, report: ImportReport):
        super().__init__("; ".join(report.errors))
        self.report = report


def bank_import(
    *,
    questions: list[tuple[int, dict]],
    user=None,
    status: str = Question.Status.DRAFT,
    atomic: bool = True,
    update_by_key: bool = False,
    default_domains: dict | None = None,
) -> ImportReport:
    """Import numbered questions; atomic means nothing is written unless all of them are valid.

    Only parse errors (content_rules.parse_problems) refuse a question: one that breaks a
    content rule is written as a draft (whatever `status` asks) marked as needing review,
    with the rule messages (`report.needs_review`); publishing it later needs the rules met.

    With `update_by_key`, a question whose key exists is updated (a new version only if its
    content changed), which makes loading the same file twice a no-op. Enemies are resolved
    once every question of the import is written, so they may name questions further on.
    """
    report = ImportReport()
    # Key in the file -> the question written for it; (number, question, declared enemies).
    written: dict[str, Question] = {}
    declared: list[tuple[int, Question, object]] = []
    draft = Question.Status.DRAFT
    with transaction.atomic():
        for number, raw in questions:
            data = {
                **raw,
                "domains": {**(default_domains or {}), **(raw.get("domains") or {})},
                "enemies": None,
            }
            label = f"Question {number}"
            try:
                with transaction.atomic():
                    existing = (
                        Question.objects.filter(key=data["key"]).first()
                        if update_by_key and data.get("key")
                        else None
                    )
                    if existing is not None:
                        if question_update(
                            question=existing,
                            data=data,
                            user=user,
                            change_note="Imported",
                            lenient=True,
                        ):
                            report.updated.append(existing.key)
                        else:
                            report.unchanged.append(existing.key)
                        existing.refresh_from_db()
                        target = status
                        if existing.needs_review and existing.status != Question.Status.PUBLISHED:
                            target = draft
                            report.needs_review.append(
                                NeedsReview(
                                    number,
                                    existing.key,
                                    existing.review_notes,
                                    asked=status if status != draft else "",
                                    question_id=existing.pk,
                                )
                            )
                        if existing.status != target:
                            question_set_status(question=existing, status=target, user=user)
                        written[existing.key] = existing
                        if raw.get("enemies") is not None:
                            declared.append((number, existing, raw["enemies"]))
                        continue
                    if data.get("key") and Question.objects.filter(key=data["key"]).exists():
                        data = {**data, "key": None}
                    domains = _resolve_domains(data["domains"], required=False)
                    if dup := _duplicate_of(data["stem"], domains, None):
                        where = "in this guide" if domains else "in the bank"
                        report.duplicates.append(
                            f"{label}: the same stem already exists {where} ({dup.key}); skipped."
                        )
                        continue
                    original_key = raw.get("key")
                    wanted = draft if rule_problems(data) else status
                    created = question_create(data=data, author=user, status=wanted, lenient=True)
                    report.created.append(created.key)
                    if created.needs_review:
                        report.needs_review.append(
                            NeedsReview(
                                number,
                                created.key,
                                created.review_notes,
                                asked=status if status != draft else "",
                                question_id=created.pk,
                            )
                        )
                    written[original_key or created.key] = created
                    if raw.get("enemies") is not None:
                        declared.append((number, created, raw["enemies"]))
            except ValidationError as exc:
                report.errors.append(f"{label}: {' '.join(exc.messages)}")
        report.errors += _import_enemies(declared, written)
        if atomic and report.errors:
            transaction.set_rollback(True)
            raise ImportFailed(report)
    return report
