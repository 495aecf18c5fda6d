import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_person_signs_up_logs_in_sees_student_home_and_logs_out(page):
    page.goto("/")
    page.get_by_role("link", name="Create a free student account").click()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Email").fill("grace@example.test")
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill("a-long-unusual-passphrase-9")
    page.get_by_label("Password confirmation").fill("a-long-unusual-passphrase-9")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your exam practice")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="You are logged out")).to_be_visible()

    page.get_by_role("link", name="Log in again").click()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill("a-long-unusual-passphrase-9")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your exam practice")).to_be_visible()
    expect(page.get_by_text("grace · Student")).to_be_visible()
    screenshot(page, "student-home")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in", exact=True)).to_be_visible()


def test_wrong_password_shows_an_inline_error(page, student):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(student.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()


def test_a_too_short_password_is_reported_under_the_password_field(page):
    page.goto("/signup/")
    password = page.get_by_label(re.compile(r"^\s*Password\W*$"))
    confirmation = page.get_by_label(re.compile(r"^\s*Password confirmation"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.test")
    password.fill("short1")
    confirmation.fill("short1")
    page.get_by_role("button", name="Create account").click()
    error = page.get_by_text(re.compile("This password is too short"))
    expect(error).to_be_visible()
    # Between the password and the confirmation's label: it belongs to the password.
    label = page.get_by_text(re.compile(r"^\s*Password confirmation")).first
    assert password.bounding_box()["y"] < error.bounding_box()["y"] < label.bounding_box()["y"]
    assert not User.objects.filter(username="ada").exists()
