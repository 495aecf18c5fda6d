"""A real LTI 1.3 platform on 127.0.0.1 for the tests, built on the `lti1p3platform` package.

The protocol is the library's: `LTI1P3PlatformConfAbstract` holds the registration and issues
and checks the tokens (`get_access_token`, `validate_token`, `validate_deeplinking_resp`),
`OIDCLoginAbstract` builds the third-party login initiation, `LTIAdvantageMessageLaunchAbstract`
checks the tool's authentication request and builds and signs the id_token (roles, context,
resource link, AGS, NRPS and deep-linking claims), and `AssignmentsGradesService` /
`NamesRoleProvisioningService` answer the AGS and NRPS endpoints (bearer-token check, scopes,
status codes). This module only adds what the library leaves to the host: storage (line items,
scores, members), a WSGI adapter like the library's framework/django/request.py, the URL
routing, a threaded HTTP server on a free port, and a driver that plays the browser.

Where the library leaves a check out, the harness adds it and says so in a comment marked
"Library gap"; docs/integrations.md lists them.

    platform = LocalPlatform().start()
    platform.register_tool(login_url=..., launch_url=..., tool_public_key_pem=...)
    response = platform.launch(client, sub="u1", name="Ann Lee", email="ann@example.org",
                               roles=["Learner"], context_id="c1", context_title="Course")
    platform.stop()
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import threading
import traceback
from datetime import UTC, datetime
from html.parser import HTMLParser
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.exceptions import (
    LineItemNotFoundException,
    LtiDeepLinkingResponseException,
    LtiException,
    LtiServiceException,
    MissingRequiredClaim,
    PreflightRequestValidationException,
    UnsupportedGrantType,
)
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import Response as LibResponse
from lti1p3platform.response import generate_next_link
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)
from requests.structures import CaseInsensitiveDict

CLAIM_PREFIX = "https://purl.imsglobal.org/spec/lti/claim/"
LIS_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"


class PlatformFlowError(AssertionError):
    """A step of the browser flow did not go as the protocol says (message names the step)."""


# --- library adapters ------------------------------------------------------------------------


class WsgiRequest(Request):
    """The library's request view of a WSGI environ (like its framework/django/request.py)."""

    def build_metadata(self, request: dict) -> TRequest:
        environ = request
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body = environ["wsgi.input"].read(length) if length > 0 else b""
        content_type = environ.get("CONTENT_TYPE") or None
        headers: CaseInsensitiveDict = CaseInsensitiveDict()
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].replace("_", "-").title()] = value
        if content_type:
            headers["Content-Type"] = content_type
        form_data: dict[str, Any] = {}
        if content_type and content_type.startswith("application/x-www-form-urlencoded"):
            form_data = dict(
                parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            )
        json_data = None
        if self.body and content_type and "json" in content_type:
            try:
                json_data = json.loads(self.body)
            except ValueError as exc:
                raise LtiServiceException(f"Body is not JSON: {exc}", 400) from exc
        get_data = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        return {
            "method": environ["REQUEST_METHOD"],
            "form_data": form_data,
            "get_data": get_data,
            "headers": headers,
            "content_type": content_type,
            "path": environ.get("PATH_INFO", "/"),
            "json": json_data,
        }


class HarnessPlatformConf(LTI1P3PlatformConfAbstract):
    """The library's platform configuration, one per request (it keeps per-call JWT state)."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self._platform: LocalPlatform = kwargs["platform"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._platform._registration

    def get_tool_public_key(self) -> bytes:
        # Library gap: a keyset fetched from the tool's URL is cached on the registration
        # for good, so a tool that rotated its key would be refused. Like an LMS, fetch the
        # keyset again once when the assertion's kid is not in the cached one.
        try:
            return super().get_tool_public_key()
        except LtiException:
            reg = self._platform._registration
            if not reg.get_tool_key_set_url() or reg.get_tool_key_set() is None:
                raise
            reg.set_tool_key_set(None)
            return super().get_tool_public_key()


class HarnessOIDCLogin(OIDCLoginAbstract):
    """Third-party initiated login: the library builds the tool's login URL."""

    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class HarnessMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """The authorisation endpoint: the library checks the request and signs the id_token."""

    def __init__(self, request: Request, platform_config: LTI1P3PlatformConfAbstract, *, platform):
        super().__init__(request, platform_config)
        self._platform: LocalPlatform = platform
        self.pending: dict | None = None

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        # The library checks only that nonce, state and redirect_uri are present and that the
        # client_id matches (validate_preflight_response). The platform's own checks (which
        # launch this is, the user, the registered redirect URIs, the OIDC parameters, nonce
        # reuse) are the host's job: this hook is where the library lets the host do them.
        self.pending = self._platform._check_auth_request(preflight_response)
        self._platform._set_launch_claims(self, self.pending)

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        # Same form as the library's framework/templates/launch.html, without its jinja2 and
        # pkg_resources imports.
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>LTI Tool Launch'
            '</title></head><body><form method="POST" action="{action}" id="form">'
            '<input type="hidden" name="id_token" value="{id_token}">'
            '<input type="hidden" name="state" value="{state}"></form>'
            '<script>document.getElementById("form").submit();</script></body></html>'
        ).format(
            action=html.escape(launch_data["launch_url"]),
            id_token=html.escape(launch_data["id_token"]),
            state=html.escape(launch_data["state"]),
        )


class HarnessAGS(AssignmentsGradesService):
    """Assignment and Grade Services for one context: storage only, the checks are the library's."""

    def __init__(self, request, platform_config, *, platform, context, lineitem_url=None):
        super().__init__(
            request,
            platform_config,
            lineitems_url=platform._lineitems_url(context),
            lineitem_url=lineitem_url,
            allow_creating_lineitems=True,
        )
        self._platform: LocalPlatform = platform
        self._context = context

    def _lineitem(self, line_item_id: str) -> dict:
        item = self._platform.lineitems.get(line_item_id)
        if (
            item is None
            or self._platform._lineitem_context.get(line_item_id) != self._context["id"]
        ):
            raise LineItemNotFoundException(line_item_id)
        return item

    def find_lineitems(
        self,
        page=1,
        limit=None,
        line_item_id=None,
        resource_link_id=None,
        resource_id=None,
        tag=None,
        **_: Any,
    ) -> TPage:
        items = [
            dict(item)
            for url, item in list(self._platform.lineitems.items())
            if self._platform._lineitem_context.get(url) == self._context["id"]
            and (resource_link_id is None or item.get("resourceLinkId") == resource_link_id)
            and (resource_id is None or item.get("resourceId") == resource_id)
            and (tag is None or item.get("tag") == tag)
        ]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str):
        return dict(self._lineitem(line_item_id))

    def create_lineitem(self, creation_data):
        if not isinstance(creation_data, dict) or not creation_data.get("label"):
            raise LtiServiceException("A line item needs a label", 400)
        if not _positive_number(creation_data.get("scoreMaximum")):
            raise LtiServiceException("A line item needs a positive scoreMaximum", 400)
        return dict(self._platform._create_lineitem(self._context, dict(creation_data)))

    def update_lineitem(self, update_data):
        item = self._lineitem(update_data["id"])
        with self._platform._lock:
            item.update({k: v for k, v in update_data.items() if k != "id"})
        return dict(item)

    def delete_lineitem(self, line_item_id: str) -> None:
        self._lineitem(line_item_id)
        with self._platform._lock:
            self._platform.lineitems.pop(line_item_id, None)
            self._platform._lineitem_context.pop(line_item_id, None)

    def update_score(self, line_item_id: str, score) -> UpdateScoreStatus:
        self._lineitem(line_item_id)
        # Library gap: handle_update_score has "TODO: validate score". The spec's required
        # fields and the timestamp rule (an older score than the last one is refused) are
        # checked here.
        if not isinstance(score, dict):
            raise LtiServiceException("The score must be a JSON object", 400)
        missing = [
            k
            for k in ("userId", "activityProgress", "gradingProgress", "timestamp")
            if k not in score
        ]
        if missing:
            raise LtiServiceException(f"Score misses {', '.join(missing)}", 400)
        if "scoreGiven" in score and not _positive_number(score.get("scoreMaximum")):
            raise LtiServiceException("scoreGiven needs a positive scoreMaximum", 400)
        try:
            stamp = _instant(score["timestamp"])
        except (TypeError, ValueError) as exc:
            raise LtiServiceException("timestamp is not ISO 8601", 400) from exc
        with self._platform._lock:
            received = self._platform.scores.setdefault(line_item_id, [])
            previous = [s for s in received if s.get("userId") == score["userId"]]
            if previous and stamp < _instant(previous[-1]["timestamp"]):
                return UpdateScoreStatus.OLD_TIMESTAMP
            received.append(dict(score))
        return UpdateScoreStatus.SUCCESS if previous else UpdateScoreStatus.CREATED

    def get_results(self, line_item_id, page=1, limit=None, user_id=None, **_: Any) -> TPage:
        self._lineitem(line_item_id)
        latest: dict[str, dict] = {}
        for score in self._platform.scores.get(line_item_id, []):
            latest[str(score["userId"])] = score
        results = [
            {
                "id": f"{line_item_id}/results/{uid}",
                "scoreOf": line_item_id,
                "userId": uid,
                "resultScore": s.get("scoreGiven"),
                "resultMaximum": s.get("scoreMaximum"),
                "comment": s.get("comment"),
            }
            for uid, s in latest.items()
            if user_id is None or uid == user_id
        ]
        return {"content": results, "has_next": False, "next": None}


class HarnessNRPS(NamesRoleProvisioningService):
    """Names and Role Provisioning Services for one context."""

    def __init__(self, request, platform_config, *, platform, context):
        super().__init__(
            request, platform_config, context_memberships_url=platform._memberships_url(context)
        )
        self._platform: LocalPlatform = platform
        self._context = context

    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **_: Any) -> TPage:
        members = [dict(m) for m in self._context["members"].values()]
        if role:
            wanted = _expand_role(role)
            members = [m for m in members if wanted in m["roles"]]
        return {"content": members, "has_next": False, "next": None}

    def get_context_by_id(self) -> Context:
        ctx = self._context
        return Context(id=ctx["id"], label=ctx["label"], title=ctx["title"])

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        return resource_link_id in self._context["resource_links"]


# --- the HTTP host --------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _HttpAnswer(Exception):
    def __init__(self, status: int, body: Any, content_type: str = "application/json"):
        super().__init__(body)
        self.status, self.body, self.content_type = status, body, content_type


class LocalPlatform:
    """An LTI 1.3 platform (LMS side) served on 127.0.0.1 at a free port from a thread."""

    def __init__(self, *, client_id: str | None = None, deployment_id: str = "deployment-1"):
        self.client_id = client_id or f"harness-tool-{secrets.token_hex(4)}"
        self.deployment_id = deployment_id
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.public_key_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self._lock = threading.RLock()
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._registration = Registration()
        self._redirect_uris: set[str] = set()
        self._pending: dict[str, dict] = {}
        self._seen_nonces: set[str] = set()
        self._dl_data: dict[str, dict] = {}  # deep-linking `data` -> its context
        self._contexts: dict[str, dict] = {}
        self._fail = {"count": 0, "status": 503, "only": None}
        self._lineitem_seq = 0
        self.lineitems: dict[str, dict] = {}
        self._lineitem_context: dict[str, str] = {}  # line item URL -> its context id
        self.scores: dict[str, list[dict]] = {}
        self.deep_links: list[dict] = []
        self.placements: list[dict] = []
        self.service_log: list[dict] = []
        self.errors: list[str] = []
        self.last_launch: dict | None = None
        self.issuer = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalPlatform:
        server = make_server(
            "127.0.0.1",
            0,
            self._wsgi,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self._server = server
        self.issuer = f"http://127.0.0.1:{server.server_port}"
        (
            self._registration.set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_platform_public_key(self.public_key_pem)
            .set_platform_private_key(self.private_key_pem)
        )
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"lti-platform-{server.server_port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalPlatform:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- URLs --------------------------------------------------------------------------------

    @property
    def keyset_url(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def auth_url(self) -> str:
        return f"{self.issuer}/auth"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    @property
    def deep_link_return_url(self) -> str:
        return f"{self.issuer}/deep_link_return"

    @property
    def return_url(self) -> str:
        return f"{self.issuer}/return"

    def _lineitems_url(self, context: dict) -> str:
        return f"{self.issuer}/contexts/{context['key']}/lineitems"

    def _memberships_url(self, context: dict) -> str:
        return f"{self.issuer}/contexts/{context['key']}/memberships"

    # -- set-up ------------------------------------------------------------------------------

    def register_tool(
        self,
        *,
        login_url: str,
        launch_url: str,
        deep_link_url: str | None = None,
        tool_public_key_pem: str | None = None,
        tool_keyset_url: str | None = None,
        redirect_uris: list[str] | tuple[str, ...] = (),
    ) -> None:
        """Record the tool as an LMS admin would: its URLs and its key (PEM or keyset URL)."""
        if not tool_public_key_pem and not tool_keyset_url:
            raise ValueError("register_tool needs tool_public_key_pem or tool_keyset_url")
        reg = self._registration
        with self._lock:
            reg.set_oidc_login_url(login_url)
            reg.set_launch_url(launch_url)
            reg.set_deeplink_launch_url(deep_link_url or launch_url)
            if tool_public_key_pem:
                # The library matches the assertion's kid against the keyset; the kid of a PEM
                # is its RFC 7638 thumbprint, as pylti1p3 and django-lti compute it.
                reg.set_tool_key_set({"keys": [Registration.get_jwk(tool_public_key_pem)]})
                reg.set_tool_key_set_url(None)
            else:
                reg.set_tool_key_set(None)
                reg.set_tool_key_set_url(tool_keyset_url)
            self._redirect_uris = {launch_url, deep_link_url or launch_url, *redirect_uris}

    def _context(self, context_id: str, title: str | None = None, label: str | None = None):
        with self._lock:
            ctx = self._contexts.get(context_id)
            if ctx is None:
                ctx = {
                    "id": context_id,
                    "key": str(len(self._contexts) + 1),
                    "title": title or context_id,
                    "label": label or context_id,
                    "members": {},
                    "resource_links": set(),
                }
                self._contexts[context_id] = ctx
            else:
                if title:
                    ctx["title"] = title
                if label:
                    ctx["label"] = label
            return ctx

    def add_member(
        self, context_id: str, *, sub: str, name: str, email: str, roles, status: str = "Active"
    ) -> None:
        """Enrol (or update) a user in a course; NRPS returns them."""
        given, _, family = name.partition(" ")
        roles = [roles] if isinstance(roles, str) else roles
        ctx = self._context(context_id)
        with self._lock:
            ctx["members"][sub] = {
                "status": status,
                "name": name,
                "given_name": given,
                "family_name": family,
                "email": email,
                "user_id": sub,
                "roles": [_expand_role(r) for r in roles],
            }

    def _create_lineitem(self, context: dict, data: dict) -> dict:
        with self._lock:
            self._lineitem_seq += 1
            url = f"{self._lineitems_url(context)}/{self._lineitem_seq}"
            data["id"] = url
            self._lineitem_context[url] = context["id"]
            self.lineitems[url] = data
            return data

    def fail_next(self, n: int, status: int = 503, *, only: str | None = None) -> None:
        """Make the next `n` service requests (token, AGS, NRPS; or only one of them) fail."""
        if only not in (None, "token", "ags", "nrps"):
            raise ValueError("only must be None, 'token', 'ags' or 'nrps'")
        with self._lock:
            self._fail = {"count": n, "status": status, "only": only}

    # -- browser flows -----------------------------------------------------------------------

    def launch(self, browser, **launch_kwargs):
        """Drive a whole launch with `browser` (django.test.Client or requests.Session).

        Takes the keyword arguments of `login_url` and returns the tool's response to the
        id_token POST (not followed further). The id_token sent is in `self.last_launch`.
        """
        return _Driver(self, browser).run_launch(self.login_url(**launch_kwargs))

    def login_url(
        self,
        *,
        sub: str,
        name: str,
        email: str,
        roles,
        context_id: str,
        context_title: str,
        resource_link_id: str | None = None,
        target_link_uri: str | None = None,
        custom: dict | None = None,
        message_type: str = RESOURCE_LINK_REQUEST,
        lineitem=None,
        context_label: str | None = None,
        ags: bool = True,
        nrps: bool = True,
        enrol: bool = True,
    ):
        """Prepare a launch and return the tool's third-party login initiation URL.

        The platform remembers the launch under its lti_message_hint until the tool's
        authentication request comes back (once). `lineitem`: None (the link's bound line
        item if there is one, else only `lineitems`), a line item URL, a dict (created for
        this resource link unless one with its resourceLinkId exists) or True (a default line
        item of 100 points). `enrol` adds the user to the context's NRPS members.
        """
        if message_type not in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
            raise ValueError(f"unsupported message_type {message_type!r}")
        roles = [roles] if isinstance(roles, str) else roles
        reg = self._registration
        if not reg.get_oidc_login_url():
            raise PlatformFlowError("register_tool() first")
        deep = message_type == DEEP_LINKING_REQUEST
        target = target_link_uri or (
            reg.get_deeplink_launch_url() if deep else reg.get_launch_url()
        )
        ctx = self._context(context_id, context_title, context_label)
        if enrol:
            self.add_member(context_id, sub=sub, name=name, email=email, roles=roles)
        if not deep and resource_link_id is None:
            resource_link_id = (
                "rl-" + hashlib.sha256(f"{context_id}|{target}".encode()).hexdigest()[:12]
            )
        lineitem_url = None if deep else self._lineitem_for(ctx, resource_link_id, lineitem)
        hint = secrets.token_urlsafe(16)
        with self._lock:
            if resource_link_id:
                ctx["resource_links"].add(resource_link_id)
            self._pending[hint] = {
                "hint": hint,
                "message_type": message_type,
                "sub": sub,
                "name": name,
                "email": email,
                "roles": [_expand_role(r) for r in roles],
                "context": ctx,
                "resource_link_id": resource_link_id,
                "target_link_uri": target,
                "custom": custom,
                "lineitem_url": lineitem_url,
                "ags": ags,
                "nrps": nrps,
            }
        login = HarnessOIDCLogin(None, self._conf())
        login.set_lti_message_hint(hint=hint)
        if deep:
            login.set_deeplinking_launch_url()
        login.set_launch_url(target)
        return login.initiate_login(sub)

    def deep_link(self, browser, **launch_kwargs):
        """A deep-linking launch; returns the tool's answer (item picker or auto-submit form)."""
        launch_kwargs.setdefault("message_type", DEEP_LINKING_REQUEST)
        return self.launch(browser, **launch_kwargs)

    def launch_placement(self, browser, placement: dict, **launch_kwargs):
        """Launch a link placed by deep linking (an item of `self.placements`) as its LMS does:
        its resource link id, URL, custom parameters and line item."""
        launch_kwargs.setdefault("resource_link_id", placement["resource_link_id"])
        launch_kwargs.setdefault("target_link_uri", placement["url"])
        launch_kwargs.setdefault("custom", placement["custom"])
        return self.launch(browser, **launch_kwargs)

    def receive_deep_link_response(self, html_or_jwt) -> list[dict]:
        """POST the tool's deep-linking response to the platform; returns its content items."""
        text = _response_text(html_or_jwt)
        if re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]*", text.strip()):
            token = text.strip()
        else:
            form = _parse_form(text, "JWT")
            if form is None:
                raise PlatformFlowError(f"no deep-linking form with a JWT field in: {text[:300]}")
            if form["action"] != self.deep_link_return_url:
                raise PlatformFlowError(
                    f"deep-linking form posts to {form['action']!r}, "
                    f"not {self.deep_link_return_url!r}"
                )
            token = form["fields"]["JWT"]
        answer = requests.post(self.deep_link_return_url, data={"JWT": token}, timeout=10)
        if answer.status_code != 200:
            raise PlatformFlowError(f"platform refused the deep-linking response: {answer.text}")
        return answer.json()["content_items"]

    # -- the platform's side of the steps ---------------------------------------------------

    def _lineitem_for(self, ctx: dict, resource_link_id: str | None, lineitem) -> str | None:
        if isinstance(lineitem, str):
            return lineitem
        bound = [
            url
            for url, item in list(self.lineitems.items())
            if self._lineitem_context.get(url) == ctx["id"]
            and item.get("resourceLinkId") == resource_link_id
        ]
        if lineitem is None or bound:
            return bound[0] if bound else None
        data = {"label": ctx["title"], "scoreMaximum": 100} if lineitem is True else dict(lineitem)
        data["resourceLinkId"] = resource_link_id
        return self._create_lineitem(ctx, data)["id"]

    def _check_auth_request(self, params: dict) -> dict:
        hint = params.get("lti_message_hint", "")
        with self._lock:
            pending = self._pending.pop(hint, None)
        if pending is None:
            raise PreflightRequestValidationException("unknown or used lti_message_hint")
        problems = []
        if params.get("response_type") != "id_token":
            problems.append("response_type must be id_token")
        if "openid" not in params.get("scope", "").split():
            problems.append("scope must include openid")
        if params.get("response_mode", "form_post") != "form_post":
            problems.append("response_mode must be form_post")
        if params.get("login_hint") != pending["sub"]:
            problems.append("login_hint is not the user who started the launch")
        # Library gap: the redirect_uri is only checked for presence. A platform accepts only
        # the tool's registered redirect URIs (here also the launch's own target_link_uri,
        # which django-lti uses as redirect_uri).
        allowed = self._redirect_uris | {pending["target_link_uri"]}
        if params.get("redirect_uri") not in allowed:
            problems.append(f"redirect_uri {params.get('redirect_uri')!r} is not registered")
        nonce = params.get("nonce", "")
        with self._lock:
            if nonce in self._seen_nonces:
                problems.append("nonce was already used")
            self._seen_nonces.add(nonce)
        if problems:
            raise PreflightRequestValidationException("; ".join(problems))
        return pending

    def _set_launch_claims(self, launch: HarnessMessageLaunch, p: dict) -> None:
        ctx = p["context"]
        given, _, family = p["name"].partition(" ")
        launch.set_user_data(p["sub"], p["roles"], full_name=p["name"], email_address=p["email"])
        launch.set_extra_claims(
            {
                "given_name": given,
                "family_name": family,
                CLAIM_PREFIX + "tool_platform": {
                    "guid": f"harness-{self.issuer.rsplit(':', 1)[-1]}",
                    "name": "Test LMS (lti1p3platform)",
                    "product_family_code": "lti1p3platform",
                },
            }
        )
        launch.set_launch_context_claim(
            ctx["id"],
            context_types=[COURSE_OFFERING],
            context_title=ctx["title"],
            context_label=ctx["label"],
        )
        launch.set_launch_presentation_claim(document_target="iframe", return_url=self.return_url)
        if p["custom"]:
            launch.set_custom_parameters_claim(p["custom"])
        if p["ags"]:
            launch.set_ags(
                self._lineitems_url(ctx), p["lineitem_url"], allow_creating_lineitems=True
            )
        if p["nrps"]:
            launch.set_nrps(self._memberships_url(ctx))
        launch.set_launch_url(p["target_link_uri"])
        if p["message_type"] == DEEP_LINKING_REQUEST:
            # The spec's `data` is a string echoed back by the tool (the library types it as a
            # dict but passes any value through).
            data = f"dl-{p['hint']}"
            with self._lock:
                self._dl_data[data] = ctx
            launch.set_dl(self.deep_link_return_url, title=ctx["title"], extra_data=data)
        else:
            launch.set_resource_link_claim(p["resource_link_id"], title=ctx["title"])

    # -- WSGI --------------------------------------------------------------------------------

    def _wsgi(self, environ, start_response):
        try:
            status, body, content_type, extra = self._dispatch(environ)
        except _HttpAnswer as answer:
            status, body, content_type, extra = answer.status, answer.body, answer.content_type, {}
        except Exception:  # a harness bug: show it to the test instead of hanging the tool
            trace = traceback.format_exc()
            self.errors.append(trace)
            status, body, content_type, extra = 500, {"error": trace}, "application/json", {}
        if status == 204:
            payload = b""
        elif isinstance(body, (bytes, str)):
            payload = body.encode() if isinstance(body, str) else body
        else:
            payload = json.dumps(body).encode()
        headers = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
        headers += list(extra.items())
        start_response(f"{status} {_REASONS.get(status, 'Status')}", headers)
        return [payload]

    def _dispatch(self, environ):
        path = environ.get("PATH_INFO", "/")
        method = environ["REQUEST_METHOD"]
        if path == "/jwks" and method == "GET":
            conf = self._conf()
            return 200, conf.get_jwks(), "application/json", {}
        if path == "/auth" and method in ("GET", "POST"):
            return self._auth(WsgiRequest(environ))
        if path == "/return":
            return 200, "<p>Back in the course.</p>", "text/html; charset=utf-8", {}
        if path == "/deep_link_return" and method == "POST":
            return self._deep_link_return(WsgiRequest(environ))
        if path == "/token":
            return self._service("token", environ, self._token)
        match = re.fullmatch(
            r"/contexts/(\d+)/(memberships|lineitems)(?:/(\d+))?(?:/(scores|results))?", path
        )
        if match:
            key, kind = match.group(1), match.group(2)
            ctx = next((c for c in self._contexts.values() if c["key"] == key), None)
            if ctx is None:
                raise _HttpAnswer(404, {"error": "No such context"})
            if kind == "memberships" and not match.group(3):
                return self._service("nrps", environ, lambda req: self._nrps(req, ctx))
            if kind == "lineitems":
                return self._service("ags", environ, lambda req: self._ags(req, ctx, match))
        raise _HttpAnswer(404, {"error": f"No route for {method} {path}"})

    def _conf(self) -> HarnessPlatformConf:
        conf = HarnessPlatformConf(platform=self)
        conf.get_registration()
        return conf

    def _service(self, kind: str, environ, handler):
        with self._lock:
            fail = self._fail
            injected = fail["count"] > 0 and fail["only"] in (None, kind)
            if injected:
                fail["count"] -= 1
        entry = {"kind": kind, "method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"]}
        if injected:
            entry["status"] = fail["status"]
            self.service_log.append(entry)
            raise _HttpAnswer(fail["status"], {"error": "Injected failure (fail_next)"})
        try:
            result = handler(WsgiRequest(environ))
        except LtiServiceException as exc:
            result = (exc.status_code, {"error": exc.message}, "application/json", {})
        except (LtiException, jwt.PyJWTError) as exc:
            # Library gap: validate_token raises (bad signature, expired, wrong issuer)
            # instead of answering 401, and handle_resp only catches LtiServiceException.
            result = (401, {"error": f"Invalid access token: {exc}"}, "application/json", {})
        entry["status"] = result[0]
        self.service_log.append(entry)
        return result

    def _auth(self, request: WsgiRequest):
        launch = HarnessMessageLaunch(request, self._conf(), platform=self)
        try:
            page = launch.lti_launch()
        except PreflightRequestValidationException as exc:
            message = str(exc) or "missing nonce, state or redirect_uri, or wrong client_id"
            raise _HttpAnswer(
                400, f"invalid_request: {message}", "text/plain; charset=utf-8"
            ) from exc
        return 200, page, "text/html; charset=utf-8", {}

    def _token(self, request: WsgiRequest):
        conf = self._conf()
        form = request.form_data
        try:
            token = conf.get_access_token(form)
        except MissingRequiredClaim as exc:
            return (
                400,
                {"error": "invalid_request", "error_description": str(exc)},
                "application/json",
                {},
            )
        except UnsupportedGrantType:
            return 400, {"error": "unsupported_grant_type"}, "application/json", {}
        except (LtiException, jwt.PyJWTError, AssertionError) as exc:
            return (
                401,
                {"error": "invalid_client", "error_description": str(exc)},
                "application/json",
                {},
            )
        # Library gap: get_access_token checks the assertion's signature (and exp) only. The
        # Security Framework also wants the jwt-bearer assertion type, iss = sub = client_id
        # and the token URL in aud.
        claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        problems = []
        if form.get("client_assertion_type") != JWT_BEARER:
            problems.append("client_assertion_type must be jwt-bearer")
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            problems.append("iss and sub must be the client_id")
        if self.token_url not in auds:
            problems.append("aud must be the token URL")
        if problems:
            return (
                401,
                {"error": "invalid_client", "error_description": "; ".join(problems)},
                "application/json",
                {},
            )
        return 200, dict(token), "application/json", {"Cache-Control": "no-store"}

    def _ags(self, request: WsgiRequest, ctx: dict, match):
        number, sub = match.group(3), match.group(4)
        lineitem_url = f"{self._lineitems_url(ctx)}/{number}" if number else None
        service = HarnessAGS(
            request,
            self._conf(),
            platform=self,
            context=ctx,
            lineitem_url=lineitem_url,
        )
        method = request.method
        if lineitem_url is None:
            handler = (
                service.handle_create_lineitem if method == "POST" else service.handle_get_lineitems
            )
            return _wrap(service.handle_resp(handler))
        if sub == "scores":
            return _wrap(
                service.handle_resp(service.handle_update_score, line_item_id=lineitem_url)
            )
        if sub == "results":
            return _wrap(service.handle_resp(service.handle_get_results, line_item_id=lineitem_url))
        handler = {"PUT": service.handle_update_lineitem, "DELETE": service.handle_delete_lineitem}
        return _wrap(
            service.handle_resp(
                handler.get(method, service.handle_get_lineitem), line_item_id=lineitem_url
            )
        )

    def _nrps(self, request: WsgiRequest, ctx: dict):
        service = HarnessNRPS(request, self._conf(), platform=self, context=ctx)
        return _wrap(service.handle_resp(service.handle_get_members))

    def _deep_link_return(self, request: WsgiRequest):
        conf = self._conf()
        form = request.form_data
        if "JWT" not in form:
            raise _HttpAnswer(400, {"error": "The deep-linking response has no JWT field"})
        try:
            items = conf.validate_deeplinking_resp(form)
        except (LtiException, LtiDeepLinkingResponseException, jwt.PyJWTError) as exc:
            raise _HttpAnswer(400, {"error": f"Invalid deep-linking response: {exc}"}) from exc
        # Library gap: validate_deeplinking_resp checks the signature, message type and item
        # types only; the spec also binds the response to this platform and deployment and
        # echoes the request's `data`.
        claims = jwt.decode(form["JWT"], options={"verify_signature": False})
        aud = claims.get("aud")
        problems = []
        if claims.get("iss") != self.client_id:
            problems.append("iss must be the client_id")
        if self.issuer not in (aud if isinstance(aud, list) else [aud]):
            problems.append("aud must be the platform issuer")
        if claims.get(CLAIM_PREFIX + "deployment_id") != self.deployment_id:
            problems.append("wrong deployment_id")
        nonce = claims.get("nonce")
        with self._lock:
            if nonce and nonce in self._seen_nonces:
                problems.append("the response was already received (nonce reused)")
            self._seen_nonces.add(nonce)
        data = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
        if data is not None and data not in self._dl_data:
            problems.append("data does not echo a deep-linking request")
        if problems:
            raise _HttpAnswer(
                400, {"error": "Invalid deep-linking response: " + "; ".join(problems)}
            )
        self._place(items, self._dl_data.get(data))
        return 200, {"content_items": items}, "application/json", {}

    def _place(self, items: list[dict], ctx: dict | None) -> None:
        """Like an LMS: each ltiResourceLink becomes a resource link, with its line item."""
        with self._lock:
            self.deep_links.extend(items)
            for item in items:
                if item.get("type") != "ltiResourceLink":
                    continue
                rlid = f"placed-{secrets.token_hex(6)}"
                placement = {
                    "resource_link_id": rlid,
                    "url": item.get("url"),
                    "title": item.get("title"),
                    "custom": item.get("custom"),
                    "lineitem_url": None,
                }
                if ctx is not None:
                    ctx["resource_links"].add(rlid)
                    if isinstance(item.get("lineItem"), dict):
                        data = dict(item["lineItem"], resourceLinkId=rlid)
                        placement["lineitem_url"] = self._create_lineitem(ctx, data)["id"]
                self.placements.append(placement)


# --- the browser ----------------------------------------------------------------------------


class _Driver:
    """Plays the browser: the tool's URLs through `browser`, the platform's over HTTP."""

    def __init__(self, platform: LocalPlatform, browser):
        self.platform = platform
        self.browser = browser
        self.is_session = isinstance(browser, requests.Session)
        self.http = browser if self.is_session else requests.Session()

    def _is_platform(self, url: str) -> bool:
        return url.startswith(self.platform.issuer + "/")

    def get(self, url: str):
        if self.is_session or self._is_platform(url):
            r = self.http.get(url, allow_redirects=False, timeout=10)
            return r.status_code, r.headers, r.text, r
        return self._django("get", url)

    def post(self, url: str, data: dict):
        if self.is_session or self._is_platform(url):
            r = self.http.post(url, data=data, allow_redirects=False, timeout=10)
            return r.status_code, r.headers, r.text, r
        return self._django("post", url, data)

    def _django(self, verb: str, url: str, data: dict | None = None):
        parts = urlsplit(url)
        path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        kwargs: dict[str, Any] = {"secure": parts.scheme == "https"}
        if parts.netloc and parts.netloc != "testserver":
            kwargs["headers"] = {"host": parts.netloc}
        if verb == "get":
            r = self.browser.get(path, **kwargs)
        else:
            r = self.browser.post(
                path,
                urlencode(data or {}),
                content_type="application/x-www-form-urlencoded",
                **kwargs,
            )
        text = r.content.decode("utf-8", "replace") if not getattr(r, "streaming", False) else ""
        return r.status_code, r.headers, text, r

    def run_launch(self, login_url: str):
        url = login_url
        status, headers, text, _ = self.get(url)
        for _step in range(10):
            if status in (301, 302, 303, 307, 308) and headers.get("Location"):
                url = urljoin(url, headers["Location"])
                status, headers, text, _ = self.get(url)
                continue
            if status != 200:
                break
            if self._is_platform(url):
                form = _parse_form(text, "id_token")
                if form is None:
                    break
                self.platform.last_launch = {
                    "id_token": form["fields"]["id_token"],
                    "state": form["fields"].get("state"),
                    "launch_url": form["action"],
                    "claims": jwt.decode(
                        form["fields"]["id_token"], options={"verify_signature": False}
                    ),
                }
                return self.post(form["action"], form["fields"])[3]
            # pylti1p3's cookie check page (enable_check_cookies): its script reloads the
            # login URL with `urlParams` added once it could set a cookie.
            cookie_check = re.search(r"var urlParams = (\{.*?\});", text, re.S)
            if cookie_check:
                extra = json.loads(cookie_check.group(1))
                query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
                if all(k in query for k in extra):
                    break
                sep = "&" if urlsplit(url).query else "?"
                url = url + sep + urlencode(extra)
                status, headers, text, _ = self.get(url)
                continue
            # A tool that sends the authentication request as an auto-submitting form.
            form = _parse_form(text, "redirect_uri")
            if form is not None and form["action"].startswith(self.platform.auth_url):
                url = form["action"]
                if form["method"] == "post":
                    status, headers, text, _ = self.post(url, form["fields"])
                else:
                    url = url.split("?")[0] + "?" + urlencode(form["fields"])
                    status, headers, text, _ = self.get(url)
                continue
            js = re.search(r"window\.location(?:\.href)?\s*=\s*[\"']([^\"']+)[\"']", text)
            if js:
                url = urljoin(url, html.unescape(js.group(1)))
                status, headers, text, _ = self.get(url)
                continue
            break
        raise PlatformFlowError(f"launch stopped at {url}: HTTP {status}: {text[:500]}")


# --- helpers --------------------------------------------------------------------------------

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    429: "Too Many Requests",
}


def _wrap(resp: LibResponse):
    """The library's framework/django/response.py wrap_json_resp, for WSGI."""
    extra: dict[str, str] = {}
    if 200 <= resp.code < 300:
        result = resp.result
        data = result["content"] if isinstance(result, dict) and "content" in result else result
        if isinstance(result, dict) and result.get("next"):
            extra["Link"] = generate_next_link(result["next"])
        return resp.code, data, resp.media_type, extra
    return resp.code, {"error": resp.message}, resp.media_type, extra


def _instant(value: str) -> datetime:
    stamp = datetime.fromisoformat(value)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _positive_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _expand_role(role: str) -> str:
    return role if "://" in role else LIS_MEMBERSHIP + role


def _response_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    if hasattr(value, "text") and isinstance(value.text, str):
        return value.text
    if hasattr(value, "content"):
        return value.content.decode("utf-8", "replace")
    raise TypeError(f"cannot read a deep-linking response from {type(value).__name__}")


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.open = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            method = (a.get("method") or "get").lower()
            self.forms.append(
                {"action": html.unescape(a.get("action") or ""), "method": method, "fields": {}}
            )
            self.open = True
        elif tag == "input" and self.open and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = False


def _parse_form(text: str, field: str) -> dict | None:
    """The first form of the page that has an input named `field`."""
    parser = _FormParser()
    parser.feed(text)
    return next((f for f in parser.forms if field in f["fields"]), None)
