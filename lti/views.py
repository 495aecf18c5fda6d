"""LTI pages: the admins' platform registry, OIDC login, launch, deep-link picker, course page.

The three protocol endpoints a platform calls cross-site (OIDC login initiation, the launch,
the JWKS) are csrf_exempt: their forgery protection is the protocol's own (the state cookie and
parameter, the nonce — used once here —, the platform's RS256 signature checked against its
keyset). Everything a logged-in person posts afterwards (the deep-link choice, roster sync,
resend, the admin forms) carries Django's CSRF token as usual.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lti_tool.models import Key, LtiContext, LtiLaunch, LtiRegistration, LtiUser
from lti_tool.utils import sync_data_from_launch
from pylti1p3.contrib.django import DjangoCacheDataStorage, DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from core.client_ip import client_ip
from core.errors import ApplicationError
from core.forms import apply_validation_error

from . import selectors, services, tasks
from .forms import DeepLinkForm, PlatformForm
from .http import platform_session
from .models import GradePassback
from .tool_config import StrictToolConfig

logger = logging.getLogger(__name__)

SESSION_LAUNCH = "lti_launch_id"


def _error(request, message: str, *, status: int = 400, title: str = "This launch was refused"):
    return render(
        request,
        "lti/error.html",
        {"title": title, "message": message},
        status=status,
    )


def tool_urls(request) -> dict:
    """The tool's own URLs, absolute, as an admin pastes them into the LMS."""
    launch = request.build_absolute_uri(reverse("lti:launch"))
    return {
        "tool_url": request.build_absolute_uri("/"),
        "jwks_url": request.build_absolute_uri(reverse("lti:jwks")),
        "login_url": request.build_absolute_uri(reverse("lti:login")),
        "launch_url": launch,
        "deep_link_url": launch,
    }


# --- Admin pages ---------------------------------------------------------------------------


def _admin_only(view):
    return login_required(permission_required("accounts.manage_roles", raise_exception=True)(view))


@_admin_only
@require_GET
def platform_list(request):
    key = selectors.tool_key()
    return render(
        request,
        "lti/platform_list.html",
        {
            "platforms": selectors.platform_list(),
            "key": key,
            "tool": tool_urls(request),
            "events": selectors.event_list(limit=20),
        },
    )


@_admin_only
@require_POST
def key_create(request):
    key, created = services.keys_ensure(actor=request.user)
    if created:
        messages.success(request, f"Created the tool's key pair (key id {key}).")
    else:
        messages.info(request, "The tool already has its key pair; nothing changed.")
    return redirect("lti:platforms")


def _initial(registration: LtiRegistration) -> dict:
    return {
        "name": registration.name,
        "issuer": registration.issuer,
        "client_id": registration.client_id,
        "deployment_ids": "\n".join(
            registration.deployments.filter(is_active=True).values_list("deployment_id", flat=True)
        ),
        "keyset_url": registration.keyset_url,
        "auth_url": registration.auth_url,
        "token_url": registration.token_url,
        "audience": registration.audience,
    }


@_admin_only
@require_http_methods(["GET", "POST"])
def platform_edit(request, platform_id: int | None = None):
    registration = get_object_or_404(LtiRegistration, pk=platform_id) if platform_id else None
    form = PlatformForm(
        request.POST or None,
        initial=_initial(registration) if registration else None,
        submit_label="Save platform" if registration else "Register platform",
    )
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.platform_save(
                registration=registration, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Saved platform “{registration.name}”.")
            return redirect("lti:platforms")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "lti/platform_form.html",
        {
            "form": form,
            "platform": registration,
            "tool": tool_urls(request),
            "key": selectors.tool_key(),
        },
        status=status,
    )


@_admin_only
@require_POST
def platform_active(request, platform_id: int):
    registration = get_object_or_404(LtiRegistration, pk=platform_id)
    active = request.POST.get("active") == "1"
    services.platform_set_active(registration=registration, active=active, actor=request.user)
    if active:
        messages.success(request, f"“{registration.name}” is active again: launches work.")
    else:
        messages.success(
            request,
            f"Deactivated “{registration.name}”: its launches are refused; courses, users and "
            "grades stay.",
        )
    return redirect("lti:platforms")


# --- Protocol endpoints --------------------------------------------------------------------


@require_GET
def jwks(request):
    """The tool's public keys (JWKS) for platforms to verify its messages and tokens."""
    return JsonResponse(Key.objects.as_jwks())


def _storage():
    return DjangoCacheDataStorage(cache_name="default")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def login_init(request):
    """OIDC third-party initiated login: check the platform, then send the browser to its
    authorisation endpoint with a fresh state (cookie) and nonce (cache)."""
    params = request.POST if request.method == "POST" else request.GET
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            return _error(
                request, f"The platform's login request lacks “{name}”.", title="Login refused"
            )
    try:
        services.keys_ensure()
        oidc = DjangoOIDCLogin(request, StrictToolConfig(), launch_data_storage=_storage())
        return oidc.redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (LtiException, OIDCException) as exc:
        return _error(
            request,
            f"This platform is not registered here, or not active ({exc}). Ask your site "
            "administrator to register it.",
            status=403,
            title="Login refused",
        )


@csrf_exempt
@require_POST
def launch(request):
    """Validate the platform's id_token (state, nonce once, signature, registration, deployment,
    message), then log the person in and open their exam, the deep-link picker or the
    dashboard. Every refusal is a page saying why (4xx), never an error 500."""
    if not request.POST.get("id_token") or not request.POST.get("state"):
        return _error(request, "The launch lacks its id_token or state.")
    try:
        services.keys_ensure()
        message_launch = DjangoMessageLaunch(
            request,
            StrictToolConfig(),
            launch_data_storage=_storage(),
            requests_session=platform_session(),
        )
        message_launch.set_launch_data_lifetime(settings.LTI_LAUNCH_DATA_SECONDS)
        message_launch.validate()
        launch_data = message_launch.get_launch_data()
    except LtiException as exc:
        logger.info("LTI launch refused: %s", exc)
        return _error(request, f"The launch could not be verified: {exc}", status=403)
    except Exception:  # a malformed token (a JSON list for a body, odd headers): never a 500
        logger.info("LTI launch malformed", exc_info=True)
        return _error(request, "The launch message is malformed.")
    nonce = str(launch_data.get("nonce", ""))
    if not cache.add(f"lti:nonce-used:{nonce}", 1, timeout=settings.LTI_LAUNCH_DATA_SECONDS):
        return _error(
            request,
            "This launch was already used (replayed nonce). Open the link from your course again.",
            status=403,
        )
    lti_launch = LtiLaunch(message_launch)
    if not (lti_launch.is_resource_launch or lti_launch.is_deep_link_launch):
        return _error(request, "This kind of LTI message is not supported here.")
    if lti_launch.is_deep_link_launch and not services.teaches(lti_launch.roles_claim):
        return _error(
            request,
            "Only the course's instructors can add exams to a course.",
            status=403,
            title="Not allowed",
        )
    try:
        sync_data_from_launch(lti_launch)
        result = services.launch_accept(lti_launch=lti_launch, ip=client_ip(request))
    except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
        logger.info("LTI launch data refused: %s", exc)
        text = exc.messages[0] if isinstance(exc, ValidationError) else "claims missing"
        return _error(request, f"The launch's data could not be used ({text}).")
    user = result.user
    if not user.is_active:
        return _error(request, "Your account here is disabled.", status=403, title="Not allowed")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_LAUNCH] = lti_launch.get_launch_id()
    if lti_launch.is_deep_link_launch:
        return _deep_link_picker(
            request,
            launch_id=lti_launch.get_launch_id(),
            user=user,
            return_url=_deep_link_settings(message_launch).get("deep_link_return_url", ""),
        )
    if result.problem:
        return _error(request, result.problem, status=409, title="The exam cannot open")
    if result.attempt is not None:
        return redirect(
            "exams:question",
            attempt_id=result.attempt.pk,
            position=result.attempt.current_position,
        )
    if result.instructor and result.context is not None:
        if result.blueprint is not None:
            messages.info(
                request,
                f"This link opens “{result.blueprint.title}” for your students; their grades "
                "come back to the course.",
            )
        return redirect("lti:course", context_id=result.context.pk)
    return redirect("home")


def _deep_link_settings(message_launch) -> dict:
    claim = message_launch.get_launch_data().get(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings", {}
    )
    return claim if isinstance(claim, dict) else {}


def _platform_origin(return_url: str) -> str | None:
    """The scheme and host of the platform's deep-link return URL, or None when unusable."""
    parts = urlsplit(return_url or "")
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(c in return_url for c in " ;,'\"\n")
    ):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _framed_by(response, origin: str | None, *, form_action: str = ""):
    """Let the platform's page (and only it) show this response in its frame.

    Moodle and Canvas open the deep-linking picker inside their own page (a dialog's frame); the
    rest of the site refuses framing (X-Frame-Options DENY, frame-ancestors 'none').
    """
    ancestors = origin or "'none'"
    response.xframe_options_exempt = True
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
        f"base-uri 'self'; form-action 'self'{form_action}; frame-ancestors {ancestors}"
    )
    return response


def _deep_link_picker(
    request,
    *,
    launch_id: str,
    user,
    return_url: str,
    form: DeepLinkForm | None = None,
    status=200,
):
    blueprints = selectors.blueprints_assignable(user=user)
    form = form or DeepLinkForm(initial={"launch_id": launch_id}, blueprints=blueprints)
    response = render(
        request,
        "lti/deep_link_picker.html",
        {"form": form, "blueprints": blueprints},
        status=status,
    )
    return _framed_by(response, _platform_origin(return_url))


def _deep_link_launch(launch_id: str, request):
    """The cached deep-linking launch named by the picker's form, its instructor and settings.

    Raise LtiException when it is gone (expired, never made, already answered) or is no deep
    link by an instructor. The launch id is the picker's credential: the picker often runs in the
    LMS's frame, where the browser sends no cookies of ours (no session, no CSRF cookie), so the
    unguessable id that only the instructor's launch page held stands in for both, once.
    """
    message_launch = DjangoMessageLaunch.from_cache(
        launch_id, request, StrictToolConfig(), launch_data_storage=_storage()
    )
    lti_launch = LtiLaunch(message_launch)
    if not lti_launch.is_deep_link_launch or not services.teaches(lti_launch.roles_claim):
        raise LtiException("not an instructor's deep-linking launch")
    user = lti_launch.user.auth_user
    if user is None or not user.is_active:
        raise LtiException("no active account for this launch")
    return message_launch, user, _deep_link_settings(message_launch)


@csrf_exempt
@require_POST
def deep_link_return(request):
    """The instructor's pick: answer the platform with a signed LtiDeepLinkingResponse."""
    launch_id = str(request.POST.get("launch_id", ""))[:200]

    def expired():
        return _error(
            request,
            "This page is not from your latest course link, or it has expired. Open “Add an "
            "exam” in your course again.",
            status=403,
            title="Link expired",
        )

    if not launch_id.startswith("lti1p3-launch-"):
        return expired()
    try:
        message_launch, user, dl_settings = _deep_link_launch(launch_id, request)
        deep_link = message_launch.get_deep_link()
        return_url = dl_settings["deep_link_return_url"]
    except (LtiException, LtiUser.DoesNotExist, KeyError, TypeError, AttributeError) as exc:
        logger.info("Deep link launch gone: %s", exc)
        return expired()
    origin = _platform_origin(return_url)
    if origin is None:
        return _error(request, "The platform's return address is not a usable URL.")
    blueprints = selectors.blueprints_assignable(user=user)
    form = DeepLinkForm(request.POST, blueprints=blueprints)
    if not form.is_valid():
        return _deep_link_picker(
            request, launch_id=launch_id, user=user, return_url=return_url, form=form, status=400
        )
    # Once: a second answer with the same launch (a replayed form) is refused.
    if not cache.add(
        f"lti:deep-link-used:{launch_id}", 1, timeout=settings.LTI_LAUNCH_DATA_SECONDS
    ):
        return expired()
    blueprint = blueprints.get(pk=form.cleaned_data["blueprint"])
    resource = (
        NewWindowResource()
        .set_url(request.build_absolute_uri(reverse("lti:launch")))
        .set_title(blueprint.title)
        .set_custom_params({"blueprint": blueprint.slug})
        .set_lineitem(
            LineItem()
            .set_score_maximum(services.SCORE_MAXIMUM)
            .set_label(blueprint.title)
            .set_resource_id(blueprint.slug)
        )
    )
    jwt_value = deep_link.get_response_jwt([resource])
    response = render(
        request,
        "lti/deep_link_return.html",
        {"return_url": return_url, "jwt": jwt_value, "blueprint": blueprint},
    )
    return _framed_by(response, origin, form_action=f" {origin}")


class NewWindowResource(DeepLinkResource):
    """An ltiResourceLink that asks the platform to open it in a new window or tab.

    The exam pages refuse framing, and a student's session must be first-party: Canvas opens a
    link whose `window.targetName` is "_blank" in a new tab, Moodle a link with a `window` in a
    new window. (pylti1p3 keeps `set_target` but never writes it: a library gap.)
    """

    def to_dict(self) -> dict:
        item = super().to_dict()
        item["window"] = {"targetName": "_blank"}
        return item


# --- Course page: roster sync, grade passbacks --------------------------------------------


def _course(request, context_id: int) -> LtiContext:
    try:
        return selectors.context_get_for_user(user=request.user, context_id=context_id)
    except LtiContext.DoesNotExist as exc:
        raise Http404("No such course.") from exc


@login_required
@require_GET
def course_list(request):
    if not request.user.has_perm("accounts.view_own_cohorts"):
        raise Http404
    return render(
        request,
        "lti/course_list.html",
        {"courses": selectors.context_list_for_user(user=request.user)},
    )


@login_required
@require_GET
def course_detail(request, context_id: int):
    context = _course(request, context_id)
    link = context.cohort_link
    return render(
        request,
        "lti/course_detail.html",
        {
            "course": context,
            "link": link,
            "cohort": link.cohort,
            "student_count": link.cohort.students.count(),
            "instructor_count": link.cohort.instructors.count(),
            "passbacks": selectors.passbacks_for_context(context=context)[:200],
        },
    )


@login_required
@require_POST
def course_sync(request, context_id: int):
    context = _course(request, context_id)
    try:
        change = services.roster_sync(context=context, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message_text)
    else:
        messages.success(
            request,
            f"Roster synced: {len(change.added)} added, {len(change.updated)} joined the cohort, "
            f"{change.unchanged} unchanged, {len(change.gone)} no longer in the course.",
        )
    return redirect("lti:course", context_id=context.pk)


@login_required
@require_POST
def course_remove_departed(request, context_id: int):
    """Take the members who left the course (last sync) out of its cohort."""
    context = _course(request, context_id)
    removed = services.roster_remove_departed(context=context, actor=request.user)
    if removed:
        messages.success(
            request,
            f"Removed from the cohort: {'; '.join(removed)}. Their accounts and results are kept.",
        )
    else:
        messages.info(request, "Nobody who left the course is still in the cohort.")
    return redirect("lti:course", context_id=context.pk)


@login_required
@require_POST
def passback_resend(request, passback_id: int):
    try:
        passback = selectors.passback_get_for_user(user=request.user, passback_id=passback_id)
    except GradePassback.DoesNotExist as exc:
        raise Http404("No such grade.") from exc
    services.passback_resend(
        passback=passback, actor=request.user, dispatch=tasks.dispatch_passback
    )
    messages.success(request, "The grade is queued to be sent again.")
    return redirect("lti:course", context_id=passback.launched.resource_link.context_id)
