"""Hostile values in every query parameter and form field of every URL: never a 5xx.

For each pattern of the URLconf (urlmatrix.MATRIX) and each role that may use it, the test
GETs the page with each query parameter the view reads set to each hostile value, and POSTs
each form field with each hostile value on top of the form as the page renders it. The fields
come from the rendered forms (fuzzmatrix.POST_FIELDS adds the ones sent by JavaScript). A
refused POST (anything but a redirect) must leave every table as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import resolve, reverse

from .conftest import ROLES, World
from .fuzzmatrix import (
    ENDS_THE_SESSION,
    FORM_PAGES,
    HOSTILE,
    HOSTILE_FILES,
    JSON_ENDPOINTS,
    ON_EVERY_PAGE,
    POST_FIELDS,
    QUERY_PARAMS,
)
from .urlmatrix import MATRIX, REDIRECT

pytestmark = pytest.mark.django_db

ALLOWED = (200, REDIRECT)
ALLOWED_POST = (200, REDIRECT, 400)  # 400: the view read the (empty) form and refused it
# Rows a refused request may legitimately write: log-in failures (django-axes), sessions,
# and the audit log's "refused" events.
MAY_CHANGE = {"axes", "sessions"}
MAY_CHANGE_MODELS = {"exams.attemptevent"}


@dataclass
class Form:
    method: str
    action: str  # an absolute path
    values: list[tuple[str, str]] = field(default_factory=list)  # as the browser would send
    fields: dict[str, str] = field(default_factory=dict)  # every named control: its type


class FormParser(HTMLParser):
    """Collect the forms of a page with their controls and the values they would submit."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_path, a.get("action") or self.page_path)).path
            self._form = Form(method=(a.get("method") or "get").lower(), action=action)
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None or not name:
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            form.fields[name] = kind
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.values.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                form.values.append((name, a.get("value", "")))
        elif tag == "button":
            form.fields[name] = "button"
        elif tag == "select":
            form.fields[name] = "select"
            self._select, self._select_value = name, None
        elif tag == "textarea":
            form.fields[name] = "textarea"
            self._textarea, self._text = name, []
        elif tag == "option" and self._select is not None:
            self._option(a)

    def _option(self, a):
        if self._select_value is None or "selected" in a:
            self._select_value = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            if self._select_value is not None:
                self._form.values.append((self._select, self._select_value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.values.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def forms_on(body: str, page_path: str) -> list[Form]:
    parser = FormParser(page_path)
    parser.feed(body)
    return parser.forms


def _url(name: str, world: World) -> str:
    route = MATRIX[name]
    return reverse(name, kwargs=route.kwargs(world) if route.kwargs else {})


def _roles(expected: dict | None, allowed=ALLOWED) -> list[str]:
    """The roles that may use a route; another student or instructor adds nothing new."""
    if expected is None:
        return []
    roles = [r for r in ROLES if expected[r] in allowed]
    return [
        r for r in roles if r.removeprefix("other_") == r or r.removeprefix("other_") not in roles
    ]


def _client(world: World, role: str) -> Client:
    client = world.client_for(role)
    client.raise_request_exception = False  # a 500 is counted, not raised
    return client


def _crawl_forms(world: World, role: str, names=None) -> list[Form]:
    """Every form on the pages `names` (default: every page of the matrix) the role may GET."""
    client = _client(world, role)
    found = []
    for name in sorted(MATRIX if names is None else names):
        if MATRIX[name].get[role] != 200:
            continue
        url = _url(name, world)
        response = client.get(url)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            found.extend(forms_on(response.content.decode(), url))
    return found


def _row_counts() -> dict[str, int]:
    """Rows per table, in one query (it runs after every refused POST)."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label not in MAY_CHANGE
        and model._meta.label_lower not in MAY_CHANGE_MODELS
        and model._meta.managed
        and not model._meta.proxy
    )
    quote = connection.ops.quote_name
    # Table names from the models, quoted: no outside input reaches this SQL.
    sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _send(client: Client, method: str, url: str, data, accept: str):
    """Send one request; after a 5xx, roll the test's transaction back to before it.

    A database error in a view aborts the transaction every test runs in, and every later
    request of the test would then fail too: one cause would show up as hundreds of 500s.
    """
    sid = transaction.savepoint()
    response = getattr(client, method)(url, data, HTTP_ACCEPT=accept)
    if response.status_code >= 500:
        transaction.savepoint_rollback(sid)
    else:
        transaction.savepoint_commit(sid)
    return response


def _changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {k: (before[k], after[k]) for k in before if before[k] != after[k]}


# --- The lists stay complete -------------------------------------------------------------------


def test_every_url_has_a_list_of_its_query_parameters():
    assert set(QUERY_PARAMS) == set(MATRIX), (
        "add the query parameters each URL reads to tests/security/fuzzmatrix.py QUERY_PARAMS: "
        f"missing {sorted(set(MATRIX) - set(QUERY_PARAMS))}, "
        f"stale {sorted(set(QUERY_PARAMS) - set(MATRIX))}"
    )
    assert set(POST_FIELDS) <= set(MATRIX)


def test_the_query_parameter_lists_hold_every_field_of_the_filter_forms(world):
    missing = []
    for role in ("student", "instructor", "admin"):
        for form in _crawl_forms(world, role):
            if form.method != "get":
                continue
            name = resolve(form.action).view_name
            extra = set(form.fields) - set(QUERY_PARAMS[name])
            if extra:
                missing.append(f"{name}: {sorted(extra)}")
    assert not missing, f"add to QUERY_PARAMS in tests/security/fuzzmatrix.py: {missing}"


def test_every_form_is_on_a_page_the_fuzz_test_reads(world):
    missing = []
    for role in ("anon", "student", "instructor", "admin"):
        for name in sorted(MATRIX):
            if MATRIX[name].get[role] != 200:
                continue
            for form in _crawl_forms(world, role, {name}):
                target = resolve(form.action).view_name
                if target in ON_EVERY_PAGE:
                    continue
                if form.method == "post" and name not in (target, *FORM_PAGES.get(target, ())):
                    missing.append(f"{target} (on {name})")
    assert not missing, f"add to FORM_PAGES in tests/security/fuzzmatrix.py: {sorted(set(missing))}"


def test_the_form_parser_reads_what_a_browser_would_send():
    """The control for the crawl: the parser finds fields, defaults and actions."""
    html = """
    <form method="post" action="../save/"><input type="hidden" name="seq" value="3">
      <input type="radio" name="option" value="7"><input type="radio" name="option" value="8"
      checked><select name="status"><option value="draft">D</option>
      <option value="published" selected>P</option></select>
      <textarea name="stem">
Hello</textarea><button name="go" value="next">Next</button><input type="file" name="f">
    </form><form><input name="q"></form>"""
    post, get = forms_on(html, "/attempts/1/q/2/")
    assert (post.method, post.action) == ("post", "/attempts/1/q/save/")
    assert post.values == [
        ("seq", "3"),
        ("option", "8"),
        ("status", "published"),
        ("stem", "Hello"),
    ]
    assert set(post.fields) == {"seq", "option", "status", "stem", "go", "f"}
    assert (get.method, get.action, get.values) == ("get", "/attempts/1/q/2/", [("q", "")])


# --- The fuzzing ---------------------------------------------------------------------------------


def _query_params(name: str, url: str, forms: list[Form]) -> set[str]:
    params = set(QUERY_PARAMS[name])
    for form in forms:
        if form.method == "get" and form.action == url:
            params |= set(form.fields)
    return params


def _post_forms(name: str, url: str, forms: list[Form]) -> list[Form]:
    """The rendered forms that post to `url`, or one built from POST_FIELDS alone."""
    mine = [f for f in forms if f.method == "post" and f.action == url]
    extra = dict.fromkeys(POST_FIELDS.get(name, ()), "text")
    if not mine:
        return [Form(method="post", action=url, fields=dict(extra))]
    for form in mine:
        form.fields = {**extra, **form.fields}
    return mine


def _without(values: list[tuple[str, str]], name: str) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for key, value in values:
        if key != name and key != "csrfmiddlewaretoken":
            data.setdefault(key, []).append(value)
    return data


def _payloads(form: Form, name: str, kind: str):
    """(label, data) pairs: the rendered form with `name` replaced by each hostile value."""
    base = _without(form.values, name)
    if kind == "file":
        for label, (filename, content) in HOSTILE_FILES.items():
            yield label, {**base, name: SimpleUploadedFile(filename, content)}
        for label, value in HOSTILE.items():
            yield label, {**base, name: SimpleUploadedFile("hostile.txt", value.encode())}
        return
    for label, value in HOSTILE.items():
        yield label, {**base, name: value}


def _forms_for(world: World, role: str, name: str) -> list[Form]:
    return _crawl_forms(world, role, {name, *FORM_PAGES.get(name, ())})


def _accepts(name: str) -> tuple[str, ...]:
    return ("text/html", "application/json") if name in JSON_ENDPOINTS else ("text/html",)


def _fuzz_get(world: World, name: str, url: str, role: str) -> list[str]:
    client, wrong = _client(world, role), []
    for param in sorted(_query_params(name, url, _forms_for(world, role, name))):
        for value in HOSTILE.values():
            for accept in _accepts(name):
                response = _send(client, "get", url, {param: value}, accept)
                if response.status_code >= 500:
                    wrong.append(f"GET {url}?{urlencode({param: value})} as {role}: 500")
    return wrong


def _fields_to_fuzz(form: Form) -> list[tuple[str, str]]:
    """Every field, but of a formset's rows only the first: the others run the same code."""
    seen, fields = set(), []
    for field_name, kind in sorted(form.fields.items()):
        shape = re.sub(r"-\d+-", "-N-", field_name)
        if field_name != "csrfmiddlewaretoken" and shape not in seen:
            seen.add(shape)
            fields.append((field_name, kind))
    return fields


def _fuzz_post(world: World, name: str, url: str, role: str) -> list[str]:
    wrong = []
    baseline = _row_counts()
    client = _client(world, role)
    for form in _post_forms(name, url, _forms_for(world, role, name)):
        for field_name, kind in _fields_to_fuzz(form):
            for label, data in _payloads(form, field_name, kind):
                for accept in _accepts(name):
                    for upload in data.values():
                        if isinstance(upload, SimpleUploadedFile):
                            upload.seek(0)
                    if name in ENDS_THE_SESSION:
                        client = _client(world, role)
                    response = _send(client, "post", url, data, accept)
                    where = f"POST {url} {field_name}={label!r} as {role} ({accept})"
                    after = _row_counts()
                    if response.status_code >= 500:
                        wrong.append(f"{where}: {response.status_code}")
                    elif response.status_code != 302 and (changed := _changed(baseline, after)):
                        wrong.append(f"{where}: refused but wrote rows {changed}")
                    baseline = after
    return wrong


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_hostile_input_never_gives_a_5xx(name, world):
    route = MATRIX[name]
    url = _url(name, world)
    wrong = []
    for role in _roles(route.get):
        wrong += _fuzz_get(world, name, url, role)
    for role in _roles(route.post, ALLOWED_POST):
        wrong += _fuzz_post(world, name, url, role)
    assert not wrong, "\n".join(wrong)


# --- Causes the fuzzing found ------------------------------------------------------------------


@pytest.mark.parametrize("query", [{"q": "a\x00b"}, {"role": "Superuser"}])
def test_the_people_search_refuses_nul_and_unknown_roles_with_a_400(world, query):
    """PostgreSQL refuses NUL in a text comparison: the search gave a 500."""
    client = _client(world, "admin")
    response = client.get(reverse("accounts:people"), query)
    assert response.status_code == 400
    assert "Check the search" in response.content.decode()
    found = client.get(reverse("accounts:people"), {"q": world.student.username})
    assert found.status_code == 200 and world.student.username in found.content.decode()


@pytest.mark.parametrize("unscored", ["150", "9" * 30])
def test_a_refused_blueprint_form_is_redrawn_with_its_errors_not_a_500(world, unscored):
    """The page checked the bank against the refused values the form had copied over."""
    url = _url("exams:blueprint_edit", world)
    [form] = [
        f for f in _crawl_forms(world, "instructor", {"exams:blueprint_edit"}) if f.action == url
    ]
    data = {**_without(form.values, "unscored_count"), "unscored_count": unscored}
    response = _client(world, "instructor").post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    world.blueprint.refresh_from_db()
    assert world.blueprint.unscored_count == 0
