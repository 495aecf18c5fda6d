"""Self-tests of the LTI platform harness (tests/lti/platform.py), without our own tool.

The tool side here is pylti1p3's own (ToolConfDict, DjangoOIDCLogin, DjangoMessageLaunch,
its AGS/NRPS services and deep-linking response) in throwaway Django views served by this
module's urlpatterns: it checks everything the way a real tool does, over real HTTP to the
platform (the platform's JWKS, token, AGS and NRPS endpoints).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from lti_tool.models import Key, LtiDeployment, LtiRegistration
from lti_tool.views import LtiLaunchBaseView, OIDCLoginInitView
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.tool_config import ToolConfDict

from tests.lti.platform import LIS_MEMBERSHIP, LocalPlatform, PlatformFlowError

pytestmark = pytest.mark.urls(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

# The throwaway tool's configuration for the running test (set by the `tool` fixture).
_TOOL: dict = {}


def _new_key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


_TOOL_PRIVATE, _TOOL_PUBLIC = _new_key_pair()
_OTHER_PRIVATE, _ = _new_key_pair()


def _tool_conf() -> ToolConfDict:
    return _TOOL["conf"]


@csrf_exempt
def tool_login(request):
    params = request.GET if request.method == "GET" else request.POST
    login = DjangoOIDCLogin(request, _tool_conf())
    # As django-lti does: the cookie check page first, then the redirect to the platform.
    return login.enable_check_cookies().redirect(params["target_link_uri"])


@csrf_exempt
def tool_launch(request):
    launch = DjangoMessageLaunch(request, _tool_conf())
    data = launch.get_launch_data()  # validates state, id_token signature, nonce, claims
    if launch.is_deep_link_launch():
        resource = (
            DeepLinkResource()
            .set_url(_TOOL["launch_url"] + "?blueprint=7")
            .set_title("Practice exam 7")
            .set_custom_params({"blueprint": "7"})
            .set_lineitem(LineItem().set_label("Practice exam 7").set_score_maximum(1000))
        )
        return HttpResponse(launch.get_deep_link().output_response_form([resource]))
    return JsonResponse({"claims": data, "launch_id": launch.get_launch_id()})


def tool_jwks(request):
    return JsonResponse(_tool_conf().get_jwks())


class DjangoLtiLaunch(LtiLaunchBaseView):
    """django-lti's launch view (the base of the `lti` app's tool), answering plainly."""

    def handle_resource_launch(self, request, lti_launch):
        return JsonResponse(
            {
                "sub": lti_launch.user.sub,
                "name": lti_launch.user.name,
                "context": lti_launch.context.title,
                "roles": lti_launch.roles_claim,
                "launch_id": lti_launch.get_launch_id(),
            }
        )

    def handle_deep_linking_launch(self, request, lti_launch):
        resource = DeepLinkResource().set_url("http://testserver/dl/launch/").set_title("Exam")
        return lti_launch.deep_link_response([resource])


urlpatterns = [
    path("tool/login/", tool_login),
    path("tool/launch/", tool_launch),
    path("tool/jwks/", tool_jwks),
    path("dl/<uuid:registration_uuid>/login/", OIDCLoginInitView.as_view()),
    path("dl/launch/", DjangoLtiLaunch.as_view()),
]


def _configure_tool(platform: LocalPlatform, base: str, *, by_keyset_url: bool = False):
    conf = ToolConfDict(
        {
            platform.issuer: [
                {
                    "default": True,
                    "client_id": platform.client_id,
                    "auth_login_url": platform.auth_url,
                    "auth_token_url": platform.token_url,
                    "key_set_url": platform.keyset_url,
                    "key_set": None,
                    "deployment_ids": [platform.deployment_id],
                }
            ]
        }
    )
    conf.set_private_key(platform.issuer, _TOOL_PRIVATE, client_id=platform.client_id)
    conf.set_public_key(platform.issuer, _TOOL_PUBLIC, client_id=platform.client_id)
    _TOOL.update(conf=conf, launch_url=f"{base}/tool/launch/")
    keys = (
        {"tool_keyset_url": f"{base}/tool/jwks/"}
        if by_keyset_url
        else {"tool_public_key_pem": _TOOL_PUBLIC}
    )
    platform.register_tool(
        login_url=f"{base}/tool/login/", launch_url=f"{base}/tool/launch/", **keys
    )
    return conf


@pytest.fixture
def tool(lti_platform, db):
    """pylti1p3 as the tool, reached through the Django test client at http://testserver."""
    conf = _configure_tool(lti_platform, "http://testserver")
    yield conf
    _TOOL.clear()


LEARNER = {
    "sub": "learner-1",
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "roles": ["Learner"],
    "context_id": "course-1",
    "context_title": "Cloud Practitioner, spring",
}


def _services(conf, claims):
    registration = conf.find_registration_by_issuer(claims["iss"])
    connector = ServiceConnector(registration)
    return (
        AssignmentsGradesService(connector, claims[AGS_CLAIM]),
        NamesRolesProvisioningService(connector, claims[NRPS_CLAIM]),
    )


def _grade(user_id: str, score: float, *, when: datetime | None = None) -> Grade:
    stamp = (when or datetime.now(UTC)).isoformat()
    return (
        Grade()
        .set_score_given(score)
        .set_score_maximum(1000)
        .set_user_id(user_id)
        .set_comment("Passed")
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp(stamp)
    )


def test_keyset_is_served_and_verifies_the_id_token(lti_platform, tool, client):
    keys = requests.get(lti_platform.keyset_url, timeout=5).json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [("RSA", "RS256", "sig")]

    response = lti_platform.launch(client, **LEARNER)

    assert response.status_code == 200, response.content
    token = lti_platform.last_launch["id_token"]
    signing_key = jwt.PyJWKClient(lti_platform.keyset_url).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["RS256"],
        audience=lti_platform.client_id,
        issuer=lti_platform.issuer,
    )
    assert claims["sub"] == "learner-1"
    assert claims["nonce"]


def test_launch_reaches_the_tool_with_the_lti_claims(lti_platform, tool, client):
    started = time.monotonic()
    response = lti_platform.launch(
        client, **LEARNER, resource_link_id="link-9", custom={"blueprint": "3"}, lineitem=True
    )
    elapsed = time.monotonic() - started

    assert response.status_code == 200, response.content
    claims = response.json()["claims"]  # as pylti1p3 validated them
    assert claims[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == lti_platform.deployment_id
    assert claims[CLAIM + "target_link_uri"] == "http://testserver/tool/launch/"
    assert claims[CLAIM + "roles"] == [LIS_MEMBERSHIP + "Learner"]
    assert claims[CLAIM + "context"]["id"] == "course-1"
    assert claims[CLAIM + "context"]["title"] == "Cloud Practitioner, spring"
    assert claims[CLAIM + "resource_link"]["id"] == "link-9"
    assert claims[CLAIM + "custom"] == {"blueprint": "3"}
    assert (claims["name"], claims["email"]) == ("Ada Lovelace", "ada@example.org")
    assert (claims["given_name"], claims["family_name"]) == ("Ada", "Lovelace")
    assert claims[CLAIM + "tool_platform"]["product_family_code"] == "lti1p3platform"
    assert claims[CLAIM + "launch_presentation"]["return_url"] == lti_platform.return_url
    ags = claims[AGS_CLAIM]
    assert ags["lineitems"].startswith(lti_platform.issuer)
    assert ags["lineitem"] in lti_platform.lineitems
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in ags["scope"]
    assert claims[NRPS_CLAIM]["context_memberships_url"].startswith(lti_platform.issuer)
    # The tool's state came back as sent, and the nonce is the one the tool generated.
    assert lti_platform.last_launch["state"].startswith("state-")
    assert lti_platform.last_launch["claims"]["nonce"] == claims["nonce"]
    assert elapsed < 3, f"a launch took {elapsed:.2f}s"


def test_authorisation_refuses_a_foreign_redirect_uri_and_a_replay(lti_platform, tool, client):
    login = lti_platform.login_url(**LEARNER)
    page = client.get(login + "&lti1p3_new_window=1")  # past the tool's cookie check
    auth_url = page["Location"]
    assert auth_url.startswith(lti_platform.auth_url + "?")

    forged = auth_url.replace("testserver", "evil.example")
    refused = requests.get(forged, timeout=5)
    assert refused.status_code == 400
    assert "redirect_uri" in refused.text

    replayed = requests.get(auth_url, timeout=5)  # the launch was used by the first request
    assert replayed.status_code == 400
    assert "lti_message_hint" in replayed.text


def test_token_endpoint_accepts_the_tool_key_and_refuses_others(lti_platform, tool):
    registration = tool.find_registration_by_issuer(lti_platform.issuer)
    scope = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    token = ServiceConnector(registration).get_access_token([scope])
    assert jwt.decode(token, options={"verify_signature": False})["scopes"] == scope

    now = int(time.time())
    claims = {
        "iss": lti_platform.client_id,
        "sub": lti_platform.client_id,
        "aud": lti_platform.token_url,
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
    }
    kid = registration.get_kid()
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "scope": scope,
    }

    def post(assertion, **overrides):
        data = {**form, "client_assertion": assertion, **overrides}
        return requests.post(lti_platform.token_url, data=data, timeout=5)

    good = jwt.encode(claims, _TOOL_PRIVATE, algorithm="RS256", headers={"kid": kid})
    assert post(good).status_code == 200
    wrong_key = jwt.encode(claims, _OTHER_PRIVATE, algorithm="RS256", headers={"kid": kid})
    assert post(wrong_key).json()["error"] == "invalid_client"
    wrong_aud = jwt.encode(
        {**claims, "aud": "http://elsewhere/token"}, _TOOL_PRIVATE, "RS256", headers={"kid": kid}
    )
    assert post(wrong_aud).status_code == 401
    expired = jwt.encode(
        {**claims, "exp": now - 10}, _TOOL_PRIVATE, algorithm="RS256", headers={"kid": kid}
    )
    assert post(expired).status_code == 401
    assert post(good, grant_type="password").json()["error"] == "unsupported_grant_type"
    missing = requests.post(lti_platform.token_url, data=form, timeout=5)
    assert missing.status_code == 400


def test_score_posted_by_the_tool_is_recorded(lti_platform, tool, client):
    claims = lti_platform.launch(client, **LEARNER, lineitem=True).json()["claims"]
    ags, _ = _services(tool, claims)

    ags.put_grade(_grade("learner-1", 820))

    lineitem = claims[AGS_CLAIM]["lineitem"]
    [score] = lti_platform.scores[lineitem]
    assert score["scoreGiven"] == 820
    assert score["scoreMaximum"] == 1000
    assert score["userId"] == "learner-1"
    assert score["comment"] == "Passed"
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    [result] = ags.get_grades()
    assert (result["userId"], result["resultScore"]) == ("learner-1", 820)

    # An older score than the last one is refused (409), as the AGS spec says.
    with pytest.raises(LtiServiceException) as refused:
        ags.put_grade(_grade("learner-1", 10, when=datetime.now(UTC) - timedelta(hours=1)))
    assert refused.value.response.status_code == 409
    assert len(lti_platform.scores[lineitem]) == 1


def test_tool_can_create_a_line_item_and_post_to_it(lti_platform, tool, client):
    claims = lti_platform.launch(client, **LEARNER).json()["claims"]
    assert "lineitem" not in claims[AGS_CLAIM]
    ags, _ = _services(tool, claims)

    item = ags.find_or_create_lineitem(
        LineItem().set_label("Mock exam").set_score_maximum(1000).set_tag("exam-3")
    )
    ags.put_grade(_grade("learner-1", 700), item)

    assert lti_platform.lineitems[item.get_id()]["label"] == "Mock exam"
    assert lti_platform.scores[item.get_id()][0]["scoreGiven"] == 700
    # Found again, not created twice.
    again = ags.find_or_create_lineitem(LineItem().set_label("Mock exam").set_tag("exam-3"))
    assert again.get_id() == item.get_id()
    assert len(lti_platform.lineitems) == 1


def test_services_refuse_a_bad_or_narrow_access_token(lti_platform, tool, client):
    claims = lti_platform.launch(client, **LEARNER, lineitem=True).json()["claims"]
    scores_url = claims[AGS_CLAIM]["lineitem"] + "/scores"
    members_url = claims[NRPS_CLAIM]["context_memberships_url"]
    registration = tool.find_registration_by_issuer(lti_platform.issuer)
    nrps_only = ServiceConnector(registration).get_access_token(
        ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
    )
    score = _grade("learner-1", 1).get_value()
    ctype = {"Content-Type": "application/vnd.ims.lis.v1.score+json"}

    def post(token):
        headers = {**ctype, "Authorization": f"Bearer {token}"}
        return requests.post(scores_url, data=score, headers=headers, timeout=5)

    assert post(nrps_only).status_code == 401  # a roster token cannot post scores
    forged = jwt.encode({"iss": lti_platform.issuer, "scopes": "x"}, _OTHER_PRIVATE, "RS256")
    assert post(forged).status_code == 401
    assert requests.post(scores_url, data=score, headers=ctype, timeout=5).status_code == 401
    roster = requests.get(members_url, headers={"Authorization": f"Bearer {nrps_only}"}, timeout=5)
    assert roster.status_code == 200
    assert lti_platform.scores == {}


def test_nrps_returns_the_course_members(lti_platform, tool, client):
    lti_platform.add_member(
        "course-1", sub="s-2", name="Grace Hopper", email="grace@example.org", roles=["Learner"]
    )
    lti_platform.add_member(
        "course-2", sub="s-3", name="Alan Turing", email="alan@example.org", roles=["Learner"]
    )
    teacher = {**LEARNER, "sub": "t-1", "name": "Tim Berners", "roles": ["Instructor"]}
    claims = lti_platform.launch(client, **teacher).json()["claims"]
    _, nrps = _services(tool, claims)

    members = {m["user_id"]: m for m in nrps.get_members()}

    assert set(members) == {"s-2", "t-1"}  # the launching instructor is a member too
    assert members["s-2"]["name"] == "Grace Hopper"
    assert members["s-2"]["email"] == "grace@example.org"
    assert members["s-2"]["roles"] == [LIS_MEMBERSHIP + "Learner"]
    assert members["t-1"]["roles"] == [LIS_MEMBERSHIP + "Instructor"]
    assert nrps.get_context()["id"] == "course-1"


def test_fail_next_fails_the_next_service_calls(lti_platform, tool, client):
    claims = lti_platform.launch(client, **LEARNER, lineitem=True).json()["claims"]
    ags, _ = _services(tool, claims)

    lti_platform.fail_next(1, status=503, only="ags")
    with pytest.raises(LtiServiceException) as failed:
        ags.put_grade(_grade("learner-1", 500))
    assert failed.value.response.status_code == 503
    assert lti_platform.scores == {}

    ags.put_grade(_grade("learner-1", 500))  # the retry goes through
    assert [s["scoreGiven"] for s in lti_platform.scores[claims[AGS_CLAIM]["lineitem"]]] == [500]
    assert [e["status"] for e in lti_platform.service_log if e["kind"] == "ags"] == [503, 201]

    lti_platform.fail_next(1, status=500)  # any service: here the token request
    fresh_ags, _ = _services(tool, claims)
    with pytest.raises(LtiServiceException):
        fresh_ags.put_grade(_grade("learner-1", 510))


def test_deep_linking_round_trip_places_a_link_with_its_line_item(lti_platform, tool, client):
    teacher = {**LEARNER, "sub": "t-1", "name": "Tim Berners", "roles": ["Instructor"]}
    answer = lti_platform.deep_link(client, **teacher)
    assert answer.status_code == 200
    settings = lti_platform.last_launch["claims"][DL_CLAIM]
    assert settings["deep_link_return_url"] == lti_platform.deep_link_return_url
    assert CLAIM + "resource_link" not in lti_platform.last_launch["claims"]

    [item] = lti_platform.receive_deep_link_response(answer)

    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "http://testserver/tool/launch/?blueprint=7"
    assert item["custom"] == {"blueprint": "7"}
    assert item["lineItem"]["scoreMaximum"] == 1000
    assert lti_platform.deep_links == [item]
    with pytest.raises(PlatformFlowError, match="already received"):
        lti_platform.receive_deep_link_response(answer)  # a replay places nothing twice
    [placement] = lti_platform.placements
    assert lti_platform.lineitems[placement["lineitem_url"]]["label"] == "Practice exam 7"

    # Launching the placed link carries its line item.
    claims = lti_platform.launch_placement(client, placement, **LEARNER).json()["claims"]
    assert claims[AGS_CLAIM]["lineitem"] == placement["lineitem_url"]
    assert claims[CLAIM + "target_link_uri"] == "http://testserver/tool/launch/?blueprint=7"


def test_deep_link_response_signed_by_another_key_is_refused(lti_platform, tool, client):
    teacher = {**LEARNER, "sub": "t-1", "roles": ["Instructor"]}
    lti_platform.deep_link(client, **teacher)
    forged = jwt.encode(
        {
            "iss": lti_platform.client_id,
            "aud": [lti_platform.issuer],
            CLAIM + "message_type": "LtiDeepLinkingResponse",
            CLAIM + "deployment_id": lti_platform.deployment_id,
        },
        _OTHER_PRIVATE,
        algorithm="RS256",
        headers={"kid": tool.find_registration_by_issuer(lti_platform.issuer).get_kid()},
    )
    with pytest.raises(PlatformFlowError, match="refused"):
        lti_platform.receive_deep_link_response(forged)
    assert lti_platform.deep_links == []


def test_django_lti_tool_launches_and_deep_links(lti_platform, db, client):
    """django-lti's own login and launch views (with its cookie check) work with the harness."""
    key = Key.objects.generate()
    registration = LtiRegistration.objects.create(
        name="Harness",
        issuer=lti_platform.issuer,
        client_id=lti_platform.client_id,
        auth_url=lti_platform.auth_url,
        token_url=lti_platform.token_url,
        keyset_url=lti_platform.keyset_url,
    )
    LtiDeployment.objects.create(
        registration=registration, deployment_id=lti_platform.deployment_id, is_active=True
    )
    lti_platform.register_tool(
        login_url=f"http://testserver/dl/{registration.uuid}/login/",
        launch_url="http://testserver/dl/launch/",
        tool_public_key_pem=key.public_key,
    )

    launched = lti_platform.launch(client, **LEARNER)
    assert launched.status_code == 200, launched.content
    assert launched.json()["sub"] == "learner-1"
    assert launched.json()["context"] == "Cloud Practitioner, spring"
    assert launched.json()["roles"] == [LIS_MEMBERSHIP + "Learner"]

    teacher = {**LEARNER, "sub": "t-1", "name": "Tim Berners", "roles": ["Instructor"]}
    [item] = lti_platform.receive_deep_link_response(lti_platform.deep_link(client, **teacher))
    assert (item["type"], item["title"]) == ("ltiResourceLink", "Exam")


def test_requests_session_against_a_live_server_with_the_tool_keyset_url(live_server):
    """The other browser: requests.Session against a live tool whose JWKS the platform fetches."""
    with LocalPlatform() as platform:
        conf = _configure_tool(platform, live_server.url, by_keyset_url=True)
        try:
            with requests.Session() as browser:
                response = platform.launch(browser, **LEARNER, lineitem=True)
                assert response.status_code == 200, response.text
                claims = response.json()["claims"]
            ags, _ = _services(conf, claims)
            ags.put_grade(_grade("learner-1", 900))  # the token request fetched the tool JWKS
            assert platform.scores[claims[AGS_CLAIM]["lineitem"]][0]["scoreGiven"] == 900

            # The tool rotates its key: the platform fetches the keyset again for the new kid.
            new_private, new_public = _new_key_pair()
            conf.set_private_key(platform.issuer, new_private, client_id=platform.client_id)
            conf.set_public_key(platform.issuer, new_public, client_id=platform.client_id)
            ags, _ = _services(conf, claims)
            ags.put_grade(_grade("learner-1", 950))
            assert platform.scores[claims[AGS_CLAIM]["lineitem"]][1]["scoreGiven"] == 950
        finally:
            _TOOL.clear()


def test_stop_frees_the_port_and_platforms_share_nothing():
    first, second = LocalPlatform().start(), LocalPlatform().start()
    try:
        assert first.issuer != second.issuer
        first.add_member("c", sub="u", name="U One", email="u@example.org", roles=["Learner"])
        assert second._contexts == {}
    finally:
        first.stop()
        second.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(first.keyset_url, timeout=2)
