"""Roles are Django groups with explicit permissions; this module is their single definition."""

from django.db import models


class Role(models.TextChoices):
    STUDENT = "Student", "Student"
    INSTRUCTOR = "Instructor", "Instructor"
    ADMIN = "Admin", "Admin"


# "app_label.codename" -> human name. Model default permissions (add/change/...) are included
# too; those the migration cannot know yet are created here so the groups are complete at once.
CUSTOM_PERMISSIONS = {
    "accounts.manage_roles": ("user", "Can assign roles, cohorts and accommodations"),
    "accounts.view_own_cohorts": ("cohort", "Can view the cohorts they teach"),
    "accounts.view_all_cohorts": ("cohort", "Can view every cohort"),
    "questions.author_question": ("question", "Can write and edit questions"),
    "questions.publish_question": ("question", "Can publish and retire questions"),
    "questions.import_question": ("question", "Can import and export questions"),
    "exams.take_exam": ("attempt", "Can sit mock exams"),
    "exams.manage_blueprint": ("blueprint", "Can create and edit exam blueprints"),
    "analytics.view_item_analysis": ("itemstatistic", "Can view item statistics"),
    "analytics.view_cohort_reports": ("attemptdomainresult", "Can view cohort reports"),
}

_TEACHING = [
    "exams.take_exam",
    "accounts.view_own_cohorts",
    "questions.author_question",
    "questions.publish_question",
    "questions.import_question",
    "exams.manage_blueprint",
    "analytics.view_item_analysis",
    "analytics.view_cohort_reports",
]

# An admin can do all an instructor can, and manage people and every cohort.
ROLE_PERMISSIONS = {
    Role.STUDENT: ["exams.take_exam"],
    Role.INSTRUCTOR: _TEACHING,
    Role.ADMIN: [*_TEACHING, "accounts.manage_roles", "accounts.view_all_cohorts"],
}


def sync_role_groups(apps, schema_editor=None):
    """Create the role groups and give each exactly its permissions (used by data migrations)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")

    permissions = {}
    for dotted, (model, name) in CUSTOM_PERMISSIONS.items():
        app_label, codename = dotted.split(".")
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions[dotted] = permission

    for role, dotted_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set([permissions[d] for d in dotted_names])
