"""Save answers with "How sure are you?" on `make run`'s SQLite; print what was stored.

Run by test_confidence_on_sqlite.py in a subprocess with the dev settings on a SQLite file, so
the transactional save path (`_answer_apply`, one ORM statement per write) is the one taken.
"""

import json
import sys

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from exams.models import Attempt, AttemptEvent  # noqa: E402

JSON = {"accept": "application/json"}


def main() -> dict:
    user = User.objects.create_user(username="sure", password="x-unused-password-1")
    user.groups.add(Group.objects.get(name="Student"))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    client.post("/exams/quick-practice/start/")
    attempt = Attempt.objects.get(user=user, blueprint__slug="quick-practice")
    item = attempt.items.order_by("position").first()
    url = f"/attempts/{attempt.pk}/q/{item.position}/answer/"
    option = item.option_order[0]
    codes = [
        client.post(url, {"option": option, "seq": 1, "confidence": "sure"}, headers=JSON),
        # Only the confidence changes: a change, with its audit row.
        client.post(url, {"option": option, "seq": 2, "confidence": "guess"}, headers=JSON),
        # A stale retry never overwrites it.
        client.post(url, {"option": option, "seq": 1, "confidence": "unsure"}, headers=JSON),
        client.post(url, {"option": option, "seq": 3, "confidence": "maybe"}, headers=JSON),
    ]
    item.refresh_from_db()
    second = attempt.items.order_by("position")[1]
    empty = client.post(
        f"/attempts/{attempt.pk}/q/{second.position}/answer/",
        {"seq": 1, "confidence": "unsure"},
        headers=JSON,
    )
    second.refresh_from_db()
    # An exam-day simulation does not ask.
    client.post("/exams/dva-c01-full-mock/start/")
    mock = Attempt.objects.get(user=user, blueprint__slug="dva-c01-full-mock")
    refused = client.post(
        f"/attempts/{mock.pk}/q/1/answer/",
        {"option": mock.items.get(position=1).option_order[0], "seq": 1, "confidence": "sure"},
        headers=JSON,
    )
    return {
        "asks": [attempt.ask_confidence, mock.ask_confidence],
        "codes": [r.status_code for r in codes],
        "confidence": item.confidence,
        "saves": [
            e.detail.get("confidence")
            for e in AttemptEvent.objects.filter(attempt=attempt, kind="save").order_by("pk")
            if e.detail.get("position") == item.position
        ],
        "empty": [empty.status_code, second.confidence, second.answered_at is None],
        "refused": [refused.status_code, refused.json().get("error")],
        "mock_confidence": mock.items.get(position=1).confidence,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
    sys.stdout.flush()
