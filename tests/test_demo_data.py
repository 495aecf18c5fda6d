import pytest
from django.core.management import call_command

from accounts.models import User
from core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_user_per_role_and_is_idempotent(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username, role in (
        ("student", "Student"),
        ("instructor", "Instructor"),
        ("admin", "Admin"),
    ):
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(DEMO_PASSWORD)
        assert f"username: {username}" in out
    assert User.objects.count() == 3
