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


# The DVA-C02 task statements, summarised in our own words: (code, domain name, title, skills).
# DVA-C01 has none. Used by the data migration below and, as plain data, by the content rules.
TASK_STATEMENTS: dict[str, list[tuple[str, str, str, str]]] = {
    "DVA-C02": [
        (
            "1.1",
            "Development with AWS Services",
            "Develop code for applications hosted on AWS",
            "Choose between event-driven, microservice and fan-out designs; decouple parts with "
            "queues, topics and event buses; call AWS APIs from code with retries, backoff, "
            "pagination and idempotent handling; build APIs and workflows that tolerate faults.",
        ),
        (
            "1.2",
            "Development with AWS Services",
            "Develop code for AWS Lambda",
            "Configure functions (memory, timeout, storage, environment, concurrency); connect "
            "event sources and handle batches, retries and failed events; package with layers "
            "or container images; reuse the execution environment; tune cold starts.",
        ),
        (
            "1.3",
            "Development with AWS Services",
            "Use data stores in application development",
            "Design DynamoDB keys and indexes and read them efficiently; pick consistency and "
            "capacity settings; cache with a suitable strategy; use relational stores, S3 "
            "objects and streaming services from application code.",
        ),
        (
            "2.1",
            "Security",
            "Implement authentication and/or authorization",
            "Sign users in with identity providers and tokens; authorize API calls with IAM "
            "policies, roles and temporary credentials; protect APIs with authorizers; grant "
            "least privilege to code running on AWS compute.",
        ),
        (
            "2.2",
            "Security",
            "Implement encryption by using AWS services",
            "Encrypt data at rest and in transit; manage keys, key policies and grants; use "
            "envelope encryption and encryption context; choose the server-side or client-side "
            "encryption option that meets a requirement.",
        ),
        (
            "2.3",
            "Security",
            "Manage sensitive data in application code",
            "Keep secrets and configuration out of code; fetch, cache and rotate them from "
            "managed stores; classify sensitive data and keep it out of logs and artifacts.",
        ),
        (
            "3.1",
            "Deployment",
            "Prepare application artifacts to be deployed to AWS",
            "Package code, dependencies and configuration; write infrastructure as code "
            "templates; organise files and images so that each environment gets the same "
            "artifact with its own settings.",
        ),
        (
            "3.2",
            "Deployment",
            "Test applications in development environments",
            "Run and debug functions and APIs locally or in a test stage; use stages, aliases "
            "and versions to test changes; write events and mocks that exercise integrations.",
        ),
        (
            "3.3",
            "Deployment",
            "Automate deployment testing",
            "Run unit and integration tests in a pipeline; create test events and environments "
            "on demand; check a deployment automatically before traffic moves to it.",
        ),
        (
            "3.4",
            "Deployment",
            "Deploy code by using AWS CI/CD services",
            "Build pipelines with source, build and deploy stages; choose a deployment strategy "
            "(all at once, rolling, blue/green, canary, linear); roll back on failure.",
        ),
        (
            "4.1",
            "Troubleshooting and Optimization",
            "Assist in a root cause analysis",
            "Read logs, metrics and traces to find why a request failed or slowed; query logs; "
            "tell throttling, permission, timeout and code errors apart from their symptoms.",
        ),
        (
            "4.2",
            "Troubleshooting and Optimization",
            "Instrument code for observability",
            "Emit structured logs, custom metrics and traces from code; add alarms and "
            "notifications; correlate requests across services.",
        ),
        (
            "4.3",
            "Troubleshooting and Optimization",
            "Optimize applications by using AWS services and features",
            "Right-size compute and concurrency; cache at the edge, API and data layers; reduce "
            "calls, payloads and latency; pick the service feature that meets a cost or speed "
            "target.",
        ),
    ],
}


def sync_task_statements(apps, schema_editor=None):
    """Create or update the shipped task statements (idempotent)."""
    ExamGuide = apps.get_model("questions", "ExamGuide")
    Domain = apps.get_model("questions", "Domain")
    TaskStatement = apps.get_model("questions", "TaskStatement")
    for code, statements in TASK_STATEMENTS.items():
        guide = ExamGuide.objects.get(code=code)
        for position, (number, domain_name, title, skills) in enumerate(statements):
            TaskStatement.objects.update_or_create(
                guide=guide,
                code=number,
                defaults={
                    "domain": Domain.objects.get(guide=guide, name=domain_name),
                    "title": title,
                    "skills": skills,
                    "position": position,
                },
            )
