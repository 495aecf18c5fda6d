"""The whole flow with both sides on real HTTP: the tool on pytest-django's live server, the
platform (tests/lti/platform.py) given the tool's JWKS URL (it fetches the tool's keys to check
the deep-linking response and the token requests), and requests sessions as the browsers."""

import re

import pytest
import requests

from exams.models import Attempt
from exams.services import attempt_submit
from lti import services
from lti.models import GradePassback
from tests.factories.exams import short_blueprint
from tests.factories.questions import make_bank
from tests.lti.flow import answer_all
from tests.lti.platform import LocalPlatform

pytestmark = pytest.mark.django_db(transaction=True)


def _form(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_live_tool_with_its_keyset_url(live_server):
    make_bank(per_domain=4)
    blueprint = short_blueprint(slug="live-lti", title="Live LTI mock", question_count=5)
    with LocalPlatform() as platform:
        services.platform_save(
            name="Live LMS",
            issuer=platform.issuer,
            client_id=platform.client_id,
            deployment_ids=[platform.deployment_id],
            keyset_url=platform.keyset_url,
            auth_url=platform.auth_url,
            token_url=platform.token_url,
        )
        services.keys_ensure()
        platform.register_tool(
            login_url=f"{live_server.url}/lti/login/",
            launch_url=f"{live_server.url}/lti/launch/",
            tool_keyset_url=f"{live_server.url}/lti/jwks/",
        )
        course = {"context_id": "live-course", "context_title": "Live course"}
        with requests.Session() as teacher:
            picker = platform.deep_link(
                teacher,
                sub="t-1",
                name="Tia Teacher",
                email="tia@example.edu",
                roles=["Instructor"],
                **course,
            )
            assert picker.status_code == 200, picker.text
            fields = _form(picker.text)
            answer = teacher.post(
                f"{live_server.url}/lti/deep-link/",
                {**fields, "blueprint": blueprint.pk},
                headers={"Referer": f"{live_server.url}/lti/launch/"},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
            [item] = platform.receive_deep_link_response(answer.text)
        assert item["custom"] == {"blueprint": "live-lti"}
        placement = platform.placements[-1]

        with requests.Session() as learner:
            launched = platform.launch(
                learner,
                sub="l-1",
                name="Lee Learner",
                email="lee@example.edu",
                roles=["Learner"],
                resource_link_id=placement["resource_link_id"],
                custom=placement["custom"],
                **course,
            )
            assert launched.status_code == 302, launched.text
            exam_page = learner.get(live_server.url + launched.headers["Location"], timeout=10)
            assert exam_page.status_code == 200
            assert "Live LTI mock" in exam_page.text

        attempt = Attempt.objects.get(user__lti_users__sub="l-1")
        answer_all(attempt, right=False)
        attempt = attempt_submit(user=attempt.user, attempt_id=attempt.pk)  # commits: on_commit
        [score] = platform.scores[placement["lineitem_url"]]
        assert score["scoreGiven"] == attempt.scaled_score
        assert score["comment"].startswith("Not passed (scaled ")
        assert GradePassback.objects.get().state == GradePassback.State.SENT
