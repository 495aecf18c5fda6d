"""Who may reach which URL: every pattern of the URLconf, every role, GET and (state) POST."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import resolve_url
from django.urls import resolve, reverse

from accounts.models import Cohort
from analytics.models import AnalyticsRun
from exams.models import Attempt, AttemptEvent, ItemSelection
from exams.services import attempt_start, attempt_submit

from .conftest import ROLES, World
from .urlmatrix import ADMIN_PREFIX, LOGIN, MATRIX, REDIRECT, walk

pytestmark = pytest.mark.django_db


def _outcome(response) -> str | int:
    if response.status_code == 302:
        login = resolve_url(settings.LOGIN_URL)
        return LOGIN if response.url.startswith(f"{login}?next=") else REDIRECT
    return response.status_code


def _url(name: str, world: World) -> str:
    route = MATRIX[name]
    kwargs = route.kwargs(world) if route.kwargs else {}
    return reverse(name, kwargs=kwargs) + (f"?{route.query}" if route.query else "")


# --- The matrix covers the URLconf ------------------------------------------------------------


def test_every_url_pattern_has_an_entry_in_the_matrix():
    missing, unnamed = [], []
    for pattern in walk():
        if pattern.route.startswith(ADMIN_PREFIX):
            continue  # covered pattern by pattern in test_django_admin_is_for_staff_only
        if pattern.name is None:
            unnamed.append(pattern.route)
        elif pattern.name not in MATRIX:
            missing.append(f"{pattern.name} ({pattern.route})")
    assert not unnamed, f"name these URL patterns and add them to MATRIX: {unnamed}"
    assert not missing, f"add these URLs to tests/security/urlmatrix.py MATRIX: {missing}"


def test_the_matrix_lists_no_url_that_does_not_exist():
    names = {p.name for p in walk() if p.name}
    assert set(MATRIX) - names == set()


def test_matrix_kwargs_reach_the_intended_pattern(world):
    for name in MATRIX:
        match = resolve(_url(name, world).split("?")[0])
        assert match.view_name == name


# --- Expected status per role ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(name, world):
    route = MATRIX[name]
    url = _url(name, world)
    wrong = []
    for method, expected_by_role in (("get", route.get), ("post", route.post)):
        if expected_by_role is None:
            continue
        assert set(expected_by_role) == set(ROLES)
        for role in ROLES:
            client = world.client_for(role)
            response = getattr(client, method)(url)
            got = _outcome(response)
            if got != expected_by_role[role]:
                wrong.append(
                    f"{method.upper()} {url} as {role}: {got}, expected {expected_by_role[role]}"
                )
    assert not wrong, "\n".join(wrong)


# --- IDOR -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["other_student", "instructor", "other_instructor", "admin"])
def test_nobody_else_reads_or_changes_a_students_attempt(world, role):
    attempt, item = world.attempt, world.attempt.items.get(position=1)
    option = item.option_order[0]
    client = world.client_for(role)
    requests = [
        ("get", reverse("exams:resume", args=[attempt.pk]), {}),
        ("get", reverse("exams:question", args=[attempt.pk, 1]), {}),
        ("get", reverse("exams:state", args=[attempt.pk]), {}),
        ("get", reverse("exams:review", args=[attempt.pk]), {}),
        ("get", reverse("exams:submit", args=[attempt.pk]), {}),
        ("get", reverse("exams:results", args=[world.finished_attempt.pk]), {}),
        ("post", reverse("exams:answer", args=[attempt.pk, 1]), {"option": option, "seq": 9}),
        ("post", reverse("exams:flag", args=[attempt.pk, 1]), {"flagged": "true"}),
        ("post", reverse("exams:submit", args=[attempt.pk]), {"auto": "1"}),
    ]
    events_before = AttemptEvent.objects.filter(attempt=attempt).count()
    for method, url, data in requests:
        for accept in ("text/html", "application/json"):
            response = getattr(client, method)(url, data, HTTP_ACCEPT=accept)
            assert response.status_code == 404, (role, method, url, accept)
            body = response.content.decode()
            assert item.version.stem_html.strip()[:40] not in body
    attempt.refresh_from_db()
    item.refresh_from_db()
    assert attempt.state == Attempt.State.IN_PROGRESS
    assert (item.flagged, item.answer_seq) == (False, 0)
    assert not ItemSelection.objects.filter(item=item).exists()
    assert AttemptEvent.objects.filter(attempt=attempt).count() == events_before


def test_the_owner_can_do_what_others_cannot(world):
    """The control for the IDOR test: the same requests work for the student who owns it."""
    attempt, item = world.attempt, world.attempt.items.get(position=1)
    client = world.client_for("student")
    assert client.get(reverse("exams:question", args=[attempt.pk, 1])).status_code == 200
    saved = client.post(
        reverse("exams:answer", args=[attempt.pk, 1]),
        {"option": item.option_order[0], "seq": 9},
        HTTP_ACCEPT="application/json",
    )
    assert saved.json()["ok"] is True
    flagged = client.post(
        reverse("exams:flag", args=[attempt.pk, 1]),
        {"flagged": "true"},
        HTTP_ACCEPT="application/json",
    )
    assert flagged.json() == {"ok": True, "flagged": True}
    assert client.post(reverse("exams:submit", args=[attempt.pk])).status_code == 302
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED


@pytest.mark.parametrize(
    "name", ["accounts:cohort_detail", "analytics:cohort", "analytics:cohort_csv"]
)
def test_an_instructor_gets_404_for_another_instructors_cohort(world, name):
    mine = world.client_for("instructor")
    theirs = world.client_for("other_instructor")
    own = mine.get(reverse(name, args=[world.cohort.pk]))
    assert own.status_code == 200
    assert world.cohort.name in own.content.decode()
    for client, cohort in ((mine, world.other_cohort), (theirs, world.cohort)):
        response = client.get(reverse(name, args=[cohort.pk]))
        assert response.status_code == 404
        assert cohort.name not in response.content.decode()


def test_cohort_lists_show_only_the_instructors_own_cohorts(world):
    client = world.client_for("instructor")
    for name in ("accounts:cohorts", "analytics:cohorts"):
        body = client.get(reverse(name)).content.decode()
        assert world.cohort.name in body
        assert world.other_cohort.name not in body, name
    body = world.client_for("admin").get(reverse("accounts:cohorts")).content.decode()
    assert world.cohort.name in body and world.other_cohort.name in body


def test_a_cohort_csv_counts_only_that_cohorts_students(world):
    other = attempt_start(user=world.other_student, blueprint=world.blueprint)
    attempt_submit(user=world.other_student, attempt_id=other.pk)
    query = {"blueprint": world.blueprint.pk}

    def csv_rows(role, cohort):
        response = world.client_for(role).get(
            reverse("analytics:cohort_csv", args=[cohort.pk]), query
        )
        assert response["Content-Type"].startswith("text/csv")
        return response.content.decode()

    mine = csv_rows("instructor", world.cohort)
    assert "summary,students,1" in mine and "summary,attempts,1" in mine
    assert world.other_cohort.name not in mine
    assert world.other_student.username not in mine
    theirs = csv_rows("other_instructor", world.other_cohort)  # the control
    assert "summary,attempts,1" in theirs and world.cohort.name not in theirs


def test_the_run_status_and_recompute_refuse_students(world):
    client = world.client_for("student")
    runs = AnalyticsRun.objects.count()
    assert client.post(reverse("analytics:recompute", args=[world.blueprint.pk])).status_code == 403
    assert AnalyticsRun.objects.count() == runs


# --- Django admin -----------------------------------------------------------------------------


def _admin_values(route: str, world: World) -> dict:
    values = {
        "app_label": "accounts",
        "url": "no-such-page/",
        "content_type_id": ContentType.objects.get_for_model(Cohort).pk,
        "object_id": world.cohort.pk,
        "id": world.student.pk,
    }
    if match := re.match(rf"{ADMIN_PREFIX}(\w+)/(\w+)/<", route):
        model = apps.get_model(match.group(1), match.group(2))
        first = model._default_manager.order_by("pk").first()
        values["object_id"] = first.pk if first else 1
    return values


def _materialise(route: str, values: dict) -> str:
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route)
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), url)
    return "/" + url.replace("^", "").replace("$", "")


def _admin_patterns():
    return [p for p in walk() if p.route.startswith(ADMIN_PREFIX)]


def test_the_admin_site_is_mounted_where_the_matrix_expects_it():
    routes = {p.route for p in _admin_patterns()}
    assert f"{ADMIN_PREFIX}" in routes and f"{ADMIN_PREFIX}login/" in routes
    assert len(routes) > 20


def test_django_admin_is_for_staff_only(world):
    admin_login = reverse("admin:login")
    wrong = []
    cohorts = Cohort.objects.count()
    for pattern in _admin_patterns():
        url = _materialise(pattern.route, _admin_values(pattern.route, world))
        assert resolve(url).route == pattern.route, (url, pattern.route)
        is_login = pattern.name == "admin:login"
        is_logout = pattern.name == "admin:logout"
        is_catch_all = "(?P<url>" in pattern.route
        for role in ROLES:
            client = world.client_for(role)
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"name": "Sneaky cohort"})
                code = response.status_code
                to_admin_login = code == 302 and response.url.startswith(f"{admin_login}?next=")
                if is_login:  # the form, also for a logged-in non-staff user
                    ok = code == 200 and 'name="password"' in response.content.decode()
                elif is_logout:  # non-staff are sent to the index, which sends them to log in
                    ok = code == 302 and response.url == reverse("admin:index")
                elif is_catch_all:
                    ok = code == 404 or to_admin_login
                else:
                    ok = to_admin_login
                if not ok:
                    wrong.append(f"{method.upper()} {url} as {role}: {code}")
        superuser = world.client_for("anon")
        superuser.force_login(world.superuser)
        response = superuser.get(url)
        # Read-only admins (axes) answer 403 to "add" even for a superuser; never a log-in.
        if response.status_code >= 500 or (
            response.status_code == 302 and response.url.startswith(admin_login)
        ):
            wrong.append(f"GET {url} as superuser: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert Cohort.objects.count() == cohorts


def test_the_superuser_works_in_the_admin_and_the_admin_role_alone_does_not(world):
    admin_role = world.client_for("admin")
    assert not world.admin.is_staff
    for name in ("admin:index", "admin:accounts_user_changelist", "admin:accounts_cohort_add"):
        url = reverse(name)
        assert _outcome(admin_role.get(url)) == REDIRECT
        superuser = world.client_for("anon")
        superuser.force_login(world.superuser)
        assert superuser.get(url).status_code == 200, name
    body = admin_role.get(reverse("admin:accounts_user_changelist"), follow=True)
    assert world.student.username not in body.content.decode()
