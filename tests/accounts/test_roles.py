import pytest
from django.contrib.auth.models import Group

from accounts.roles import ROLE_PERMISSIONS, Role
from accounts.services import user_set_role
from tests.factories.accounts import CohortFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_migration_creates_the_three_role_groups_with_their_permissions():
    for role, expected in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert granted == set(expected)


def test_student_cannot_author_or_manage_but_can_take_exams(student):
    assert student.has_perm("exams.take_exam")
    assert not student.has_perm("questions.author_question")
    assert not student.has_perm("accounts.manage_roles")


def test_instructor_authors_but_does_not_manage_roles(instructor):
    assert instructor.has_perm("questions.author_question")
    assert instructor.has_perm("accounts.view_own_cohorts")
    assert not instructor.has_perm("accounts.view_all_cohorts")
    assert not instructor.has_perm("accounts.manage_roles")


def test_admin_manages_roles_and_sees_every_cohort(admin_user):
    assert admin_user.has_perm("accounts.manage_roles")
    assert admin_user.has_perm("accounts.view_all_cohorts")


def test_set_role_replaces_the_previous_role():
    user = UserFactory(role="Student")
    user_set_role(user=user, role=Role.INSTRUCTOR)
    assert list(user.groups.values_list("name", flat=True)) == ["Instructor"]


def test_people_page_is_for_admins_only(client, student, instructor, admin_user):
    for user, status in ((student, 403), (instructor, 403), (admin_user, 200)):
        client.force_login(user)
        assert client.get("/staff/people/").status_code == status


def test_admin_assigns_role_cohort_and_accommodation(client, admin_user):
    person = UserFactory(role="Student")
    cohort = CohortFactory()
    client.force_login(admin_user)
    response = client.post(
        f"/staff/people/{person.pk}/",
        {
            "role": "Instructor",
            "cohorts": [cohort.pk],
            "accommodation_minutes": 30,
            "accommodation_note": "ESL +30",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert list(person.groups.values_list("name", flat=True)) == ["Instructor"]
    assert list(person.cohorts.all()) == [cohort]
    assert (person.accommodation_minutes, person.accommodation_note) == (30, "ESL +30")


def test_admin_form_refuses_out_of_range_accommodation_without_writing(client, admin_user):
    person = UserFactory(role="Student")
    client.force_login(admin_user)
    response = client.post(
        f"/staff/people/{person.pk}/",
        {"role": "Admin", "accommodation_minutes": 9999, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "less than or equal to 600" in response.content.decode()
    person.refresh_from_db()
    assert person.accommodation_minutes == 0
    assert list(person.groups.values_list("name", flat=True)) == ["Student"]


def test_instructor_sees_only_own_cohorts(client, instructor):
    mine = CohortFactory(instructors=[instructor])
    theirs = CohortFactory(instructors=[UserFactory(role="Instructor")])
    client.force_login(instructor)
    page = client.get("/cohorts/").content.decode()
    assert mine.name in page and theirs.name not in page
    assert client.get(f"/cohorts/{mine.pk}/").status_code == 200
    assert client.get(f"/cohorts/{theirs.pk}/").status_code == 404


def test_students_cannot_list_cohorts(client, student):
    client.force_login(student)
    assert client.get("/cohorts/").status_code == 404


def test_admin_creates_cohort_with_dates_validated(client, admin_user):
    teacher = UserFactory(role="Instructor")
    pupil = UserFactory(role="Student")
    client.force_login(admin_user)
    bad = client.post(
        "/cohorts/new/", {"name": "Spring", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}
    )
    assert bad.status_code == 200
    assert "end date must not be before" in bad.content.decode()
    ok = client.post(
        "/cohorts/new/",
        {
            "name": "Spring",
            "starts_on": "2026-03-01",
            "ends_on": "2026-06-01",
            "instructors": [teacher.pk],
            "students": [pupil.pk],
        },
    )
    assert ok.status_code == 302
    cohort = teacher.teaching_cohorts.get()
    assert list(cohort.students.all()) == [pupil]
