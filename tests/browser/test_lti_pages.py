"""The LTI pages in Chromium at 1280 and 390 px, with axe-core: the admins' platform page (a
registration with a mistake, then saved), the instructor's deep-link picker reached through a
real launch from the local platform (tests/lti/platform.py), and the launch error page."""

import re

import pytest
import requests
from playwright.sync_api import expect

from lti import services
from lti.models import CourseCohort
from tests.browser import conftest as ui
from tests.factories.accounts import UserFactory
from tests.factories.exams import short_blueprint
from tests.lti.platform import LocalPlatform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def platform():
    with LocalPlatform() as local:
        yield local


def test_admin_registers_a_platform(page, platform):
    admin = UserFactory(role="Admin")
    ui.log_in(page, admin)
    page.get_by_role("link", name="LTI").click()
    expect(page.get_by_role("heading", name="LTI platforms")).to_be_visible()
    page.get_by_role("link", name="Register a platform").click()
    expect(page.get_by_role("heading", name="Register a platform")).to_be_visible()
    page.get_by_label(re.compile(r"^\s*Name")).fill("Moodle — Spring")
    page.get_by_label(re.compile(r"^\s*Issuer")).fill(platform.issuer)
    page.get_by_label(re.compile(r"^\s*Client id")).fill(platform.client_id)
    page.get_by_label(re.compile(r"^\s*Deployment ids")).fill("1\n2")
    page.get_by_label(re.compile(r"^\s*Keyset URL")).fill("http://lms.example.edu/jwks")
    page.get_by_label(re.compile(r"^\s*Authentication")).fill(platform.auth_url)
    page.get_by_label(re.compile(r"^\s*Access token URL")).fill(platform.token_url)
    page.get_by_role("button", name="Register platform").click()
    expect(page.get_by_text("The keyset URL must be an https URL")).to_be_visible()
    ui.check_both_widths(page, "lti-platform-form-errors")

    page.get_by_label(re.compile(r"^\s*Keyset URL")).fill(platform.keyset_url)
    page.get_by_role("button", name="Register platform").click()
    expect(page.get_by_text("Saved platform “Moodle — Spring”.")).to_be_visible()
    platforms = page.get_by_role("region", name="Registered platforms")
    expect(platforms.get_by_role("link", name="Moodle — Spring")).to_be_visible()
    expect(platforms.get_by_role("button", name="Deactivate Moodle — Spring")).to_be_visible()
    expect(page.get_by_text("Initiate login (OIDC) URL")).to_be_visible()
    expect(page.get_by_label("Tool public key (PEM)")).to_contain_text("BEGIN PUBLIC KEY")
    ui.check_both_widths(page, "lti-platforms")


def test_instructor_picks_an_exam_on_the_deep_link_page(page, platform, live_server):
    from tests.factories.questions import make_bank

    make_bank(per_domain=3)
    short_blueprint(slug="browser-lti", title="Browser LTI mock", question_count=5)
    services.platform_save(
        name="Harness LMS",
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        keyset_url=platform.keyset_url,
        auth_url=platform.auth_url,
        token_url=platform.token_url,
    )
    key, _ = services.keys_ensure()
    platform.register_tool(
        login_url=f"{live_server.url}/lti/login/",
        launch_url=f"{live_server.url}/lti/launch/",
        tool_public_key_pem=key.public_key,
    )
    # The launch runs through a requests session (the harness's browser); Chromium then shows
    # the picker the tool answered, with that session's cookies.
    with requests.Session() as session:
        picker = platform.deep_link(
            session,
            sub="t-1",
            name="Ian Instructor",
            email="ian@example.edu",
            roles=["Instructor"],
            context_id="course-b",
            context_title="Browser course",
        )
        assert picker.status_code == 200
        host = live_server.url.split("//")[1].split(":")[0]
        page.context.add_cookies(
            [
                {"name": c.name, "value": c.value, "domain": host, "path": "/"}
                for c in session.cookies
                if c.domain in (host, f"{host}.local", "") or host in c.domain
            ]
        )
    page.goto("/")
    page.set_content(picker.text)
    expect(page.get_by_role("heading", name="Add an exam to your course")).to_be_visible()
    ui.check_both_widths(page, "lti-deep-link-picker")
    page.get_by_label(re.compile("Browser LTI mock")).check()
    page.get_by_role("button", name="Add to course").click()
    page.wait_for_url(re.compile(re.escape(platform.deep_link_return_url)))
    assert platform.deep_links and platform.deep_links[-1]["custom"] == {"blueprint": "browser-lti"}
    assert CourseCohort.objects.filter(context__id_on_platform="course-b").exists()


def test_a_bad_launch_shows_a_clear_page(page):
    response = page.goto(
        "/lti/login/?iss=https%3A%2F%2Funknown.example&login_hint=x&target_link_uri=%2F"
    )
    assert response.status == 403
    expect(page.get_by_role("heading", name="Login refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("not registered here")
    ui.check_both_widths(page, "lti-launch-error")
