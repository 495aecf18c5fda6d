"""What the LTI tool keeps beside django-lti's own tables (`lti_tool`).

`lti_tool` holds the platforms (`LtiRegistration`, `LtiDeployment`), the tool's key pair
(`Key`) and what launches told us (`LtiUser`, `LtiContext`, `LtiMembership`,
`LtiResourceLink`). This app links them to ours: a course (`LtiContext`) to a cohort, an attempt
started from a launch to the link and the platform's grade column, one grade passback record
per attempt, and an append-only audit of what admins and the passback did.
"""

from django.conf import settings
from django.db import models


class CourseCohort(models.Model):
    """The cohort that mirrors one LMS course (context): members join it on launch or sync."""

    context = models.OneToOneField(
        "lti_tool.LtiContext", on_delete=models.CASCADE, related_name="cohort_link"
    )
    cohort = models.OneToOneField(
        "accounts.Cohort", on_delete=models.CASCADE, related_name="lti_link"
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # The roster's last answer, as the page shows it: {"added": [...], "gone": [...], ...}.
    last_sync = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.context} → {self.cohort}"


class LaunchedAttempt(models.Model):
    """An attempt started (or resumed) from an LTI launch: where its grade goes back to."""

    attempt = models.OneToOneField(
        "exams.Attempt", on_delete=models.CASCADE, related_name="lti_launch"
    )
    lti_user = models.ForeignKey(
        "lti_tool.LtiUser", on_delete=models.CASCADE, related_name="launched_attempts"
    )
    resource_link = models.ForeignKey(
        "lti_tool.LtiResourceLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="launched_attempts",
    )
    lineitem_url = models.URLField(max_length=500, blank=True)
    lineitems_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"attempt {self.attempt_id} from {self.resource_link or 'LTI'}"


class GradePassback(models.Model):
    """One per launched attempt: the score sent to the platform, its state and the answer."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    launched = models.OneToOneField(
        LaunchedAttempt, on_delete=models.CASCADE, related_name="passback"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    score_given = models.PositiveSmallIntegerField(null=True, blank=True)
    score_maximum = models.PositiveSmallIntegerField(default=1000)
    comment = models.CharField(max_length=255, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return f"passback {self.launched_id}: {self.state}"


class LtiEvent(models.Model):
    """Append-only audit of LTI administration and grade passback."""

    class Kind(models.TextChoices):
        PLATFORM_CREATED = "platform_created", "Platform registered"
        PLATFORM_UPDATED = "platform_updated", "Platform edited"
        PLATFORM_DEACTIVATED = "platform_deactivated", "Platform deactivated"
        PLATFORM_ACTIVATED = "platform_activated", "Platform activated"
        KEY_CREATED = "key_created", "Tool key pair created"
        GRADE_SENT = "grade_sent", "Grade sent"
        GRADE_FAILED = "grade_failed", "Grade passback failed"
        GRADE_RESEND = "grade_resend", "Grade resend requested"
        ROSTER_SYNCED = "roster_synced", "Roster synced"
        ROSTER_PRUNED = "roster_pruned", "Members who left removed from the cohort"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    registration = models.ForeignKey(
        "lti_tool.LtiRegistration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attempt_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["kind", "at"])]

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M:%S}"
