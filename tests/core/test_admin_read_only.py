"""History tables are viewable in the Django admin and never added, changed or deleted there."""

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

HISTORY = [
    "analytics_calibrationrun",
    "analytics_itemcalibration",
    "analytics_attemptequating",
    "questions_questionevent",
]


@pytest.mark.parametrize("model", HISTORY)
def test_a_superuser_can_list_but_not_add_history(client, model):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-Root-12345")
    client.force_login(admin)
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:{model}_add")).status_code == 403
