"""The `lti_platform` fixture: a real LTI 1.3 platform (lti1p3platform) on 127.0.0.1."""

from __future__ import annotations

import pytest

from lti import services
from tests.lti.flow import LAUNCH, LOGIN
from tests.lti.platform import LocalPlatform


@pytest.fixture
def lti_platform():
    """A fresh platform per test on a free port; its server thread is stopped afterwards.

    A request that crashed inside the platform (a harness bug, answered 500) fails the test.
    """
    platform = LocalPlatform().start()
    try:
        yield platform
    finally:
        platform.stop()
    if platform.errors:
        pytest.fail("the LTI platform crashed:\n" + "\n".join(platform.errors), pytrace=False)


@pytest.fixture
def tool(lti_platform, admin_user):
    """The platform registered here (as an admin would) and the tool registered there."""
    registration = services.platform_save(
        name="Harness LMS",
        issuer=lti_platform.issuer,
        client_id=lti_platform.client_id,
        deployment_ids=[lti_platform.deployment_id],
        keyset_url=lti_platform.keyset_url,
        auth_url=lti_platform.auth_url,
        token_url=lti_platform.token_url,
        actor=admin_user,
    )
    key, _ = services.keys_ensure()
    lti_platform.register_tool(
        login_url=LOGIN, launch_url=LAUNCH, tool_public_key_pem=key.public_key
    )
    return registration
