"""Exam guides, their domains, and the versioned question bank."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExamGuideQuerySet(models.QuerySet):
    def default(self) -> "ExamGuide | None":
        """Return the guide marked `is_default` (at most one, a constraint says), or None."""
        return self.filter(is_default=True).first()


class ExamGuide(models.Model):
    """An exam specification (e.g. DVA-C01): length, time, scoring and its domains."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    question_count = models.PositiveSmallIntegerField()
    duration_minutes = models.PositiveSmallIntegerField()
    unscored_count = models.PositiveSmallIntegerField(default=0)
    passing_score = models.PositiveSmallIntegerField(default=720)
    is_default = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ExamGuideQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_guide"
            ),
            models.CheckConstraint(
                condition=Q(unscored_count__lt=models.F("question_count")),
                name="guide_unscored_below_count",
            ),
            models.CheckConstraint(
                condition=Q(passing_score__gte=100, passing_score__lte=1000),
                name="guide_passing_score_on_scale",
            ),
        ]

    def __str__(self):
        return self.code


class Domain(models.Model):
    """A content domain of an exam guide with its weight in percent."""

    guide = models.ForeignKey(ExamGuide, on_delete=models.PROTECT, related_name="domains")
    name = models.CharField(max_length=120)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["guide__position", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "name"], name="domain_unique_per_guide"),
            models.CheckConstraint(
                condition=Q(weight__gt=0, weight__lte=100), name="domain_weight_percent"
            ),
        ]

    def __str__(self):
        return f"{self.guide.code} · {self.name}"


class TaskStatement(models.Model):
    """A task statement of an exam guide (e.g. DVA-C02 1.2), inside one of its domains."""

    guide = models.ForeignKey(ExamGuide, on_delete=models.PROTECT, related_name="task_statements")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="task_statements")
    code = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    skills = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["guide__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "code"], name="task_statement_unique_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class Tag(models.Model):
    """An AWS service tag (EC2, S3, IAM, Lambda, ...)."""

    name = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class QuestionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Question.Status.PUBLISHED)

    def in_domain(self, domain):
        return self.filter(domain_links__domain=domain)

    def in_guide(self, guide):
        return self.filter(domain_links__guide=guide)

    def with_current(self):
        return self.select_related("current_version", "author").prefetch_related("tags")


class Question(models.Model):
    """A bank entry; its content lives in immutable versions, `current_version` the newest."""

    class Kind(models.TextChoices):
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
        MULTIPLE_RESPONSE = "multiple_response", "Multiple response"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"

    key = models.SlugField(max_length=100, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    difficulty = models.CharField(
        max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authored_questions",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="questions")
    current_version = models.OneToOneField(
        "QuestionVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_on = models.DateField(
        null=True, blank=True, help_text="When a second reader last checked the item."
    )
    # A pretest item collects responses on unscored slots and never counts in any score.
    is_pretest = models.BooleanField(
        default=False,
        help_text="Pretest: shown only in unscored slots and never scored, until promoted.",
    )
    # Items that test the same point or give each other away: never in one form together.
    enemies = models.ManyToManyField("self", symmetrical=True, blank=True)
    # Set by the services from the content rules (content_rules.rule_problems) whenever the
    # content is saved: an imported draft that breaks a rule keeps the messages here until an
    # edit makes it pass. Stored so the bank list can filter on it.
    needs_review = models.BooleanField(default=False)
    review_notes = models.JSONField(default=list, blank=True)
    # Denormalised from the current version so lists can filter without joining versions.
    kind = models.CharField(max_length=20, choices=Kind.choices)
    stem_search = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "key"]
        permissions = [
            ("author_question", "Can write and edit questions"),
            ("publish_question", "Can publish and retire questions"),
            ("import_question", "Can import and export questions"),
        ]
        indexes = [
            models.Index(fields=["status", "kind"]),
            models.Index(
                fields=["needs_review"],
                condition=Q(needs_review=True),
                name="question_needs_review",
            ),
        ]

    def __str__(self):
        return self.key


class QuestionDomain(models.Model):
    """The domain a question belongs to in one exam guide (at most one per guide)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="domain_links")
    guide = models.ForeignKey(ExamGuide, on_delete=models.PROTECT)
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="question_links")
    task_statement = models.ForeignKey(
        TaskStatement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="question_links",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "guide"], name="one_domain_per_guide"),
        ]

    def __str__(self):
        return f"{self.question_id} → {self.domain_id}"


class QuestionVersion(models.Model):
    """An immutable snapshot of a question's content; attempts pin the version they showed."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Question.Kind.choices)
    stem = models.TextField()
    stem_html = models.TextField()
    explanation = models.TextField(blank=True)
    explanation_html = models.TextField(blank=True)
    references = models.JSONField(default=list, blank=True)
    select_count = models.PositiveSmallIntegerField(
        help_text="How many options the candidate must choose."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    change_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["question", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="version_number_unique"),
            models.CheckConstraint(
                condition=(Q(kind="multiple_choice") & Q(select_count=1))
                | (Q(kind="multiple_response") & Q(select_count__gte=2)),
                name="version_select_count_fits_kind",
            ),
        ]

    def __str__(self):
        return f"{self.question.key} v{self.number}"


class Option(models.Model):
    """An answer option of one question version (immutable with it)."""

    version = models.ForeignKey(QuestionVersion, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    text_html = models.TextField()
    is_correct = models.BooleanField(default=False)
    rationale = models.TextField(blank=True)
    rationale_html = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="option_position_unique"),
        ]

    def __str__(self):
        return self.text[:60]


class QuestionReview(models.Model):
    """A second reader's verdict on a question (shown with its versions in the history)."""

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        ACCEPTED_WITH_CHANGES = "accepted_with_changes", "Accepted with changes"
        REJECTED = "rejected", "Rejected"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(
        QuestionVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    reviewer = models.CharField(max_length=200)
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    notes = models.TextField(blank=True)
    reviewed_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "-reviewed_on", "-created_at"]

    def __str__(self):
        return f"{self.question_id}: {self.verdict} by {self.reviewer} on {self.reviewed_on}"


class QuestionEvent(models.Model):
    """Append-only audit of a question's status changes that are not content (e.g. promotion)."""

    class Kind(models.TextChoices):
        PROMOTED = "promoted", "Promoted from pretest to scored"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "-at", "-pk"]

    def __str__(self):
        return f"{self.question_id} {self.kind} {self.at:%Y-%m-%d}"


class QuestionReport(models.Model):
    """A student's report of a problem with a question, and the instructor's answer to it."""

    class Category(models.TextChoices):
        KEY_WRONG = "key_wrong", "The key is wrong"
        TWO_ANSWERS = "two_answers", "Two answers are defensible"
        OUTDATED = "outdated", "Outdated (AWS has changed)"
        UNCLEAR = "unclear", "Unclear wording"
        TYPO = "typo", "Typo"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    TEXT_MAX = 1000

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="question_reports"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reports")
    # The version the student saw (their attempt pins it); the bank may have moved on since.
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="reports")
    category = models.CharField(max_length=12, choices=Category.choices)
    text = models.TextField(max_length=TEXT_MAX, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(max_length=TEXT_MAX, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the reporter was last shown the answer (None: a reply they have not seen yet).
    reporter_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "question"],
                condition=Q(status="open"),
                name="one_open_report_per_reporter",
                violation_error_message="You already have an open report on this question.",
            ),
            models.CheckConstraint(
                condition=~Q(category="other") | ~Q(text=""),
                name="report_other_needs_text",
                violation_error_message="Say what the problem is.",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reply=""),
                name="report_rejection_needs_reply",
                violation_error_message="A rejection needs a reply the student will read.",
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(resolved_at__isnull=True))
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="report_resolved_iff_closed",
            ),
        ]
        indexes = [models.Index(fields=["status", "question"])]

    def __str__(self):
        return f"{self.question_id}: {self.category} ({self.status})"


class ImportMapping(models.Model):
    """A remembered field mapping for foreign JSON or CSV files from one source.

    `fields` maps each target of the bank schema to the file's field name(s) (see
    questions/formats/mapping.py); `source_fields` are the file's fields when it was saved, so
    a later file with the same fields is recognised even under another name.
    """

    class Shape(models.TextChoices):
        JSON = "json", "JSON"
        CSV = "csv", "CSV"

    name = models.CharField(max_length=100, unique=True)
    shape = models.CharField(max_length=4, choices=Shape.choices)
    fields = models.JSONField(default=dict)
    source_fields = models.JSONField(default=list)
    one_based = models.BooleanField(null=True, blank=True)
    guide = models.CharField(max_length=20)
    # The guide's domain for questions that name none (or one the guide does not have).
    default_domain = models.CharField(max_length=100, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ImportUpload(models.Model):
    """A foreign file waiting on the mapping step: its text stays on the server, never in the
    page, between the upload and the import (only its owner may read it; it expires)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)
    shape = models.CharField(max_length=4, choices=ImportMapping.Shape.choices)
    text = models.TextField()
    # The first step's choices (status, import the valid ones only), as defaults for the second.
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self):
        return f"{self.name} ({self.owner_id})"
