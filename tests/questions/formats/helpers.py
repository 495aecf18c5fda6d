"""Helpers for the format tests: fixture files and the seed bank."""

from __future__ import annotations

import json
from pathlib import Path

FILES = Path(__file__).parent / "files"
SEED = Path(__file__).resolve().parents[3] / "questions" / "seed" / "bank"


def read(name: str) -> str:
    """Return a fixture file's text."""
    return (FILES / name).read_text(encoding="utf-8")


def seed_files() -> list[Path]:
    """Return the seed bank files in name order."""
    return sorted(SEED.glob("*.json"))


def load_seed() -> list[dict]:
    """Return every question of the shipped seed bank, in file order."""
    questions = []
    for path in seed_files():
        questions += json.loads(path.read_text(encoding="utf-8"))["questions"]
    return questions


def issues(items) -> list[str]:
    """Return issues as the import page shows them."""
    return [str(item) for item in items]


def mc(stem: str = "Which service is a managed message queue?", **extra) -> dict:
    """Return a valid multiple-choice question in the bank schema."""
    question = {
        "key": "mc-example",
        "kind": "multiple_choice",
        "stem": stem,
        "options": [
            {"text": "Amazon SQS", "correct": True, "rationale": "SQS is a queue."},
            {"text": "Amazon SNS", "correct": False, "rationale": "SNS is pub/sub."},
            {"text": "Amazon S3", "correct": False, "rationale": "S3 stores objects."},
            {"text": "AWS STS", "correct": False, "rationale": "STS issues credentials."},
        ],
        "explanation": "SQS is the managed queue.",
        "references": ["https://docs.aws.amazon.com/sqs/"],
        "domains": {"DVA-C01": "Development with AWS Services"},
        "tags": ["SQS"],
        "difficulty": "easy",
    }
    question.update(extra)
    return question


def mr(stem: str = "Which services are serverless? (Select TWO.)", **extra) -> dict:
    """Return a valid multiple-response question (two of five correct)."""
    question = mc(stem, key="mr-example", kind="multiple_response")
    question["options"] = [
        {"text": "AWS Lambda", "correct": True, "rationale": "No servers to manage."},
        {"text": "AWS Fargate", "correct": True, "rationale": "Serverless containers."},
        {"text": "Amazon EC2", "correct": False, "rationale": "You manage instances."},
        {"text": "Amazon Lightsail", "correct": False, "rationale": "Virtual servers."},
        {"text": "Amazon EMR on EC2", "correct": False, "rationale": "Runs on instances."},
    ]
    question.update(extra)
    return question
