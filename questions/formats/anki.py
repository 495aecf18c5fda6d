"""Anki packages (.apkg) of bank questions, for offline study on a phone (`genanki`).

Export only: an .apkg is a zip holding `collection.anki2` (SQLite). Each question becomes one
note of our own note type with the fields Stem, Options, Answer, Explanation, Rationales,
References and Key; its one card shows the stem and the lettered options on the front and the
answer, explanation, per-option rationales and AWS documentation links on the back.

Ids are stable so that importing a newer export updates instead of duplicating: the note
type's and the deck's ids are derived from fixed names, and a note's GUID from the question's
`key` (`genanki.guid_for`), so a later version of a question updates the same note.

Only the stored, sanitised `*_html` fields (`questions.markdown`) and escaped plain text reach
the cards; a reference is a link only when it is an http(s) URL.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Sequence
from html import escape

import genanki
from django.db.models import Prefetch, QuerySet
from django.utils.text import slugify

from core.errors import ApplicationError

from ..models import Option, Question, QuestionDomain, QuestionVersion

# The most questions one package holds: a deck of 2,000 is ~2 MB and builds in a few seconds.
MAX_ANKI_QUESTIONS = 2000
LETTERS = "ABCDEFGHIJ"
DEFAULT_DECK_NAME = "AWS Developer practice questions"
MAX_DECK_NAME = 100

# Bump the name (and so the id) only when the fields or templates change incompatibly.
MODEL_NAME = "AWS exam simulator question v1"
FIELDS = ["Stem", "Options", "Answer", "Explanation", "Rationales", "References", "Key"]


def stable_id(name: str) -> int:
    """Return an Anki id for `name`: the same every time, in genanki's [2**30, 2**31) range."""
    digest = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big")
    return (1 << 30) + digest % (1 << 30)


MODEL_ID = stable_id(MODEL_NAME)

FRONT = """<div class="stem">{{Stem}}</div>
<div class="options">{{Options}}</div>"""


def _section(field: str, label: str) -> str:
    """A back-of-card section shown only when the field has content."""
    return (
        f'{{{{#{field}}}}}<div class="section"><div class="label">{label}</div>'
        f"{{{{{field}}}}}</div>{{{{/{field}}}}}"
    )


BACK = "\n".join(
    [
        "{{FrontSide}}",
        '<hr id="answer">',
        '<div class="section answer"><div class="label">Answer</div>{{Answer}}</div>',
        _section("Explanation", "Why"),
        _section("Rationales", "Each option"),
        _section("References", "AWS documentation"),
        '<div class="key">{{Key}}</div>',
    ]
)

# Small screens first (AnkiDroid, AnkiMobile): one column, readable type, code that wraps.
CSS = """.card { font-family: -apple-system, system-ui, "Segoe UI", Roboto, sans-serif;
  font-size: 18px; line-height: 1.45; text-align: left; color: #1b1b1b; background: #fff;
  max-width: 42em; margin: 0 auto; padding: 0 6px; }
.card.nightMode, .night_mode .card { color: #e8e8e8; background: #1e1e1e; }
p { margin: 0 0 .6em; }
pre { white-space: pre-wrap; word-wrap: break-word; font-size: .85em;
  background: rgba(127,127,127,.12); padding: .5em; border-radius: 4px; }
code { font-size: .9em; }
.option { margin: .45em 0; padding: .4em .55em; border: 1px solid rgba(127,127,127,.45);
  border-radius: 6px; }
.option p:last-child { margin-bottom: 0; }
.letter { font-weight: bold; margin-right: .35em; }
.correct { border-color: #198754; border-width: 2px; }
.section { margin-top: 1em; }
.label { font-size: .8em; font-weight: bold; text-transform: uppercase; letter-spacing: .04em;
  opacity: .75; margin-bottom: .25em; }
.letters { font-weight: bold; }
ul.refs { padding-left: 1.2em; }
a { word-break: break-all; }
.key { margin-top: 1.5em; font-size: .75em; opacity: .6; }
"""

MODEL = genanki.Model(
    MODEL_ID,
    MODEL_NAME,
    fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Question", "qfmt": FRONT, "afmt": BACK}],
    css=CSS,
)


def deck_id_for(deck_name: str) -> int:
    return stable_id(f"deck: {deck_name}")


def deck_filename(deck_name: str) -> str:
    """Return the download's file name, `<deck name as a slug>.apkg`."""
    return f"{slugify(deck_name) or 'questions'}.apkg"


def clean_deck_name(deck_name: str) -> str:
    name = " ".join((deck_name or "").split())[:MAX_DECK_NAME]
    return name or DEFAULT_DECK_NAME


_TAG_JUNK = re.compile(r"[^\w.:-]+")


def _tag(*parts: str) -> str:
    """Return an Anki tag (no spaces; `::` makes the hierarchy) of the given parts."""
    return "::".join(_TAG_JUNK.sub("_", part.strip()).strip("_") for part in parts)


def _letter(position_index: int) -> str:
    return LETTERS[position_index] if position_index < len(LETTERS) else str(position_index + 1)


def _options_html(options: Sequence[Option]) -> str:
    return "".join(
        f'<div class="option"><span class="letter">{_letter(i)}.</span>{o.text_html}</div>'
        for i, o in enumerate(options)
    )


def _answer_html(options: Sequence[Option]) -> str:
    keyed = [(i, o) for i, o in enumerate(options) if o.is_correct]
    letters = ", ".join(_letter(i) for i, _ in keyed)
    return f'<div class="letters">{letters}</div>' + "".join(
        f'<div class="option correct"><span class="letter">{_letter(i)}.</span>{o.text_html}</div>'
        for i, o in keyed
    )


def _rationales_html(options: Sequence[Option]) -> str:
    parts = []
    for i, o in enumerate(options):
        if not o.rationale_html.strip():
            continue
        css, verdict = ("option correct", "Correct") if o.is_correct else ("option", "Incorrect")
        parts.append(
            f'<div class="{css}"><span class="letter">{_letter(i)}. {verdict}.</span>'
            f"{o.rationale_html}</div>"
        )
    return "".join(parts)


def _references_html(references: Iterable) -> str:
    links = [
        f'<li><a href="{escape(ref.strip())}">{escape(ref.strip())}</a></li>'
        for ref in references or ()
        if isinstance(ref, str) and re.match(r"^https?://\S+$", ref.strip())
    ]
    return f'<ul class="refs">{"".join(links)}</ul>' if links else ""


def _tags(question: Question) -> list[str]:
    tags = []
    for link in question.domain_links.all():
        tags.append(_tag(link.guide.code, link.domain.name))
        if link.task_statement_id:
            tags.append(_tag(link.guide.code, f"task_{link.task_statement.code}"))
    tags += [_tag("AWS", t.name) for t in question.tags.all()]
    if question.kind == Question.Kind.MULTIPLE_RESPONSE:
        tags.append("multiple_response")
    return sorted({t for t in tags if t})


def note_for(version: QuestionVersion) -> genanki.Note:
    """Return the note of one question version (its options, links and tags preloaded)."""
    question = version.question
    options = sorted(version.options.all(), key=lambda o: o.position)
    return genanki.Note(
        model=MODEL,
        fields=[
            version.stem_html,
            _options_html(options),
            _answer_html(options),
            version.explanation_html,
            _rationales_html(options),
            _references_html(version.references),
            escape(question.key),
        ],
        tags=_tags(question),
        guid=genanki.guid_for(question.key),
    )


def anki_package(*, versions: Sequence[QuestionVersion], deck_name: str) -> bytes:
    """Return the .apkg bytes of a deck of `versions` (one note each, in the given order).

    Each version's `question` (with `domain_links` → guide, domain, task statement, and `tags`)
    and `options` should be preloaded; `questions_for_anki` does that. Refuses an empty list and
    more than MAX_ANKI_QUESTIONS with an ApplicationError.
    """
    if not versions:
        raise ApplicationError("There are no questions to export.")
    if len(versions) > MAX_ANKI_QUESTIONS:
        raise ApplicationError(
            f"An Anki deck holds at most {MAX_ANKI_QUESTIONS:,} questions and this one would "
            f"hold {len(versions):,}. Narrow the filters (guide, domain, status) and export again."
        )
    deck_name = clean_deck_name(deck_name)
    deck = genanki.Deck(deck_id_for(deck_name), deck_name)
    for version in versions:
        deck.add_note(note_for(version))
    handle, path = tempfile.mkstemp(suffix=".apkg")
    os.close(handle)
    try:
        genanki.Package(deck).write_to_file(path, timestamp=time.time())
        with open(path, "rb") as package:
            return package.read()
    finally:
        os.unlink(path)


def questions_for_anki(questions: QuerySet[Question]) -> QuerySet[Question]:
    """Preload what a note needs: the current version's options, domains, task statements, tags."""
    # prefetch_related(None) first: the bank list's selector preloads domain links its own way.
    return (
        questions.select_related("current_version")
        .prefetch_related(None)
        .prefetch_related(
            Prefetch("current_version__options", queryset=Option.objects.order_by("position")),
            Prefetch(
                "domain_links",
                queryset=QuestionDomain.objects.select_related("guide", "domain", "task_statement"),
            ),
            "tags",
        )
    )


def anki_package_for_queryset(*, questions: QuerySet[Question], deck_name: str) -> bytes:
    """Return the package of the current versions of `questions` (counted before loading)."""
    count = questions.count()
    if count > MAX_ANKI_QUESTIONS:
        raise ApplicationError(
            f"An Anki deck holds at most {MAX_ANKI_QUESTIONS:,} questions and these filters "
            f"match {count:,}. Narrow the filters (guide, domain, status) and export again."
        )
    versions = []
    for question in questions_for_anki(questions):
        version = question.current_version
        if version is None:
            continue
        version.question = question  # the loaded question, so the note reads no row again
        versions.append(version)
    return anki_package(versions=versions, deck_name=deck_name)


def anki_package_for_questions(*, question_ids: Iterable[int], deck_name: str) -> bytes:
    """Return a deck of the current versions of these questions, published ones only.

    For a student's own review deck: retired, draft and unknown ids are left out, so nothing
    unpublished can reach a student. Refuses (ApplicationError) when none is left or too many.
    """
    ids = {int(pk) for pk in question_ids}
    questions = Question.objects.published().filter(pk__in=ids).order_by("key")
    return anki_package_for_queryset(questions=questions, deck_name=deck_name)
