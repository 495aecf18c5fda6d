"""Admins cannot lock the site out of its own people page."""

import pytest
from django.core.exceptions import ValidationError

from accounts.services import user_update_by_admin
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _edit(user, **changes):
    values = {
        "role": "Admin",
        "cohorts": [],
        "accommodation_minutes": 0,
        "accommodation_note": "",
        "is_active": True,
    }
    return {**values, **changes}


def test_an_admin_cannot_deactivate_themselves_on_the_page(client):
    admin = UserFactory(role="Admin")
    UserFactory(role="Admin")  # not the last admin: refused because it is their own account
    client.force_login(admin)
    response = client.post(
        f"/staff/people/{admin.pk}/", {"role": "Admin", "accommodation_minutes": 0}
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_an_admin_cannot_drop_their_own_admin_role_in_the_service():
    admin = UserFactory(role="Admin")
    UserFactory(role="Admin")
    with pytest.raises(ValidationError, match="your own Admin role"):
        user_update_by_admin(user=admin, actor=admin, **_edit(admin, role="Instructor"))
    assert list(admin.groups.values_list("name", flat=True)) == ["Admin"]


def test_the_last_active_admin_cannot_be_deactivated():
    last = UserFactory(role="Admin")
    UserFactory(role="Admin", is_active=False)  # an inactive admin cannot log in: no help
    with pytest.raises(ValidationError, match="last active admin"):
        user_update_by_admin(user=last, actor=None, **_edit(last, is_active=False))
    last.refresh_from_db()
    assert last.is_active


def test_the_last_active_admin_cannot_be_demoted():
    last = UserFactory(role="Admin")
    with pytest.raises(ValidationError, match="last active admin"):
        user_update_by_admin(user=last, actor=None, **_edit(last, role="Student"))
    assert list(last.groups.values_list("name", flat=True)) == ["Admin"]


def test_an_admin_can_deactivate_another_admin_while_one_stays(client):
    admin = UserFactory(role="Admin")
    other = UserFactory(role="Admin")
    client.force_login(admin)
    response = client.post(
        f"/staff/people/{other.pk}/", {"role": "Admin", "accommodation_minutes": 0}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert not other.is_active


def _admin_change_data(user, **changes):
    """Return the Django admin user change form's fields for `user`, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "accommodation_minutes": "0",
        "accommodation_note": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    if user.is_superuser:
        data["is_superuser"] = "on"
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_django_admin_cannot_deactivate_the_last_admin(client):
    superuser = UserFactory(role="Admin", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    response = client.post(
        f"/django-admin/accounts/user/{superuser.pk}/change/",
        _admin_change_data(superuser, is_active=None),
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    superuser.refresh_from_db()
    assert superuser.is_active


def test_the_django_admin_cannot_demote_the_last_other_admin_or_delete_it(client):
    superuser = UserFactory(role="Student", is_staff=True, is_superuser=True)
    last_admin = UserFactory(role="Admin")
    client.force_login(superuser)
    # Two admins exist (the superuser counts): demoting the other one is allowed...
    ok = client.post(
        f"/django-admin/accounts/user/{last_admin.pk}/change/",
        _admin_change_data(last_admin, groups=[]),
    )
    assert ok.status_code == 302
    # ...but the superuser cannot then drop their own superuser flag, the last admin access.
    refused = client.post(
        f"/django-admin/accounts/user/{superuser.pk}/change/",
        _admin_change_data(superuser, is_superuser=None),
    )
    assert refused.status_code == 200
    assert "your own Admin role" in refused.content.decode()
    superuser.refresh_from_db()
    assert superuser.is_superuser
    assert client.get(f"/django-admin/accounts/user/{superuser.pk}/delete/").status_code == 403
