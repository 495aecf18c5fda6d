"""Blueprints (exam templates), attempts and the items an attempt froze when it started."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from questions.models import Domain, ExamGuide, Option, Question, QuestionVersion, TaskStatement


class BlueprintQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


# Ten hours is far past any real sitting (130 minutes plus accommodations); a typo such as
# 9,999,999,999,999 minutes otherwise overflowed the deadline and made every start fail.
MAX_DURATION_MINUTES = 600


class Blueprint(models.Model):
    """An exam template: which guide, how many questions, how long, how it is scored."""

    class Mode(models.TextChoices):
        EXAM = "exam", "Exam"
        PRACTICE = "practice", "Practice"
        DRILL = "drill", "Domain drill"
        # A student's own quiz (exams.services.custom): hidden blueprints, percent correct.
        CUSTOM = "custom", "Custom quiz"

    class Feedback(models.TextChoices):
        AFTER_SUBMIT = "after_submit", "After the attempt is submitted"
        AFTER_EACH = "after_each", "Right after each answer"

    title = models.CharField(max_length=150)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    guide = models.ForeignKey(ExamGuide, on_delete=models.PROTECT, related_name="blueprints")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.EXAM)
    feedback = models.CharField(
        max_length=12, choices=Feedback.choices, default=Feedback.AFTER_SUBMIT
    )
    question_count = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    duration_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_MINUTES)],
        help_text="1 to 600 minutes. Leave empty for an untimed practice set.",
    )
    unscored_count = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(199)],
        help_text="Unscored pretest items mixed in (the candidate is not told which).",
    )
    passing_score = models.PositiveSmallIntegerField(
        default=720, validators=[MinValueValidator(100), MaxValueValidator(1000)]
    )
    cut_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("72.00"),
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Percent correct (of scored items) that maps to the passing scaled score.",
    )
    drill_domain = models.ForeignKey(
        Domain,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Domain drills draw from this domain only.",
    )
    drill_task_statement = models.ForeignKey(
        TaskStatement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Optional: a drill that draws from this task statement only (of its domain).",
    )
    ask_confidence = models.BooleanField(
        default=False,
        help_text="Ask \u201cHow sure are you?\u201d beside the options (off for exam simulation).",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BlueprintQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]
        permissions = [("manage_blueprint", "Can create and edit exam blueprints")]
        constraints = [
            models.CheckConstraint(
                condition=Q(unscored_count__lt=F("question_count")),
                name="blueprint_unscored_below_count",
            ),
            models.CheckConstraint(
                condition=~Q(mode="drill") | Q(drill_domain__isnull=False),
                name="blueprint_drill_has_domain",
            ),
            models.CheckConstraint(
                condition=Q(mode="drill") | Q(drill_task_statement__isnull=True),
                name="blueprint_task_statement_only_in_drills",
            ),
            models.CheckConstraint(
                condition=Q(passing_score__gte=100, passing_score__lte=1000),
                name="blueprint_passing_on_scale",
            ),
            models.CheckConstraint(
                condition=Q(cut_percent__gt=0, cut_percent__lt=100),
                name="blueprint_cut_percent_range",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_timed(self) -> bool:
        return bool(self.duration_minutes)


class BlueprintDomainWeight(models.Model):
    """A blueprint's own weight for a domain; without any, the guide's weights apply."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="weights")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(max_digits=5, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "domain"], name="weight_once_per_domain"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="weight_percent_range"
            ),
        ]

    def __str__(self):
        return f"{self.blueprint_id}:{self.domain_id}={self.weight}"


class AttemptQuerySet(models.QuerySet):
    def in_progress(self):
        return self.filter(state=Attempt.State.IN_PROGRESS)

    def finished(self):
        return self.exclude(state=Attempt.State.IN_PROGRESS)


class AttemptState(models.TextChoices):
    """Where an attempt stands; used as `Attempt.State` (module level so `Meta` can name it)."""

    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    EXPIRED = "expired", "Time expired (submitted automatically)"


class Attempt(models.Model):
    """One sitting of a blueprint by a student; the server owns its clock."""

    State = AttemptState

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts"
    )
    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="attempts")
    state = models.CharField(max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    accommodation_minutes = models.PositiveSmallIntegerField(default=0)
    current_position = models.PositiveSmallIntegerField(default=1)
    # Frozen from the blueprint at start so editing a blueprint never changes a past result.
    mode = models.CharField(max_length=10, choices=Blueprint.Mode.choices)
    feedback = models.CharField(max_length=12, choices=Blueprint.Feedback.choices)
    passing_score = models.PositiveSmallIntegerField()
    cut_percent = models.DecimalField(max_digits=5, decimal_places=2)
    # Results, written once by attempt_submit.
    correct_count = models.PositiveSmallIntegerField(null=True, blank=True)
    scored_count = models.PositiveSmallIntegerField(null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    scaled_score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    domain_results = models.JSONField(default=list, blank=True)
    # Frozen from the blueprint at start, like the mode and feedback.
    ask_confidence = models.BooleanField(default=False, db_default=False)
    is_demo = models.BooleanField(default=False)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        permissions = [("take_exam", "Can sit mock exams")]
        indexes = [
            models.Index(fields=["user", "state"]),
            models.Index(fields=["state", "deadline"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "blueprint"],
                condition=Q(state=AttemptState.IN_PROGRESS),
                name="one_open_attempt_per_blueprint",
                violation_error_message="You already have this exam in progress.",
            ),
            models.CheckConstraint(
                condition=(Q(state=AttemptState.IN_PROGRESS) & Q(finished_at__isnull=True))
                | (
                    ~Q(state=AttemptState.IN_PROGRESS)
                    & Q(finished_at__isnull=False)
                    & Q(scaled_score__isnull=False)
                ),
                name="attempt_finished_iff_scored",
            ),
            models.CheckConstraint(
                condition=Q(scaled_score__isnull=True)
                | Q(scaled_score__gte=100, scaled_score__lte=1000),
                name="attempt_scaled_on_scale",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.blueprint} · {self.started_at:%Y-%m-%d %H:%M}"


class Confidence(models.TextChoices):
    """How sure the student said they were of an answer ("" when not asked or not given)."""

    SURE = "sure", "Sure"
    UNSURE = "unsure", "Unsure"
    GUESS = "guess", "Guess"


class AttemptItem(models.Model):
    """A question as this attempt showed it: pinned version, domain, option order."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        QuestionVersion, on_delete=models.PROTECT, related_name="attempt_items"
    )
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="+")
    option_order = models.JSONField(help_text="Option ids in the order shown.")
    scored = models.BooleanField(default=True)
    selected = models.ManyToManyField(Option, through="ItemSelection", related_name="+")
    flagged = models.BooleanField(default=False)
    answer_seq = models.PositiveBigIntegerField(
        default=0, help_text="Newest client sequence number applied (older retries are ignored)."
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    checked = models.BooleanField(default=False, help_text="Practice: feedback was shown.")
    # The student's own strike-outs: a study aid, never read by scoring.
    eliminated = models.JSONField(
        default=list, blank=True, help_text="Option ids the student struck out."
    )
    is_correct = models.BooleanField(null=True, blank=True)
    confidence = models.CharField(
        max_length=6, choices=Confidence.choices, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="item_position_unique"),
            models.UniqueConstraint(fields=["attempt", "question"], name="item_no_repeats"),
        ]

    def __str__(self):
        return f"{self.attempt_id}#{self.position}"


class ItemSelection(models.Model):
    """One option a student has selected on one item (no comma-joined strings)."""

    item = models.ForeignKey(AttemptItem, on_delete=models.CASCADE, related_name="selections")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="selections")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "option"], name="selection_unique"),
        ]

    def __str__(self):
        return f"{self.item_id}:{self.option_id}"


class AttemptEvent(models.Model):
    """Append-only audit log of attempt events."""

    class Kind(models.TextChoices):
        START = "start", "Start"
        RESUME = "resume", "Resume"
        SAVE = "save", "Save"
        FLAG = "flag", "Flag"
        SUBMIT = "submit", "Submit"
        AUTO_SUBMIT = "auto_submit", "Automatic submit"
        REFUSED = "refused", "Refused (late)"
        REGRADE = "regrade", "Regrade"

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["attempt", "at"])]

    def __str__(self):
        return f"{self.attempt_id} {self.kind} {self.at:%H:%M:%S}"


class Sitting(models.Model):
    """A blueprint scheduled for one cohort at a time; forms are drawn before it opens."""

    cohort = models.ForeignKey("accounts.Cohort", on_delete=models.PROTECT, related_name="sittings")
    blueprint = models.ForeignKey(Blueprint, on_delete=models.PROTECT, related_name="sittings")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Optional: no start after this time."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opens_at", "pk"]
        indexes = [
            models.Index(fields=["cohort", "opens_at"]),
            models.Index(
                fields=["opens_at"],
                condition=Q(cancelled_at__isnull=True),
                name="sitting_scheduled_opens",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="sitting_closes_after_opening",
                violation_error_message="The closing time must be after the opening time.",
            ),
        ]

    def __str__(self):
        return f"{self.blueprint} · {self.cohort} · {self.opens_at:%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class PreparedForm(models.Model):
    """One member's form for a sitting, drawn ahead: the assembler's items as data.

    `items` is a list of {"question_id", "version_id", "domain_id", "option_ids", "scored"}
    (exams.services.assembly.DrawnItem); `attempt` is set when the student starts with it.
    """

    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="forms")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prepared_forms"
    )
    items = models.JSONField()
    prepared_at = models.DateTimeField()
    attempt = models.OneToOneField(
        Attempt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prepared_form",
    )

    class Meta:
        ordering = ["sitting", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["sitting", "user"], name="prepared_form_once_per_user"),
        ]

    def __str__(self):
        return f"{self.sitting_id}:{self.user_id}"


# --------------------------------------------------------------------------- key corrections


class KeyCorrection(models.Model):
    """An instructor's decision to mark finished attempts by a question's corrected key.

    The attempts keep the version and options they showed; what changes is which of *those*
    options earn the mark: per affected old version, the options at the positions the
    corrected version keys (`KeyCorrectionVersion`). The regrade runs in a Celery task and
    leaves one `AttemptRegrade` per attempt (old and new score) and one REGRADE audit event.
    """

    class Policy(models.TextChoices):
        CORRECTED = "corrected", "Mark by the corrected key"
        EITHER = "either", "Accept the old key or the corrected key"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        QuestionVersion,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version whose key is applied to the older ones.",
    )
    policy = models.CharField(max_length=10, choices=Policy.choices)
    reason = models.CharField(max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts_total = models.PositiveIntegerField(default=0)
    attempts_done = models.PositiveIntegerField(default=0)
    attempts_changed = models.PositiveIntegerField(default=0)
    items_not_regradable = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"correction {self.pk} of question {self.question_id} to v{self.version_id}"

    @property
    def reason_clause(self) -> str:
        """The reason without its final full stop (the notices end the sentence)."""
        return self.reason.rstrip(" .")

    @property
    def percent_done(self) -> int:
        if not self.attempts_total:
            return 100 if self.state == self.State.DONE else 0
        return min(100, 100 * self.attempts_done // self.attempts_total)


class KeyCorrectionVersion(models.Model):
    """The corrected key of one older version: its own options, matched by position.

    `in_force` marks the correction in force for the version (a later correction of the same
    version replaces it); the grading rule (exams.scoring) reads only rows in force.
    `regradable` is False when the versions' option counts or kinds differ: those items keep
    their old marking and are reported.
    """

    correction = models.ForeignKey(KeyCorrection, on_delete=models.CASCADE, related_name="entries")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+")
    regradable = models.BooleanField()
    accept_original = models.BooleanField(
        default=False, help_text="Policy 'either': the version's own key also earns the mark."
    )
    keyed_count = models.PositiveSmallIntegerField(default=0)
    in_force = models.BooleanField(default=True)
    options = models.ManyToManyField(Option, through="KeyCorrectionOption", related_name="+")

    class Meta:
        ordering = ["correction", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["correction", "version"], name="key_correction_version_once"
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=Q(in_force=True, regradable=True),
                name="key_correction_one_current_per_version",
            ),
        ]

    def __str__(self):
        return f"{self.correction_id}:{self.version_id}"


class KeyCorrectionOption(models.Model):
    """One option of an older version that the corrected key marks correct."""

    entry = models.ForeignKey(KeyCorrectionVersion, on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "option"], name="key_correction_option_once"),
        ]
        indexes = [models.Index(fields=["option"])]

    def __str__(self):
        return f"{self.entry_id}:{self.option_id}"


class AttemptRegrade(models.Model):
    """What a key correction did to one attempt (one row: a re-run skips the attempt)."""

    correction = models.ForeignKey(KeyCorrection, on_delete=models.PROTECT, related_name="regrades")
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="regrades")
    position = models.PositiveSmallIntegerField(
        help_text="Where the corrected question stood in this attempt (first one)."
    )
    old_scaled = models.PositiveSmallIntegerField(null=True, blank=True)
    new_scaled = models.PositiveSmallIntegerField(null=True, blank=True)
    old_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    new_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    old_passed = models.BooleanField(null=True, blank=True)
    new_passed = models.BooleanField(null=True, blank=True)
    regraded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["regraded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["correction", "attempt"], name="attempt_regrade_once_per_correction"
            ),
        ]

    def __str__(self):
        return f"{self.correction_id}:{self.attempt_id}"

    @property
    def changed(self) -> bool:
        return (self.old_scaled, self.old_passed, self.old_percent) != (
            self.new_scaled,
            self.new_passed,
            self.new_percent,
        )
