"""Users, their roles (groups) and cohorts."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower

# Text size steps on exam pages; 2 is the browser's normal size.
TEXT_SIZE_DEFAULT = 2
TEXT_SIZE_MAX = 4


class User(AbstractUser):
    """A person using the platform; the role is a group membership, never a boolean."""

    email = models.EmailField("e-mail address", blank=True)
    accommodation_minutes = models.PositiveSmallIntegerField(
        default=0,
        help_text="Extra minutes added to every timed exam (for example ESL +30).",
    )
    accommodation_note = models.CharField(
        max_length=100, blank=True, help_text='Why the extra time is granted, e.g. "ESL +30".'
    )
    text_size = models.PositiveSmallIntegerField(
        default=TEXT_SIZE_DEFAULT,
        validators=[MaxValueValidator(TEXT_SIZE_MAX)],
        help_text="Exam pages' text size step (0 smallest, 2 normal, 4 largest).",
    )

    class Meta:
        permissions = [("manage_roles", "Can assign roles, cohorts and accommodations")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with this e-mail address already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(accommodation_minutes__lte=600),
                name="accounts_user_accommodation_at_most_10h",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username


class Cohort(models.Model):
    """A group of students taught by one or more instructors."""

    name = models.CharField(max_length=120, unique=True)
    instructors = models.ManyToManyField(User, related_name="teaching_cohorts", blank=True)
    students = models.ManyToManyField(User, related_name="cohorts", blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    is_demo = models.BooleanField(default=False, help_text="Generated demo data.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_own_cohorts", "Can view the cohorts they teach"),
            ("view_all_cohorts", "Can view every cohort"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="accounts_cohort_ends_after_start",
                violation_error_message="The end date must not be before the start date.",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The end date must not be before the start date."})
