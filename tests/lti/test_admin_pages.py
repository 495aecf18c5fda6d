"""The admins' LTI page: register, edit, deactivate a platform; the tool's key and URLs;
validation messages; audit events; `manage.py lti_keys`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from lti.models import LtiEvent

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Moodle",
    "issuer": "https://moodle.example.edu",
    "client_id": "abc123",
    "deployment_ids": "1\n2, 2",
    "keyset_url": "https://moodle.example.edu/mod/lti/certs.php",
    "auth_url": "https://moodle.example.edu/mod/lti/auth.php",
    "token_url": "https://moodle.example.edu/mod/lti/token.php",
}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_register_shows_the_tool_values_and_audits(admin_client, admin_user):
    page = admin_client.get(reverse("lti:platform_new")).content.decode()
    assert "http://testserver/lti/jwks/" in page
    assert "http://testserver/lti/login/" in page
    assert "http://testserver/lti/launch/" in page
    response = admin_client.post(reverse("lti:platform_new"), GOOD)
    assert response.status_code == 302
    registration = LtiRegistration.objects.get(client_id="abc123")
    assert sorted(
        LtiDeployment.objects.filter(registration=registration, is_active=True).values_list(
            "deployment_id", flat=True
        )
    ) == ["1", "2"]
    assert Key.objects.active().count() == 1
    listing = admin_client.get(reverse("lti:platforms")).content.decode()
    assert "Moodle" in listing and "BEGIN PUBLIC KEY" in listing
    kinds = set(LtiEvent.objects.values_list("kind", flat=True))
    assert {"platform_created", "key_created"} <= kinds
    assert LtiEvent.objects.get(kind="platform_created").actor == admin_user

    # Edit: deployment 2 dropped (deactivated, kept), 3 added.
    response = admin_client.post(
        reverse("lti:platform_edit", args=[registration.pk]), {**GOOD, "deployment_ids": "1\n3"}
    )
    assert response.status_code == 302
    active = set(
        registration.deployments.filter(is_active=True).values_list("deployment_id", flat=True)
    )
    assert active == {"1", "3"}
    assert registration.deployments.filter(deployment_id="2", is_active=False).exists()

    admin_client.post(reverse("lti:platform_active", args=[registration.pk]), {"active": "0"})
    registration.refresh_from_db()
    assert not registration.is_active
    assert LtiEvent.objects.filter(kind="platform_deactivated").exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("keyset_url", "http://moodle.example.edu/certs", "must be an https URL"),
        ("auth_url", "ftp://moodle.example.edu/auth", "must be an https URL"),
        ("token_url", "not a url", "Enter a valid URL"),
        ("deployment_ids", " \n , ", "at least one deployment id"),
        ("issuer", "http://moodle.example.edu", "must be an https URL"),
    ],
)
def test_bad_values_get_clear_messages(admin_client, field, value, message):
    response = admin_client.post(reverse("lti:platform_new"), {**GOOD, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LtiRegistration.objects.exists()


def test_http_localhost_only_when_allowed(admin_client, settings):
    local = {**GOOD, "keyset_url": "http://127.0.0.1:9/jwks"}
    settings.LTI_ALLOW_LOCAL_HTTP = False
    response = admin_client.post(reverse("lti:platform_new"), local)
    assert response.status_code == 400
    assert "only in development and tests" in response.content.decode()
    settings.LTI_ALLOW_LOCAL_HTTP = True
    assert admin_client.post(reverse("lti:platform_new"), local).status_code == 302


def test_the_same_issuer_and_client_id_twice_is_refused(admin_client):
    admin_client.post(reverse("lti:platform_new"), GOOD)
    response = admin_client.post(reverse("lti:platform_new"), {**GOOD, "name": "Again"})
    assert response.status_code == 400
    assert "already registered" in response.content.decode()


def test_lti_keys_command_creates_once():
    out = StringIO()
    call_command("lti_keys", stdout=out)
    call_command("lti_keys", "--show", stdout=out)
    assert Key.objects.count() == 1
    assert "Created" in out.getvalue() and "Kept the existing" in out.getvalue()
    assert "BEGIN PUBLIC KEY" in out.getvalue()
    assert LtiEvent.objects.filter(kind="key_created").count() == 1


def test_jwks_lists_the_tool_key(client):
    call_command("lti_keys", stdout=StringIO())
    keys = client.get(reverse("lti:jwks")).json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "RS256" and keys[0]["kid"]


@pytest.mark.parametrize(
    "roles, teaching",
    [
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], False),
        (["Learner"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator"], True),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], False),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"], False),
        ([], False),
    ],
)
def test_which_lti_roles_teach(roles, teaching):
    from lti.services import teaches

    assert teaches(roles) is teaching
