"""The blueprints shipped with the platform (created by a data migration)."""

from django.utils.text import slugify

DRILL_SIZE = 10


def sync_blueprints(apps, schema_editor=None):
    """Create the seeded blueprints if missing; instructors' edits to them are kept."""
    Blueprint = apps.get_model("exams", "Blueprint")
    ExamGuide = apps.get_model("questions", "ExamGuide")
    Domain = apps.get_model("questions", "Domain")
    c01 = ExamGuide.objects.get(code="DVA-C01")
    c02 = ExamGuide.objects.get(code="DVA-C02")
    seeded = [
        {
            "slug": "dva-c01-full-mock",
            "title": "DVA-C01 full mock exam",
            "guide": c01,
            "mode": "exam",
            "feedback": "after_submit",
            "question_count": 65,
            "duration_minutes": 130,
            "position": 1,
            "description": "65 questions in 130 minutes at the DVA-C01 domain weights, scored "
            "on the 100–1000 scale (720 to pass), like the real exam.",
        },
        {
            "slug": "dva-c02-full-mock",
            "title": "DVA-C02 full mock exam",
            "guide": c02,
            "mode": "exam",
            "feedback": "after_submit",
            "question_count": 65,
            "unscored_count": 15,
            "duration_minutes": 130,
            "position": 2,
            "description": "The current exam's shape: 65 questions in 130 minutes, 15 of them "
            "unscored pretest items you cannot tell apart.",
        },
        {
            "slug": "quick-practice",
            "title": "Quick practice (20 questions)",
            "guide": c01,
            "mode": "practice",
            "feedback": "after_each",
            "question_count": 20,
            "duration_minutes": None,
            "position": 3,
            "description": "Twenty questions across all domains, untimed, with the explanation "
            "right after each answer.",
        },
    ]
    for position, domain in enumerate(
        Domain.objects.filter(guide__in=[c01, c02]).order_by("guide__position", "position"),
        start=10,
    ):
        seeded.append(
            {
                "slug": slugify(f"drill {domain.guide.code} {domain.name}"),
                "title": f"{domain.guide.code} drill: {domain.name}",
                "guide": domain.guide,
                "mode": "drill",
                "feedback": "after_each",
                "question_count": DRILL_SIZE,
                "duration_minutes": None,
                "drill_domain": domain,
                "position": position,
                "description": f"{DRILL_SIZE} questions from {domain.name} only, untimed, with "
                "feedback after each answer.",
            }
        )
    seeded.append(
        {
            "slug": "retry-missed",
            "title": "Practise missed questions",
            "guide": c01,
            "mode": "practice",
            "feedback": "after_each",
            "question_count": 8,
            "duration_minutes": None,
            "position": 90,
            "is_active": False,
            "description": "The questions you missed most recently, with feedback after each.",
        }
    )
    # Practice sets and drills ask how sure the student is (once the field exists: migration
    # 0013 set the rows created before it).
    asks = any(f.name == "ask_confidence" for f in Blueprint._meta.get_fields())
    for spec in seeded:
        if asks:
            spec.setdefault("ask_confidence", spec["mode"] != "exam")
        slug = spec.pop("slug")
        Blueprint.objects.get_or_create(slug=slug, defaults=spec)


def sync_task_statement_drills(apps, schema_editor=None):
    """Create one drill per task statement of the guides that have them (DVA-C02), if missing."""
    Blueprint = apps.get_model("exams", "Blueprint")
    TaskStatement = apps.get_model("questions", "TaskStatement")
    asks = any(f.name == "ask_confidence" for f in Blueprint._meta.get_fields())
    statements = TaskStatement.objects.select_related("guide", "domain").order_by(
        "guide__position", "position"
    )
    for position, statement in enumerate(statements, start=40):
        Blueprint.objects.get_or_create(
            slug=slugify(f"drill {statement.guide.code} task {statement.code.replace('.', '-')}"),
            defaults={
                "title": f"{statement.guide.code} drill: task {statement.code} {statement.title}",
                "guide": statement.guide,
                "mode": "drill",
                "feedback": "after_each",
                "question_count": DRILL_SIZE,
                "duration_minutes": None,
                "drill_domain": statement.domain,
                "drill_task_statement": statement,
                "position": position,
                **({"ask_confidence": True} if asks else {}),
                "description": f"{DRILL_SIZE} questions on task statement {statement.code} "
                f"({statement.domain.name}) only, untimed, with feedback after each answer.",
            },
        )


def custom_quiz_slug(guide_code: str) -> str:
    """The hidden blueprint a guide's custom quizzes are attempts of (custom-quiz-dva-c02)."""
    return slugify(f"custom quiz {guide_code}")


def custom_quiz_defaults(guide) -> dict:
    """The fields of a guide's hidden custom-quiz blueprint (the quiz form sets the rest)."""
    return {
        "title": f"Custom quiz ({guide.code})",
        "guide": guide,
        "mode": "custom",
        "feedback": "after_each",
        "question_count": 65,
        "duration_minutes": None,
        "ask_confidence": True,
        "is_active": False,
        "position": 95,
        "description": "A student's own quiz: guide, domains or task statements, count, source, "
        "timing and feedback chosen on the Build a quiz page.",
    }


def sync_custom_quiz_blueprints(apps, schema_editor=None):
    """Create the hidden custom-quiz blueprint of every guide, if missing."""
    Blueprint = apps.get_model("exams", "Blueprint")
    ExamGuide = apps.get_model("questions", "ExamGuide")
    for guide in ExamGuide.objects.all():
        Blueprint.objects.get_or_create(
            slug=custom_quiz_slug(guide.code), defaults=custom_quiz_defaults(guide)
        )
