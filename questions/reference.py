"""The exam guides shipped with the platform, as data (used by a data migration)."""

GUIDES = [
    {
        "code": "DVA-C01",
        "name": "AWS Certified Developer – Associate (DVA-C01)",
        "question_count": 65,
        "duration_minutes": 130,
        "unscored_count": 0,
        "passing_score": 720,
        "is_default": True,
        "domains": [
            ("Deployment", 22),
            ("Security", 26),
            ("Development with AWS Services", 30),
            ("Refactoring", 10),
            ("Monitoring and Troubleshooting", 12),
        ],
    },
    {
        "code": "DVA-C02",
        "name": "AWS Certified Developer – Associate (DVA-C02)",
        "question_count": 65,
        "duration_minutes": 130,
        "unscored_count": 15,
        "passing_score": 720,
        "is_default": False,
        "domains": [
            ("Development with AWS Services", 32),
            ("Security", 26),
            ("Deployment", 24),
            ("Troubleshooting and Optimization", 18),
        ],
    },
]


def sync_exam_guides(apps, schema_editor=None):
    """Create or update the shipped guides and their domains (idempotent)."""
    ExamGuide = apps.get_model("questions", "ExamGuide")
    Domain = apps.get_model("questions", "Domain")
    for position, spec in enumerate(GUIDES):
        fields = {k: v for k, v in spec.items() if k not in {"code", "domains"}}
        guide, _ = ExamGuide.objects.update_or_create(
            code=spec["code"], defaults={**fields, "position": position}
        )
        for domain_position, (name, weight) in enumerate(spec["domains"]):
            Domain.objects.update_or_create(
                guide=guide, name=name, defaults={"weight": weight, "position": domain_position}
            )
