"""`make run` (the dev settings) shows students friendly error pages and still serves static files.

Each test runs a short script in a subprocess with exactly `make run`'s environment.
"""

import json

from .conftest import run_python

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client, RequestFactory
from django.views.defaults import server_error
client = Client(raise_request_exception=False)
missing = client.get("/no-such-page/")
static = client.get("/static/css/app.css")
error = server_error(RequestFactory().get("/"))
print(json.dumps({
    "debug": settings.DEBUG,
    "missing": [missing.status_code, missing.content.decode()],
    "static": static.status_code,
    "error": [error.status_code, error.content.decode()],
}))
"""


def _probe(sqlite_db, **env) -> dict:
    result = run_python(["-c", PROBE], sqlite_db, ALLOWED_HOSTS="testserver", **env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_make_run_serves_friendly_error_pages_and_static_files(sqlite_db):
    page = _probe(sqlite_db)
    assert page["debug"] is False
    status, body = page["missing"]
    assert status == 404
    assert "Page not found" in body and "Back home" in body
    assert "URLconf" not in body and "Traceback" not in body
    status, body = page["error"]
    assert status == 500
    assert "Something went wrong" in body and "Traceback" not in body
    assert page["static"] == 200


def test_developers_get_the_debug_pages_with_django_debug(sqlite_db):
    page = _probe(sqlite_db, DJANGO_DEBUG="1")
    assert page["debug"] is True
    status, body = page["missing"]
    assert status == 404 and "URLconf" in body
    assert page["static"] == 200
