"""The hidden blueprint the review sessions are started with (data, created by a migration)."""

REVIEW_BLUEPRINT_SLUG = "spaced-review"


def review_blueprint_spec(guide) -> dict:
    return {
        "title": "Spaced review",
        "guide": guide,
        "mode": "practice",
        "feedback": "after_each",
        # Nominal: a session is the due cards (question_ids), at most REVIEW_SESSION_MAX.
        "question_count": 50,
        "duration_minutes": None,
        "position": 91,
        "is_active": False,
        "ask_confidence": True,
        "description": "Your due review cards, untimed, with feedback after each answer.",
    }


def sync_review_blueprint(apps, schema_editor=None):
    """Create the spaced-review blueprint if missing (instructors' edits are kept)."""
    Blueprint = apps.get_model("exams", "Blueprint")
    ExamGuide = apps.get_model("questions", "ExamGuide")
    guide = ExamGuide.objects.filter(is_default=True).first() or ExamGuide.objects.first()
    if guide is None:
        return
    Blueprint.objects.get_or_create(
        slug=REVIEW_BLUEPRINT_SLUG, defaults=review_blueprint_spec(guide)
    )
