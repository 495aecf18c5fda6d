"""Authoring and import forms."""

from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from django import forms

from .content_rules import (
    EXPLANATION_MAX_LENGTH,
    OPTION_MAX_LENGTH,
    RATIONALE_MAX_LENGTH,
    STEM_MAX_LENGTH,
)
from .formats import FORMATS
from .formats.qti_safe import is_zip
from .models import ExamGuide, Question

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(choices=Question.Kind.choices)
    stem = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=STEM_MAX_LENGTH,
        help_text='Markdown. Multiple response stems end with the count, e.g. "(Select TWO.)". '
        "Use fenced code blocks for policies and CLI lines.",
    )
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=EXPLANATION_MAX_LENGTH,
        required=False,
        help_text="Required to publish: why the key is right.",
    )
    references = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="AWS documentation URLs, one per line (at least one to publish).",
    )
    tags = forms.CharField(required=False, help_text="Services, comma-separated: S3, IAM, Lambda")
    difficulty = forms.ChoiceField(
        choices=Question.Difficulty.choices, initial=Question.Difficulty.MEDIUM
    )
    reviewed_on = forms.DateField(
        required=False,
        label="Reviewed on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When a second reader last checked the key, currency and cueing.",
    )
    enemies = forms.CharField(
        required=False,
        max_length=2000,
        label="Enemies",
        help_text="Keys of questions that must never share a form with this one, "
        "comma-separated (they test the same point or give each other away).",
    )
    change_note = forms.CharField(
        required=False, max_length=200, help_text="Optional: what you changed and why."
    )

    def __init__(self, *args, publishing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # A draft may be saved without a domain (it is marked as needing review); a published
        # question, or one being published, needs one.
        self.publishing = publishing
        self.guides = list(ExamGuide.objects.prefetch_related("domains", "task_statements__domain"))
        for guide in self.guides:
            self.fields[f"domain_{guide.code}"] = forms.ChoiceField(
                label=f"{guide.code} domain",
                choices=[("", "—")]
                + [(d.name, f"{d.name} ({d.weight:g}%)") for d in guide.domains.all()],
                required=False,
                help_text="Required to publish: a domain in at least one guide.",
            )
            statements = list(guide.task_statements.all())
            if statements:
                # Grouped by domain; the service checks that it belongs to the chosen domain.
                groups: dict[str, list] = {}
                for t in statements:
                    groups.setdefault(t.domain.name, []).append((t.code, f"{t.code} {t.title}"))
                self.fields[f"task_statement_{guide.code}"] = forms.ChoiceField(
                    label=f"{guide.code} task statement",
                    choices=[("", "—"), *groups.items()],
                    required=False,
                    help_text=f"Required to publish with a {guide.code} domain; it must belong "
                    "to that domain.",
                )
        # Show each task statement right after its guide's domain.
        order = ["kind", "stem", "explanation", "references", "tags", "difficulty"]
        for guide in self.guides:
            order += [f"domain_{guide.code}", f"task_statement_{guide.code}"]
        order += ["reviewed_on", "enemies", "change_note"]
        self.order_fields(order)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_references(self):
        refs = [line.strip() for line in self.cleaned_data["references"].splitlines()]
        refs = [r for r in refs if r]
        for ref in refs:
            if not ref.startswith("https://"):
                raise forms.ValidationError(f"Not an https URL: {ref}")
        return refs

    def clean_tags(self):
        return sorted({t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()})

    def clean_enemies(self) -> list[str]:
        keys = [k.strip() for k in re.split(r"[,;\s]+", self.cleaned_data["enemies"]) if k.strip()]
        bad = [k for k in keys if not re.fullmatch(r"[-a-zA-Z0-9_]{1,100}", k)]
        if bad:
            raise forms.ValidationError(f"Not a question key: {bad[0][:80]}")
        return list(dict.fromkeys(keys))

    def clean(self):
        data = super().clean()
        if self.publishing and not any(data.get(f"domain_{g.code}") for g in self.guides):
            first = f"domain_{self.guides[0].code}" if self.guides else None
            self.add_error(first, "Choose a domain in at least one exam guide to publish.")
        return data

    def task_statement_values(self) -> dict:
        return {
            g.code: self.cleaned_data.get(f"task_statement_{g.code}")
            for g in self.guides
            if self.cleaned_data.get(f"task_statement_{g.code}")
        }

    def domain_values(self) -> dict:
        return {
            g.code: self.cleaned_data.get(f"domain_{g.code}")
            for g in self.guides
            if self.cleaned_data.get(f"domain_{g.code}")
        }

    @classmethod
    def initial_from(cls, data: dict) -> dict:
        initial = {k: data.get(k) for k in ("kind", "stem", "explanation", "difficulty")}
        initial["references"] = "\n".join(data.get("references") or [])
        initial["tags"] = ", ".join(data.get("tags") or [])
        for code, name in (data.get("domains") or {}).items():
            initial[f"domain_{code}"] = name
        for code, number in (data.get("task_statements") or {}).items():
            initial[f"task_statement_{code}"] = number
        initial["reviewed_on"] = data.get("reviewed_on")
        initial["enemies"] = ", ".join(data.get("enemies") or [])
        return initial


class OptionForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 1}), max_length=OPTION_MAX_LENGTH, label="Option text"
    )
    correct = forms.BooleanField(required=False, label="Correct")
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 1}),
        max_length=RATIONALE_MAX_LENGTH,
        required=False,
        label="Why it is right or wrong",
    )


def option_formset(data=None, options: list[dict] | None = None) -> forms.BaseFormSet:
    """Return the options formset: existing options plus blank rows (blank rows are ignored)."""
    options = options or []
    extra = max(5 - len(options), 1)
    formset_class = forms.formset_factory(
        OptionForm, extra=extra, can_delete=True, max_num=10, validate_max=True
    )
    return formset_class(data, initial=options, prefix="options")


def used_option_forms(formset) -> list[forms.Form]:
    """Return the option rows that count: filled in and not removed (blank rows are ignored)."""
    return [
        f
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("text")
    ]


def options_from(formset) -> list[dict]:
    return [
        {
            "text": f.cleaned_data["text"],
            "correct": f.cleaned_data.get("correct", False),
            "rationale": f.cleaned_data.get("rationale", ""),
        }
        for f in used_option_forms(formset)
    ]


PUBLISH_NEEDS = (
    "Publishing needs an explanation, a rationale for every option, at least one https:// "
    "reference, a domain in at least one guide and, with a DVA-C02 domain, its task statement."
)

# The content rules speak of options by their number among the rows that count.
_OPTION_NUMBER = re.compile(r"^options? (\d+)(?: and (\d+))?\b(.*)$")
_FIELD_PREFIXES = (
    ("the stem", "stem"),
    ("a multiple-choice stem", "stem"),
    ("the explanation", "explanation"),
    ("reference", "references"),
    ("at least one reference", "references"),
    ("the references", "references"),
    ("the dva-c01 domain", "domain_DVA-C01"),
    ("the domain is missing", "domain_DVA-C01"),
    ("the dva-c02 task statement", "task_statement_DVA-C02"),
    ("dva-c02 has no task statement", "task_statement_DVA-C02"),
    ("the task statements", "task_statement_DVA-C02"),
    ("a domain in at least one", "domain_DVA-C01"),
    ("the enemies", "enemies"),
    ("the enemy", "enemies"),
    ("no question has the key", "enemies"),
    ("a question cannot be its own enemy", "enemies"),
    ("reviewed_on", "reviewed_on"),
    ("dva-c01 has no domain", "domain_DVA-C01"),
    ("dva-c02 has no domain", "domain_DVA-C02"),
    ("a dva-c01 domain", "domain_DVA-C01"),
    ("the tags", "tags"),
    ("a tag", "tags"),
    ("the difficulty", "difficulty"),
    ("the kind", "kind"),
)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def attach_problems(form, formset, problems: list[str]) -> tuple[list[str], list[str]]:
    """Put the service's content problems on the fields they concern.

    Return what belongs to no single field: problems about the options as a whole (how many,
    how many correct), and any other problem.
    """
    rows = used_option_forms(formset)
    about_options, other = [], []
    for problem in problems:
        lowered = problem.lower()
        match = _OPTION_NUMBER.match(lowered)
        number = int(match.group(2) or match.group(1)) if match else 0
        if 0 < number <= len(rows):
            field = "rationale" if "rationale" in match.group(3) else "text"
            rows[number - 1].add_error(field, _sentence(problem))
            continue
        field = next((f for prefix, f in _FIELD_PREFIXES if lowered.startswith(prefix)), None)
        if field in form.fields:
            form.add_error(field, _sentence(problem))
        elif "option" in lowered or "correct" in lowered:
            about_options.append(_sentence(problem))
        else:
            other.append(_sentence(problem))
    return about_options, other


def error_summary(
    form, formset, option_problems: list[str], other_problems: list[str]
) -> list[tuple[str | None, str]]:
    """Return every error on the page as (id of the element to fix or None, message).

    The order is the page's: the question's fields, then the options.
    """
    summary = [(None, message) for message in [*form.non_field_errors(), *other_problems]]
    summary += [
        (form[name].auto_id, message)
        for name in form.fields
        for message in form.errors.get(name, [])
    ]
    summary += [
        ("option-problems", message) for message in [*option_problems, *formset.non_form_errors()]
    ]
    for row in formset.forms:
        summary += [
            (row[name].auto_id, message)
            for name in row.fields
            for message in row.errors.get(name, [])
        ]
    return summary


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="Up to 2 MB. JSON, CSV, GIFT, Aiken, Moodle XML, or QTI (.zip package or .xml)."
    )
    raw: bytes | None = None  # the upload's bytes when it is a zip (a QTI package)
    format = forms.ChoiceField(
        choices=[("", "Detect from the file")] + [(k, v.label) for k, v in FORMATS.items()],
        required=False,
    )
    default_domain = forms.ChoiceField(
        required=False,
        label="DVA-C01 domain for questions that do not name one",
    )
    status = forms.ChoiceField(
        choices=[
            (Question.Status.DRAFT, "Draft"),
            (Question.Status.IN_REVIEW, "In review"),
            (Question.Status.PUBLISHED, "Published"),
        ],
        initial=Question.Status.DRAFT,
        label="Import as",
        help_text="A question that breaks a content rule (e.g. three options, no domain) is "
        "imported as a draft that needs review, with the reasons.",
    )
    import_valid_only = forms.BooleanField(
        required=False,
        label="Import the valid ones and skip the rest",
        help_text="By default nothing is imported if any question has an error.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        guide = ExamGuide.objects.prefetch_related("domains").default()
        self.fields["default_domain"].choices = [("", "—")] + (
            # Numbered in guide order, as `import_questions --domain 2` takes them.
            [(d.name, f"{n}. {d.name}") for n, d in enumerate(guide.domains.all(), start=1)]
            if guide
            else []
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB; split it into parts.")
        raw = upload.read()
        # A zip (a QTI package) is kept as bytes for importing.file_import(raw=...).
        self.raw = raw if is_zip(raw) else None
        if self.raw is not None:
            return upload.name, ""
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text.") from exc
        if "\x00" in text:
            raise forms.ValidationError("The file contains NUL characters; it is not a text file.")
        return upload.name, text


TARGET_LABELS = {
    "stem": ("Question text (stem)", "Required."),
    "options": (
        "Options",
        "Required: one field holding the list of options, or one field per option (in order).",
    ),
    "correct": (
        "Correct answer(s)",
        "Indices, letters such as A or A,C, or the text of the correct options.",
    ),
    "explanation": ("Explanation", ""),
    "domain": ("Domain", "Matched to the guide's domain names; unmatched values are left empty."),
    "rationales": ("Rationale per option", "One list field, or one field per option."),
    "references": ("References (links)", ""),
    "tags": ("Tags", ""),
    "key": ("Key (id)", "Numeric ids are prefixed with the source name."),
    "difficulty": ("Difficulty", "easy, medium or hard."),
}


class ImportMappingForm(forms.Form):
    """The mapping step for a foreign JSON or CSV file: which field feeds each part of a
    question, the index base, the guide, and the source name the mapping is remembered by."""

    source = forms.CharField(
        max_length=100,
        label="Source name",
        help_text="The mapping is remembered under this name for the next file from the source.",
    )
    indices = forms.ChoiceField(
        choices=[
            ("zero", "Zero-based: 0 is the first option"),
            ("one", "One-based: 1 is the first option"),
        ],
        widget=forms.RadioSelect,
        required=False,
        label="Numbers in the correct answers count from",
    )
    guide = forms.ChoiceField(label="Match domains in the guide")
    default_domain = forms.ChoiceField(
        required=False,
        label="Domain for questions without one",
        help_text="Used when a question names no domain or one the guide does not have.",
    )
    status = forms.ChoiceField(
        choices=[
            (Question.Status.DRAFT, "Draft"),
            (Question.Status.IN_REVIEW, "In review"),
            (Question.Status.PUBLISHED, "Published"),
        ],
        initial=Question.Status.DRAFT,
        label="Import as",
    )
    import_valid_only = forms.BooleanField(
        required=False,
        label="Import the valid ones and skip the rest",
        help_text="By default nothing is imported if any question has an error.",
    )

    def __init__(self, *args, source, **kwargs):
        from .formats import mapping as mapped

        super().__init__(*args, **kwargs)
        self.source = source
        choices = [(name, name) for name in source.fields]
        fields = {}
        for target in mapped.TARGETS:
            label, help_text = TARGET_LABELS[target]
            if target in mapped.MULTI_TARGETS:
                fields[target] = forms.MultipleChoiceField(
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                    label=label,
                    help_text=help_text,
                )
            else:
                fields[target] = forms.ChoiceField(
                    choices=[("", "— not in the file —"), *choices],
                    required=False,
                    label=label,
                    help_text=help_text,
                )
        # The targets first, in the schema's order, then the other choices.
        self.fields = {**fields, **self.fields}
        self.fields["guide"].choices = [(code, code) for code in mapped.DOMAINS]
        names = dict.fromkeys(name for names in mapped.DOMAINS.values() for name in names)
        self.fields["default_domain"].choices = [("", "— none —")] + [(n, n) for n in names]
        self.fields["source"].widget.attrs["list"] = "remembered-sources"
        self.mapping = None
        self.outcome = None  # the import's FileImport, once tried

    @staticmethod
    def initial_for(mapping, *, source_name: str, options: dict | None = None) -> dict:
        """The form's initial values for a mapping (and the first step's choices)."""
        initial = {
            target: (names if len(names) > 1 or target in ("options", "rationales") else names[0])
            for target, names in mapping.fields.items()
            if names
        }
        initial.update(
            source=source_name,
            indices={True: "one", False: "zero"}.get(mapping.one_based, ""),
            guide=mapping.guide,
            default_domain=mapping.default_domain,
            **(options or {}),
        )
        return initial

    def clean(self):
        from .formats import mapping as mapped

        data = super().clean()
        order = {name: position for position, name in enumerate(self.source.fields)}
        fields = {}
        for target in mapped.TARGETS:
            value = data.get(target)
            names = value if isinstance(value, list) else ([value] if value else [])
            if names:
                fields[target] = sorted(names, key=order.__getitem__)
        indices = data.get("indices")
        mapping = mapped.Mapping(
            fields=fields,
            one_based=None if not indices else indices == "one",
            guide=data.get("guide") or mapped.DEFAULT_GUIDE,
            default_domain=data.get("default_domain") or "",
        )
        if mapping.default_domain and mapping.default_domain not in mapped.DOMAINS.get(
            mapping.guide, ()
        ):
            self.add_error(
                "default_domain", f"{mapping.default_domain} is not a {mapping.guide} domain."
            )
            mapping.default_domain = ""
        for target, problems in mapped.validate(mapping, self.source).items():
            for problem in problems:
                self.add_error(target if target in self.fields else None, problem)
        self.mapping = mapping
        return data
