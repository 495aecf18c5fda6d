"""Content rules for questions in the bank schema (plain dicts, no Django, no database).

The same rules serve the authoring forms, the importers and the content linter, so a question
that imports cleanly is one that the bank would accept, and a publishable question is one that
the linter passes.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .reference import GUIDES, TASK_STATEMENTS

KINDS = ("multiple_choice", "multiple_response")
DIFFICULTIES = ("easy", "medium", "hard")
# The default guide (imports without a guide name its domains; practice forms use it). A
# question may belong to one guide only: publishing needs a domain in at least one guide.
DEFAULT_GUIDE = next(guide["code"] for guide in GUIDES if guide["is_default"])
# Domain names per exam code, taken from the shipped exam guides so there is one list.
DOMAINS: dict[str, tuple[str, ...]] = {
    guide["code"]: tuple(name for name, _weight in guide["domains"]) for guide in GUIDES
}
# Task statement code -> its domain name, per exam code (DVA-C02 has 13, DVA-C01 none). A
# question with a domain in a guide that has task statements needs one of them to publish.
TASK_STATEMENT_DOMAINS: dict[str, dict[str, str]] = {
    code: {number: domain for number, domain, _title, _skills in statements}
    for code, statements in TASK_STATEMENTS.items()
}
REVIEW_VERDICTS = ("accepted", "accepted_with_changes", "rejected")
REVIEWER_MAX_LENGTH = 200  # QuestionReview.reviewer
REVIEW_NOTES_MAX_LENGTH = 2000
MAX_REVIEWS = 50
MAX_ENEMIES = 50
MIN_MC_OPTIONS = 4
MIN_MR_OPTIONS = 5
KEY_MAX_LENGTH = 100  # Question.key is a SlugField(max_length=100)
TAG_MAX_LENGTH = 60  # Tag.name is a CharField(max_length=60)
# Bounds on text that is rendered as Markdown. The seed bank's longest stem is about 600
# characters; markdown-it is linear but slow on some input ("![" costs ~40 µs a pair), so these
# caps, not the 2 MB upload limit, bound the work one question can cause.
STEM_MAX_LENGTH = 5000
OPTION_MAX_LENGTH = 1000
RATIONALE_MAX_LENGTH = 2000
EXPLANATION_MAX_LENGTH = 5000
MAX_OPTIONS = 10  # the authoring form's formset allows ten rows
MAX_REFERENCES = 20
REFERENCE_MAX_LENGTH = 2000
MAX_TAGS = 30
_URL = re.compile(r"^https?://\S+$")

SELECT_WORDS = {2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE", 6: "SIX"}
_SELECT_NUMBERS = {word: n for n, word in SELECT_WORDS.items()}
_SELECT_EXACT = re.compile(r"\(Select (" + "|".join(SELECT_WORDS.values()) + r")\.\)")
# Anything that looks like an attempt at the phrase, to say what is wrong with its wording.
_SELECT_LOOSE = re.compile(r"\(\s*select\b[^)]*\)?", re.IGNORECASE)
_KEY = re.compile(r"^[-a-zA-Z0-9_]+$")
# What kind of problem a check found (see "Parse errors and rule problems" below).
PARSE, RULE = "parse", "rule"
_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def select_phrase(n: int) -> str:
    """Return the stem phrase for a multiple-response question with `n` answers."""
    try:
        return f"(Select {SELECT_WORDS[n]}.)"
    except KeyError:
        raise ValueError(f"a question can ask to select 2 to 6 options, not {n}") from None


def expected_select_count(stem: str) -> int | None:
    """Return N from the first "(Select N.)" phrase in the stem, or None if there is none."""
    match = _SELECT_EXACT.search(stem or "")
    return _SELECT_NUMBERS[match.group(1)] if match else None


def canonical_domain(code: str, name: Any) -> str | None:
    """Return the domain of exam `code` named `name` (any case) as spelt in the guide, or None."""
    if not isinstance(name, str):
        return None
    wanted = normalise_text(name)
    return next((d for d in DOMAINS.get(code, ()) if normalise_text(d) == wanted), None)


_DOMAIN_NUMBER = re.compile(r"^(?:domain\s*)?(\d{1,2})$", re.IGNORECASE)


def domain_by_name_or_number(code: str, value: str) -> str:
    """Return the domain of guide `code` given by name (any case) or by its number in the
    guide's order ("2" or "Domain 2"); "" for an empty value. ValueError names the choices."""
    value = " ".join((value or "").split())
    if not value:
        return ""
    if code not in DOMAINS:
        raise ValueError(f"unknown exam guide {code!r}; choose one of {', '.join(DOMAINS)}")
    names = DOMAINS[code]
    if match := _DOMAIN_NUMBER.match(value):
        number = int(match.group(1))
        if 1 <= number <= len(names):
            return names[number - 1]
    elif name := canonical_domain(code, value):
        return name
    choices = "; ".join(f"{n} {name}" for n, name in enumerate(names, start=1))
    raise ValueError(
        f"{code} has no domain {value[:80]!r}: give its name or its number ({choices})"
    )


def normalise_text(text: str) -> str:
    """Return text as compared for duplicates: case and runs of whitespace do not matter."""
    return " ".join((text or "").split()).casefold()


def _count_words(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _options_marked(n: int) -> str:
    verb = "is" if n == 1 else "are"
    noun = "option" if n == 1 else "options"
    return f"{_count_words(n)} {noun} {verb} marked correct"


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _option_problems(options: Any) -> tuple[list[tuple[str, str]], int, int]:
    """Return the problems with the options as (PARSE or RULE, message), how many options
    there are and how many are correct. Only two options with the same text is a rule."""
    if not isinstance(options, list):
        return [(PARSE, "the options must be a list")], 0, 0
    problems: list[tuple[str, str]] = []
    if len(options) > MAX_OPTIONS:
        # Checking each of thousands of options would only repeat this.
        message = f"a question can have at most {MAX_OPTIONS} options, found {len(options)}"
        return [(PARSE, message)], 0, 0
    correct = 0
    seen: dict[str, int] = {}
    for number, option in enumerate(options, start=1):
        if not isinstance(option, dict):
            problems.append((PARSE, f"option {number} is not an object with text and correct"))
            continue
        text = option.get("text")
        if not _is_text(text):
            problems.append((PARSE, f"option {number} has no text"))
        elif len(text) > OPTION_MAX_LENGTH:
            problems.append(
                (
                    PARSE,
                    f"option {number} is {len(text)} characters long; the most is "
                    f"{OPTION_MAX_LENGTH}",
                )
            )
        else:
            first = seen.setdefault(normalise_text(text), number)
            if first != number:
                problems.append((RULE, f"options {first} and {number} have the same text"))
        flag = option.get("correct", False)
        if not isinstance(flag, bool):
            problems.append(
                (PARSE, f"option {number}: correct must be true or false, not {flag!r}")
            )
        elif flag:
            correct += 1
        rationale = option.get("rationale")
        if rationale is not None and not isinstance(rationale, str):
            problems.append((PARSE, f"option {number}: the rationale must be text"))
        elif rationale and len(rationale) > RATIONALE_MAX_LENGTH:
            problems.append(
                (
                    PARSE,
                    f"option {number}: the rationale is {len(rationale)} characters long; "
                    f"the most is {RATIONALE_MAX_LENGTH}",
                )
            )
    return problems, len(options), correct


def _stem_problems(kind: str, stem: str, total: int, correct: int) -> list[str]:
    problems: list[str] = []
    loose = [m.group(0) for m in _SELECT_LOOSE.finditer(stem)]
    exact = _SELECT_EXACT.findall(stem)
    if kind == "multiple_choice":
        if loose:
            problems.append(
                f"a multiple-choice stem must not say {loose[0]}; only multiple-response "
                "questions state how many to select"
            )
        return problems
    if len(exact) > 1 or (exact and len(loose) > len(exact)):
        problems.append("the stem states how many to select more than once")
    expected = expected_select_count(stem)
    if expected is None:
        example = select_phrase(correct) if correct in SELECT_WORDS else "(Select TWO.)"
        if loose:
            problems.append(f"the stem says {loose[0]} but the wording must be exactly {example}")
        else:
            problems.append(f"the stem must state how many to select, e.g. {example}")
    elif correct >= 2 and expected != correct:
        problems.append(f"{_options_marked(correct)} but the stem says {select_phrase(expected)}")
    return problems


def _count_problems(kind: str, total: int, correct: int) -> list[str]:
    """Return every problem with how many options there are and how many are correct."""
    return _count_parse_problems(kind, correct) + _count_rule_problems(kind, total, correct)


def _count_parse_problems(kind: str, correct: int) -> list[str]:
    """A kind the keys cannot have: a version stores how many to select, one for multiple
    choice and two or more for multiple response (a database constraint)."""
    if kind == "multiple_choice" and correct != 1:
        return [
            f"a multiple-choice question needs exactly one correct option, "
            f"but {_options_marked(correct)}"
        ]
    if kind == "multiple_response" and correct < 2:
        return [
            f"a multiple-response question needs at least two correct options, "
            f"but {_options_marked(correct)}"
        ]
    return []


def _count_rule_problems(kind: str, total: int, correct: int) -> list[str]:
    problems: list[str] = []
    if kind == "multiple_choice":
        if total < MIN_MC_OPTIONS:
            problems.append(
                f"a multiple-choice question needs at least {MIN_MC_OPTIONS} options "
                f"(one answer and three distractors), found {total}"
            )
    else:
        if correct > max(SELECT_WORDS):
            problems.append(
                f"a multiple-response question can have at most {max(SELECT_WORDS)} correct "
                f"options, but {_options_marked(correct)}"
            )
        elif correct >= 2 and correct >= total:
            problems.append("every option is marked correct; at least one must be a distractor")
        if total < MIN_MR_OPTIONS:
            problems.append(
                f"a multiple-response question needs at least {MIN_MR_OPTIONS} options, "
                f"found {total}"
            )
    return problems


def _metadata_problems(q: dict) -> list[str]:
    problems: list[str] = []
    key = q.get("key")
    if key is not None and key != "":
        if not isinstance(key, str) or not _KEY.match(key):
            problems.append(
                f"the key {key!r} must be a slug (letters, digits, hyphens and underscores)"
            )
        elif len(key) > KEY_MAX_LENGTH:
            problems.append(f"the key is longer than {KEY_MAX_LENGTH} characters")
    domains = q.get("domains")
    if domains is not None:
        if not isinstance(domains, dict):
            problems.append('the domains must be an object such as {"DVA-C01": "Security"}')
        else:
            for code, name in domains.items():
                if code not in DOMAINS:
                    problems.append(f"unknown exam code {code!r} in domains")
                elif name in (None, ""):
                    continue
                elif canonical_domain(code, name) is None:
                    choices = ", ".join(DOMAINS[code])
                    problems.append(f"{code} has no domain {name!r} (one of: {choices})")
    problems += _task_statement_problems(q.get("task_statements"), domains)
    problems += _enemy_problems(q.get("enemies"), key)
    reviewed_on = q.get("reviewed_on")
    if reviewed_on not in (None, "") and parse_date(reviewed_on) is None:
        problems.append(f"reviewed_on must be a date such as 2026-12-02, not {reviewed_on!r}")
    problems += _review_problems(q.get("reviews"))
    difficulty = q.get("difficulty")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        problems.append(f"the difficulty must be easy, medium or hard, not {difficulty!r}")
    tags = q.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(_is_text(t) for t in tags):
            problems.append("the tags must be a list of non-empty names")
        elif len(tags) > MAX_TAGS:
            problems.append(f"the tags number {len(tags)}; the most is {MAX_TAGS}")
        elif any(len(t.strip()) > TAG_MAX_LENGTH for t in tags):
            problems.append(f"a tag is longer than {TAG_MAX_LENGTH} characters")
    explanation = q.get("explanation")
    if explanation is not None and not isinstance(explanation, str):
        problems.append("the explanation must be text")
    elif explanation and len(explanation) > EXPLANATION_MAX_LENGTH:
        problems.append(
            f"the explanation is {len(explanation)} characters long; the most is "
            f"{EXPLANATION_MAX_LENGTH}"
        )
    problems += _reference_problems(q.get("references"))
    return problems


def parse_date(value: Any) -> datetime.date | None:
    """Return an ISO date (2026-12-02) as a date, or None when it is not one."""
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _task_statement_problems(task_statements: Any, domains: Any) -> list[str]:
    """Each task statement must exist in its guide and sit in the question's domain there."""
    if task_statements in (None, {}):
        return []
    if not isinstance(task_statements, dict):
        return ['the task statements must be an object such as {"DVA-C02": "1.2"}']
    domains = domains if isinstance(domains, dict) else {}
    problems: list[str] = []
    for code, number in task_statements.items():
        if number in (None, ""):
            continue
        if code not in DOMAINS:
            problems.append(f"unknown exam code {code!r} in task_statements")
            continue
        known = TASK_STATEMENT_DOMAINS.get(code, {})
        if not isinstance(number, str) or number.strip() not in known:
            choices = ", ".join(known) or "none"
            problems.append(
                f"{code} has no task statement {number!r} (one of: {choices})"
                if known
                else f"{code} has no task statements; leave its task statement empty"
            )
            continue
        domain = canonical_domain(code, domains.get(code))
        if domain is None:
            problems.append(f"the {code} task statement {number} needs a {code} domain")
        elif known[number.strip()] != domain:
            problems.append(
                f"the {code} task statement {number} belongs to {known[number.strip()]}, "
                f"not to the {code} domain {domain}"
            )
    return problems


def _enemy_problems(enemies: Any, key: Any) -> list[str]:
    if enemies in (None, []):
        return []
    if not isinstance(enemies, list) or not all(_is_text(e) for e in enemies):
        return ["the enemies must be a list of question keys"]
    if len(enemies) > MAX_ENEMIES:
        return [f"the enemies number {len(enemies)}; the most is {MAX_ENEMIES}"]
    problems = []
    for enemy in enemies:
        if not _KEY.match(enemy.strip()) or len(enemy.strip()) > KEY_MAX_LENGTH:
            problems.append(f"the enemy {enemy[:80]!r} is not a question key")
        elif isinstance(key, str) and enemy.strip() == key:
            problems.append("a question cannot be its own enemy")
    return problems


def _review_problems(reviews: Any) -> list[str]:
    if reviews in (None, []):
        return []
    if not isinstance(reviews, list):
        return ["the reviews must be a list of objects with reviewer, verdict, notes and date"]
    if len(reviews) > MAX_REVIEWS:
        return [f"the reviews number {len(reviews)}; the most is {MAX_REVIEWS}"]
    problems = []
    for number, review in enumerate(reviews, start=1):
        if not isinstance(review, dict):
            problems.append(f"review {number} is not an object with reviewer, verdict and date")
            continue
        reviewer = review.get("reviewer")
        if not _is_text(reviewer):
            problems.append(f"review {number} names no reviewer")
        elif len(reviewer) > REVIEWER_MAX_LENGTH:
            problems.append(f"review {number}: the reviewer is longer than {REVIEWER_MAX_LENGTH}")
        if review.get("verdict") not in REVIEW_VERDICTS:
            problems.append(
                f"review {number}: the verdict must be accepted, accepted_with_changes or "
                f"rejected, not {review.get('verdict')!r}"
            )
        notes = review.get("notes")
        if notes is not None and not isinstance(notes, str):
            problems.append(f"review {number}: the notes must be text")
        elif notes and len(notes) > REVIEW_NOTES_MAX_LENGTH:
            problems.append(
                f"review {number}: the notes are longer than {REVIEW_NOTES_MAX_LENGTH} characters"
            )
        if parse_date(review.get("date")) is None:
            problems.append(
                f"review {number}: the date must be a date such as 2026-12-02, "
                f"not {review.get('date')!r}"
            )
    return problems


def _reference_problems(references: Any) -> list[str]:
    """Return what is wrong with the references, whatever the status: http(s) URLs only.

    The authoring form refuses javascript: and data: URLs; an import must not bring them in
    as a draft either, since drafts are previewed with their references as links.
    """
    if references is None:
        return []
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        return ["the references must be a list of URLs"]
    if len(references) > MAX_REFERENCES:
        return [f"the references number {len(references)}; the most is {MAX_REFERENCES}"]
    problems = []
    for number, ref in enumerate(references, start=1):
        if len(ref) > REFERENCE_MAX_LENGTH:
            problems.append(f"reference {number} is longer than {REFERENCE_MAX_LENGTH} characters")
        elif not _URL.match(ref.strip()):
            problems.append(f"reference {number} is not an http(s):// URL: {ref[:80]!r}")
    return problems


def _publish_problems(q: dict) -> list[str]:
    problems: list[str] = []
    if not _is_text(q.get("explanation")):
        problems.append("the explanation is missing")
    options = q.get("options")
    if isinstance(options, list):
        for number, option in enumerate(options, start=1):
            if isinstance(option, dict) and not _is_text(option.get("rationale")):
                problems.append(f"option {number} has no rationale")
    references = q.get("references")
    references = references if isinstance(references, list) else []
    if not any(isinstance(r, str) and re.match(r"^https://\S+$", r.strip()) for r in references):
        problems.append("at least one reference must be an https:// URL")
    domains = q.get("domains")
    domains = domains if isinstance(domains, dict) else {}
    if not any(domains.get(code) for code in DOMAINS):
        problems.append("the domain is missing: choose one in at least one exam guide")
    task_statements = q.get("task_statements")
    task_statements = task_statements if isinstance(task_statements, dict) else {}
    for code, known in TASK_STATEMENT_DOMAINS.items():
        if known and domains.get(code) and not task_statements.get(code):
            problems.append(
                f"the {code} task statement is missing (the question has a {code} domain)"
            )
    return problems


# --- Parse errors and rule problems --------------------------------------------------------
#
# One question can be wrong in two ways, and this is the one place that says which is which.
#
# A *parse error* means the text cannot be a question of this bank at all, or the database
# cannot store it: an unknown kind, no stem, options that are not a list of objects with text,
# no option (or, for multiple choice, not exactly one; for multiple response, fewer than two)
# marked correct, values of the wrong type (correct not true/false, a rationale or explanation
# that is not text), text over the length caps, more than ten options, a NUL character, a key
# that is not a slug, an unknown exam code, domain name or task statement, bad tags, enemies,
# reviews, dates, difficulties or references (a javascript: link is never stored). A file with
# a parse error is refused whole (all or nothing) unless told to keep the valid questions.
#
# A *rule problem* is content a reviewer must fix before publishing, but which a draft may
# hold: too few options (4 for multiple choice, 5 for multiple response), every option or more
# than six marked correct, two options with the same text, "(Select N.)" missing, misworded or
# wrong (or present in a multiple-choice stem), no domain, no explanation, an option without a
# rationale, no https:// reference, a DVA-C02 domain without its task statement, and the
# item-writing findings of one item (a length cue, "Which TWO", a lowercase MOST/LEAST, "all of
# the above"). An import keeps such a question as a draft marked "needs review" with these
# messages (`rule_problems`); publishing refuses it (`question_problems(for_publish=True)`).


def _checks(q: dict, *, for_publish: bool) -> list[tuple[str, str]]:
    """Return (PARSE or RULE, message) for each problem, in the order question_problems
    reports them; the publishing rules are checked only with `for_publish`."""
    if not isinstance(q, dict):
        return [(PARSE, "the question is not an object")]
    found: list[tuple[str, str]] = []
    kind = q.get("kind")
    if kind not in KINDS:
        found.append(
            (PARSE, f"the kind must be multiple_choice or multiple_response, not {kind!r}")
        )
    stem = q.get("stem")
    if not _is_text(stem):
        found.append((PARSE, "the stem is empty"))
        stem = ""
    elif len(stem) > STEM_MAX_LENGTH:
        found.append(
            (PARSE, f"the stem is {len(stem)} characters long; the most is {STEM_MAX_LENGTH}")
        )
        stem = stem[:STEM_MAX_LENGTH]
    option_problems, total, correct = _option_problems(q.get("options"))
    if kind in KINDS:
        found += [(PARSE, p) for p in _count_parse_problems(kind, correct)]
        found += [(RULE, p) for p in _count_rule_problems(kind, total, correct)]
        found += [(RULE, p) for p in _stem_problems(kind, stem, total, correct)]
    found += option_problems
    found += [(PARSE, p) for p in _metadata_problems(q)]
    if _contains_nul(q):
        found.append(
            (PARSE, "the question contains a NUL character (\\u0000), which cannot be stored")
        )
    if for_publish:
        found += [(RULE, p) for p in _publish_problems(q)]
    return found


def question_problems(q: dict, *, for_publish: bool = False) -> list[str]:
    """Return what is wrong with a question in the bank schema; an empty list means nothing.

    Without `for_publish` what the authoring form requires of any saved question is checked
    (the parse errors and the count and wording rules; a draft may lack an explanation,
    rationales, references and domains); with it, also what a published question needs.
    """
    return [message for _kind, message in _checks(q, for_publish=for_publish)]


def parse_problems(q: dict) -> list[str]:
    """Return the parse errors of a question: what refuses it whatever its status."""
    return [message for kind, message in _checks(q, for_publish=False) if kind == PARSE]


def rule_problems(q: dict) -> list[str]:
    """Return the rule problems of a question that has no parse error: what must be fixed
    before it can be published, and the item-writing findings of the item on its own.

    An empty list means the question is ready to publish; a non-empty one is what an imported
    draft stores as its "needs review" notes.
    """
    found = _checks(q, for_publish=True)
    if any(kind == PARSE for kind, _message in found):
        return []
    rules = [message for _kind, message in found]
    findings = item_writing_findings(q, published=False)
    return list(dict.fromkeys(rules + findings))


def _contains_nul(value) -> bool:
    """Tell whether any string inside a question holds a NUL (databases refuse to store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_contains_nul(v) for v in value)
    return False


# --- Item-writing rules (the linter; pure functions over the bank schema) ------------------

# Bank-level length cues. By chance the key of a four-option multiple-choice item is the longest
# option about 25 % of the time; a test-wise candidate who picks the longest option should gain
# little, so at most this share of MC items may have a key that is strictly the longest option.
MC_KEY_LONGEST_MAX_RATE = 0.35
# In multiple-response items (2 keys of 5, 3 of 6) the longest option is a key ~40 % of the time
# by chance; at most this share of MR items may have a key among their longest options.
MR_LONGEST_IS_KEY_MAX_RATE = 0.50
# Per item: a key longer than this many times the longest distractor stands out on its own.
KEY_LENGTH_RATIO_MAX = 1.5
# Near-duplicate stems, scored by rapidfuzz's token_sort_ratio (0-100) over each stem's
# scenario: its prose without fenced code blocks (many stems share a policy or a template and
# differ in what they ask) and without the final question sentence (AWS-style questions share
# it: "Which solution meets these requirements with the LEAST operational overhead?"). When
# what is left is shorter than NEAR_DUPLICATE_MIN_WORDS words, the whole prose, then the whole
# stem, is compared. Chosen on the real bank (437 items: the 158 seed items and 279 incoming
# ones, about 95,000 pairs, December 2026): the four pairs at 72 or more each test one point
# twice (the python/ folder of a Lambda layer, a GitHub OIDC role, the Lambda permission an S3
# notification needs, the SQS event source mapping's role). Below 70 the two kinds mix (a
# DynamoDB-stream and a Kinesis poison-record item, 69, test one point; two CodeDeploy EC2
# items, 68, do not), so there the authors declare enemies. The whole prose scored two
# different S3 encryption items 72 through their shared question sentence, and token_set_ratio
# gave 85 to two different API Gateway items, a short scenario's words all occurring in a
# longer one.
NEAR_DUPLICATE_MIN_SCORE = 72
NEAR_DUPLICATE_MIN_WORDS = 8

_FENCED = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_WHICH_N = re.compile(r"\bwhich\s+(two|three|four|five|six|[2-6])\b", re.IGNORECASE)
_ABOVE = re.compile(r"\b(all|none|both) of the (above|options|preceding)\b", re.IGNORECASE)
# A lowercase qualifier in the question sentence: "the most cost-effective", "least effort".
# "at least", "at most" and "most of" are quantities, "least privilege" a principle.
_LOWER_QUALIFIER = re.compile(r"(?<!\bat )\b(most|least|fewest)\b(?! of\b)(?![ -]privilege)")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def stem_prose(stem: str) -> str:
    """Return the stem without its fenced code blocks, whitespace collapsed."""
    return " ".join(_FENCED.sub(" ", stem or "").split())


def _sentences(stem: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(stem_prose(stem)) if s.strip()]


def stem_scenario(stem: str) -> str:
    """Return the stem's prose without its last sentence (the question), when it has more."""
    sentences = _sentences(stem)
    return " ".join(sentences[:-1] if len(sentences) > 1 else sentences)


def _question_sentence(stem: str) -> str:
    """Return the sentence that asks the question: the last one ending in "?", else the last."""
    sentences = _sentences(stem)
    asking = [s for s in sentences if "?" in s]
    return (asking or sentences or [""])[-1]


def _option_lengths(q: dict) -> tuple[list[int], list[int]]:
    options = [o for o in q.get("options") or [] if isinstance(o, dict)]
    keys = [len((o.get("text") or "").strip()) for o in options if o.get("correct") is True]
    distractors = [
        len((o.get("text") or "").strip()) for o in options if o.get("correct") is not True
    ]
    return keys, distractors


def key_strictly_longest(q: dict) -> bool:
    """Tell whether a multiple-choice item's key is longer than every distractor."""
    keys, distractors = _option_lengths(q)
    return bool(keys and distractors) and max(keys) > max(distractors)


def longest_is_key(q: dict) -> bool:
    """Tell whether one of an item's longest options is a key."""
    keys, distractors = _option_lengths(q)
    return bool(keys) and max(keys) >= max(distractors or [0])


def item_writing_findings(q: dict, *, published: bool = True) -> list[str]:
    """Return what breaks the item-writing rules in one question (no database, no bank)."""
    if not isinstance(q, dict) or not isinstance(q.get("options"), list):
        return []
    findings: list[str] = []
    stem = q.get("stem") if isinstance(q.get("stem"), str) else ""
    keys, distractors = _option_lengths(q)
    if keys and distractors and max(keys) > KEY_LENGTH_RATIO_MAX * max(distractors):
        findings.append(
            f"a key ({max(keys)} characters) is more than {KEY_LENGTH_RATIO_MAX:g}x the longest "
            f"distractor ({max(distractors)} characters): a length cue"
        )
    if match := _WHICH_N.search(stem_prose(stem)):
        findings.append(
            f'the stem says "{match.group(0)}"; ask "Which …" and let "(Select N.)" give the count'
        )
    question = _question_sentence(stem)
    if match := _LOWER_QUALIFIER.search(question):
        findings.append(
            f'the qualifier "{match.group(1)}" must be in capitals ({match.group(1).upper()}), '
            "as AWS writes it"
        )
    for number, option in enumerate(q["options"], start=1):
        text = option.get("text") if isinstance(option, dict) else None
        if isinstance(text, str) and (match := _ABOVE.search(text)):
            findings.append(f'option {number} says "{match.group(0)}"; write a real option')
    if published and parse_date(q.get("reviewed_on")) is None:
        findings.append("a published item needs reviewed_on (the date a second reader checked it)")
    return findings


def near_duplicate_stems(questions: list[dict]) -> list[tuple[int, int, float]]:
    """Return (index, index, score) for stem pairs at or above NEAR_DUPLICATE_MIN_SCORE that
    are not declared enemies (a pair declared on either side counts)."""
    # Imported here: the rest of this module stays importable by plain scripts without it.
    from rapidfuzz import fuzz, process, utils

    texts = []
    for q in questions:
        stem = q.get("stem") if isinstance(q, dict) and isinstance(q.get("stem"), str) else ""
        texts.append(
            next(
                (
                    t
                    for t in (stem_scenario(stem), stem_prose(stem))
                    if len(t.split()) >= NEAR_DUPLICATE_MIN_WORDS
                ),
                stem,
            )
        )
    if len(texts) < 2:
        return []
    scores = process.cdist(
        texts,
        texts,
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        score_cutoff=NEAR_DUPLICATE_MIN_SCORE,
        workers=-1,
    )
    enemies: set[frozenset] = set()
    for q in questions:
        if isinstance(q, dict) and isinstance(q.get("key"), str):
            for other in q.get("enemies") or []:
                if isinstance(other, str):
                    enemies.add(frozenset((q["key"], other.strip())))
    pairs = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            score = float(scores[i][j])
            if score < NEAR_DUPLICATE_MIN_SCORE or not texts[i] or not texts[j]:
                continue
            a, b = questions[i].get("key"), questions[j].get("key")
            if a and b and frozenset((a, b)) in enemies:
                continue
            pairs.append((i, j, score))
    return pairs


@dataclass(frozen=True)
class BankRates:
    """The bank-level length cues: how often the longest option gives the answer away."""

    multiple_choice: int
    key_strictly_longest: int
    multiple_response: int
    longest_is_key: int

    @property
    def key_strictly_longest_rate(self) -> float:
        return self.key_strictly_longest / self.multiple_choice if self.multiple_choice else 0.0

    @property
    def longest_is_key_rate(self) -> float:
        return self.longest_is_key / self.multiple_response if self.multiple_response else 0.0

    def lines(self) -> list[str]:
        """Return the rates as the linter prints them."""
        return [
            f"multiple choice: key strictly the longest option in {self.key_strictly_longest} "
            f"of {self.multiple_choice} ({self.key_strictly_longest_rate:.1%}; at most "
            f"{MC_KEY_LONGEST_MAX_RATE:.0%})",
            f"multiple response: a longest option is a key in {self.longest_is_key} of "
            f"{self.multiple_response} ({self.longest_is_key_rate:.1%}; at most "
            f"{MR_LONGEST_IS_KEY_MAX_RATE:.0%})",
        ]

    def breaches(self) -> list[str]:
        """Return a problem per rate over its limit."""
        problems = []
        if self.key_strictly_longest_rate > MC_KEY_LONGEST_MAX_RATE:
            problems.append(f"bank: {self.lines()[0]}: over the limit")
        if self.longest_is_key_rate > MR_LONGEST_IS_KEY_MAX_RATE:
            problems.append(f"bank: {self.lines()[1]}: over the limit")
        return problems


def bank_rates(questions: Iterable[dict]) -> BankRates:
    """Count the length cues over a bank's valid questions."""
    mc = mc_longest = mr = mr_longest = 0
    for q in questions:
        if not isinstance(q, dict) or not isinstance(q.get("options"), list):
            continue
        if q.get("kind") == "multiple_choice":
            mc += 1
            mc_longest += key_strictly_longest(q)
        elif q.get("kind") == "multiple_response":
            mr += 1
            mr_longest += longest_is_key(q)
    return BankRates(
        multiple_choice=mc,
        key_strictly_longest=mc_longest,
        multiple_response=mr,
        longest_is_key=mr_longest,
    )


@dataclass(frozen=True)
class BankLint:
    """What the linter found in a bank: problems (each starting with the key) and the rates."""

    problems: list[str]
    rates: BankRates

    @property
    def ok(self) -> bool:
        return not self.problems


def lint_bank(questions: Iterable[dict], *, item_writing: bool = True) -> BankLint:
    """Lint a bank: each question as for publishing, duplicates and, with `item_writing`, the
    item-writing rules (per item, near-duplicate stems and the bank-level length-cue rates).

    Each message starts with the question's key, or "question N" (1-based) when it has none,
    or "bank:" for a rate over its limit. Every question of a bank file counts as published.
    """
    questions = list(questions)
    labels: list[str] = []
    problems: list[str] = []
    first_stem: dict[str, str] = {}
    first_key: dict[str, str] = {}
    for number, q in enumerate(questions, start=1):
        key = q.get("key") if isinstance(q, dict) else None
        label = key if isinstance(key, str) and key else f"question {number}"
        labels.append(label)
        problems += [f"{label}: {p}" for p in question_problems(q, for_publish=True)]
        if item_writing:
            problems += [f"{label}: {p}" for p in item_writing_findings(q)]
        if not isinstance(q, dict):
            continue
        if isinstance(key, str) and key:
            if key in first_key:
                problems.append(f"{label}: the key is also used by {first_key[key]}")
            else:
                first_key[key] = f"question {number}"
        stem = normalise_text(q.get("stem") if isinstance(q.get("stem"), str) else "")
        if stem:
            if stem in first_stem:
                problems.append(f"{label}: the same stem as {first_stem[stem]}")
            else:
                first_stem[stem] = label
    rates = bank_rates(questions)
    if item_writing:
        for i, j, score in near_duplicate_stems(
            [q if isinstance(q, dict) else {} for q in questions]
        ):
            problems.append(
                f"{labels[j]}: the stem is a near-duplicate of {labels[i]} (score {score:.0f}); "
                "rewrite one or declare them enemies"
            )
        problems += rates.breaches()
    return BankLint(problems=problems, rates=rates)
