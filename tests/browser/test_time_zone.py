"""The browser tells the server its time zone; the next page shows times in it."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_stores_the_browsers_time_zone_in_a_cookie(browser, live_server):
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("link", name="DVA Mock")).to_be_visible()
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["tz"]["value"] == "Asia/Tokyo"
        assert cookies["tz"]["path"] == "/"
        assert cookies["tz"]["sameSite"] == "Lax"
    finally:
        context.close()
