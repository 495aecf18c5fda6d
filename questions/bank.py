"""The seed question bank shipped in questions/seed/bank/*.json."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from .models import Question
from .services import ImportReport, bank_import

BANK_DIR = Path(__file__).resolve().parent / "seed" / "bank"


def seed_bank_questions(directory: Path = BANK_DIR) -> list[dict]:
    """Return every question of the seed bank files, in file order."""
    questions = []
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        questions.extend(document["questions"])
    return questions


@transaction.atomic
def load_seed_bank(*, directory: Path = BANK_DIR, user=None) -> ImportReport:
    """Load the seed bank as published questions; loading it again duplicates nothing."""
    numbered = list(enumerate(seed_bank_questions(directory), start=1))
    return bank_import(
        questions=numbered,
        user=user,
        status=Question.Status.PUBLISHED,
        atomic=True,
        update_by_key=True,
    )
