"""Precomputed analytics. Every row here can be rebuilt from the raw answers."""

from django.conf import settings
from django.db import models

from exams.models import Attempt, Blueprint
from questions.models import Domain, Question, QuestionVersion


class AttemptDomainResult(models.Model):
    """Scored items and correct answers of one submitted attempt in one domain."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="domain_rows")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    correct = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()

    class Meta:
        permissions = [("view_cohort_reports", "Can view cohort reports")]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "domain"], name="one_row_per_attempt_domain"
            ),
            models.CheckConstraint(
                condition=models.Q(correct__lte=models.F("total")), name="domain_correct_le_total"
            ),
        ]

    def __str__(self):
        return f"{self.attempt_id}/{self.domain_id}: {self.correct}/{self.total}"


class StudentDomainStanding(models.Model):
    """A student's standing in one domain over all their submitted attempts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="domain_standings"
    )
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField()
    items = models.PositiveIntegerField()
    correct = models.PositiveIntegerField()
    last_attempt_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "domain"], name="one_standing_per_domain"),
        ]

    def __str__(self):
        return f"{self.user_id}/{self.domain_id}: {self.correct}/{self.items}"

    @property
    def percent(self) -> float | None:
        return 100 * self.correct / self.items if self.items else None


class BlueprintStatistics(models.Model):
    """Test-level statistics of a blueprint (Moodle's quiz statistics definitions)."""

    blueprint = models.OneToOneField(Blueprint, on_delete=models.CASCADE, related_name="stats")
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_id = models.BigIntegerField(null=True, blank=True)
    mean = models.FloatField(null=True)
    median = models.FloatField(null=True)
    sd = models.FloatField(null=True)
    skewness = models.FloatField(null=True)
    kurtosis = models.FloatField(null=True)
    alpha = models.FloatField(null=True)
    error_ratio = models.FloatField(null=True)
    standard_error = models.FloatField(null=True)
    items_in_alpha = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"stats {self.blueprint_id}"


class ItemStatistic(models.Model):
    """Item analysis of one question within one blueprint."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="item_stats")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    attempts = models.PositiveIntegerField()
    facility = models.FloatField(null=True)
    sd = models.FloatField(null=True)
    random_guess = models.FloatField(null=True)
    intended_weight = models.FloatField(null=True)
    effective_weight = models.FloatField(null=True)
    discrimination = models.FloatField(null=True)
    efficiency = models.FloatField(null=True)
    flags = models.JSONField(default=list)
    option_counts = models.JSONField(default=dict, help_text="option id → times chosen")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blueprint", "question"], name="one_stat_per_item"),
        ]
        permissions = [("view_item_analysis", "Can view item statistics")]

    def __str__(self):
        return f"{self.blueprint_id}/{self.question_id}"


class AnalyticsRun(models.Model):
    """A recompute the instructor asked for (or the nightly one), with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    blueprint = models.ForeignKey(
        Blueprint, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"run {self.pk} {self.status}"


class CalibrationRun(models.Model):
    """One IRT calibration of the bank (nightly or asked for), linked to the previous run's scale.

    θ on this run's own scale maps onto the previous run's as θ_old = link_A·θ + link_B; the
    stored item parameters are already on the linked (stable) scale.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts_used = models.PositiveIntegerField(default=0)
    responses_used = models.PositiveIntegerField(default=0)
    items_calibrated = models.PositiveIntegerField(default=0)
    loglik = models.FloatField(null=True, blank=True)
    iterations = models.PositiveIntegerField(null=True, blank=True)
    converged = models.BooleanField(null=True, blank=True)
    fit = models.JSONField(default=dict, blank=True)
    link_A = models.FloatField(default=1.0)  # noqa: N815 - the linking constants' usual names
    link_B = models.FloatField(default=0.0)  # noqa: N815
    linked_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"calibration {self.pk} {self.status}"


class ItemCalibration(models.Model):
    """IRT parameters of one question version in one run (3PL with a fixed guessing floor c)."""

    class Model(models.TextChoices):
        TWO_PL = "2pl", "2PL (fixed guessing)"
        RASCH = "rasch", "Rasch-like (few responses)"
        PRIOR = "prior", "Prior only (no responses)"

    run = models.ForeignKey(CalibrationRun, on_delete=models.CASCADE, related_name="items")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="+")
    a = models.FloatField()
    b = models.FloatField()
    c = models.FloatField()
    se_a = models.FloatField(null=True, blank=True)
    se_b = models.FloatField(null=True, blank=True)
    n = models.PositiveIntegerField(default=0)
    model = models.CharField(max_length=6, choices=Model.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "version"], name="one_calibration_per_version"),
        ]

    def __str__(self):
        return f"run {self.run_id} v{self.version_id}: a={self.a:.2f} b={self.b:.2f}"


class AttemptEquating(models.Model):
    """An attempt's ability and equated score under one run; a later run adds a row, never edits."""

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="equatings")
    run = models.ForeignKey(CalibrationRun, on_delete=models.PROTECT, related_name="equatings")
    theta = models.FloatField()
    theta_sd = models.FloatField()
    raw_percent = models.FloatField()
    equated_score = models.PositiveSmallIntegerField()
    low = models.PositiveSmallIntegerField()
    high = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "run"], name="one_equating_per_run"),
            models.CheckConstraint(
                condition=models.Q(low__lte=models.F("equated_score"))
                & models.Q(equated_score__lte=models.F("high"))
                & models.Q(low__gte=100)
                & models.Q(high__lte=1000),
                name="equating_band_on_scale",
            ),
        ]

    def __str__(self):
        return f"{self.attempt_id} run {self.run_id}: {self.equated_score}"
