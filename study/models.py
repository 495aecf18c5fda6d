"""Study data: spaced-review cards (FSRS state in real columns), their review log, the
student's desired retention and the nightly due summaries."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

# The desired-retention setting is kept within these bounds: below 0.70 reviews come so late
# that most are failures; above 0.97 the workload explodes for little gain (FSRS docs).
RETENTION_MIN = Decimal("0.70")
RETENTION_MAX = Decimal("0.97")


class CardState(models.IntegerChoices):
    """fsrs.State, stored as its integer value."""

    LEARNING = 1, "Learning"
    REVIEW = 2, "Review"
    RELEARNING = 3, "Relearning"


class CardRating(models.IntegerChoices):
    """fsrs.Rating, stored as its integer value."""

    AGAIN = 1, "Again"
    HARD = 2, "Hard"
    GOOD = 3, "Good"
    EASY = 4, "Easy"


class ReviewCard(models.Model):
    """One student's card for one question (following the question's current version).

    The FSRS state lives in real columns so due counts and forecasts are indexed queries;
    `study.services.card_from_row`/`card_to_row` convert to and from `fsrs.Card`.
    """

    State = CardState

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="review_cards"
    )
    state = models.PositiveSmallIntegerField(choices=CardState.choices, default=CardState.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["user", "due"], name="study_card_user_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"], name="study_card_once_per_question"
            ),
        ]

    def __str__(self):
        return f"{self.user_id}/{self.question_id} due {self.due:%Y-%m-%d %H:%M}"


class CardReview(models.Model):
    """One rating applied to a card: the review log.

    `attempt_item` is the answer it came from; unique when set, so rating an item twice (the
    request and the finished-attempt task, or a retried task) applies it once.
    """

    Rating = CardRating

    card = models.ForeignKey(ReviewCard, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(choices=CardRating.choices)
    reviewed_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    attempt_item = models.ForeignKey(
        "exams.AttemptItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The interval FSRS chose, kept for the history and the tests.
    due_after = models.DateTimeField()

    class Meta:
        ordering = ["reviewed_at", "pk"]
        indexes = [models.Index(fields=["card", "reviewed_at"], name="study_review_card_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt_item"],
                condition=Q(attempt_item__isnull=False),
                name="study_review_once_per_item",
            ),
        ]

    def __str__(self):
        return f"{self.card_id} {self.get_rating_display()} {self.reviewed_at:%Y-%m-%d %H:%M}"


class StudyPreference(models.Model):
    """A student's own study settings (absent: the defaults from settings)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_preference"
    )
    desired_retention = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(RETENTION_MIN), MaxValueValidator(RETENTION_MAX)],
        help_text="The chance of remembering a card when it comes due (0.70 to 0.97).",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(desired_retention__gte=RETENTION_MIN)
                & Q(desired_retention__lte=RETENTION_MAX),
                name="study_retention_bounds",
            ),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.desired_retention}"


class DueSummary(models.Model):
    """Per-student due counts, recomputed nightly for dashboards and cohort reports."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_due_summary"
    )
    deck_size = models.PositiveIntegerField(default=0)
    due_today = models.PositiveIntegerField(default=0)
    # 14 counts: cards due on each local day from today (today includes the overdue ones).
    forecast = models.JSONField(default=list)
    predicted_recall = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.user_id}: {self.due_today} due"
