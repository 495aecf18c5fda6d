"""Thin views: validate, call a service, redirect."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core import ratelimit
from core.client_ip import client_ip
from core.forms import apply_validation_error

from . import selectors, services
from .forms import CohortForm, PeopleFilterForm, SignUpForm, UserAdminForm
from .models import Cohort, User
from .roles import Role


def _allowed(request, action: str, limit: int) -> bool:
    """Count one `action` for the client's address; False once the hourly limit is spent."""
    return ratelimit.allow(f"{action}:{client_ip(request)}", limit=limit, window_seconds=3600)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per client address so a loop cannot mail-bomb anyone."""

    def form_valid(self, form):
        if not _allowed(self.request, "password-reset", settings.PASSWORD_RESET_RATE_LIMIT):
            form.add_error(
                None,
                "Too many password reset e-mails were requested from your network in the last "
                "hour. Please try again later.",
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _allowed(request, "sign-up", settings.SIGN_UP_RATE_LIMIT):
            form.add_error(
                None,
                "Too many accounts were created from your network in the last hour. "
                "Please try again later.",
            )
            return render(request, "accounts/sign_up.html", {"form": form}, status=429)
        try:
            user = services.user_sign_up(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Your student account is ready.")
            return redirect("home")
    return render(request, "accounts/sign_up.html", {"form": form})


@login_required
@permission_required("accounts.manage_roles", raise_exception=True)
def people_list(request):
    form = PeopleFilterForm(request.GET)
    if form.is_valid():
        search, role = form.cleaned_data["q"], form.cleaned_data["role"]
        people = selectors.user_list_for_staff(search=search, role=role)
    else:
        messages.error(request, f"Check the search: {form.error_text()}")
        search, role, people = "", "", User.objects.none()
    page = Paginator(people, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/people_list.html",
        {"page": page, "q": search, "role": role, "roles": Role.values},
        status=200 if form.is_valid() else 400,
    )


@login_required
@permission_required("accounts.manage_roles", raise_exception=True)
@require_http_methods(["GET", "POST"])
def person_edit(request, user_id: int):
    person = get_object_or_404(User, pk=user_id)
    initial = {
        "role": selectors.user_primary_role(person) or Role.STUDENT.value,
        "cohorts": person.cohorts.all(),
        "accommodation_minutes": person.accommodation_minutes,
        "accommodation_note": person.accommodation_note,
        "is_active": person.is_active,
    }
    form = UserAdminForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_by_admin(user=person, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Saved {person.username}.")
            return redirect("accounts:people")
    return render(request, "accounts/person_edit.html", {"form": form, "person": person})


@login_required
def cohort_list(request):
    if not (request.user.has_perm("accounts.view_own_cohorts")):
        raise Http404
    return render(
        request,
        "accounts/cohort_list.html",
        {"cohorts": selectors.cohort_list_for_user(user=request.user)},
    )


@login_required
def cohort_detail(request, cohort_id: int):
    try:
        cohort = selectors.cohort_get_for_user(user=request.user, cohort_id=cohort_id)
    except Cohort.DoesNotExist as exc:
        raise Http404("No such cohort.") from exc
    return render(request, "accounts/cohort_detail.html", {"cohort": cohort})


@login_required
@permission_required("accounts.manage_roles", raise_exception=True)
@require_http_methods(["GET", "POST"])
def cohort_edit(request, cohort_id: int | None = None):
    cohort = get_object_or_404(Cohort, pk=cohort_id) if cohort_id else None
    form = CohortForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_save(
                cohort=cohort,
                name=form.cleaned_data["name"],
                instructors=form.cleaned_data["instructors"],
                students=form.cleaned_data["students"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Saved cohort {cohort.name}.")
            return redirect("accounts:cohort_detail", cohort_id=cohort.pk)
    return render(request, "accounts/cohort_edit.html", {"form": form, "cohort": cohort})


def bench_floor(request):
    """Benchmark floor: the cheapest logged-in write (one row), to compare autosave against."""
    if not settings.BENCH_ENDPOINTS or request.method != "POST":
        raise Http404
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False}, status=403)
    User.objects.filter(pk=request.user.pk).update(last_login=timezone.now())
    return JsonResponse({"ok": True})
