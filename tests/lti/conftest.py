"""The `lti_platform` fixture: a real LTI 1.3 platform (lti1p3platform) on 127.0.0.1."""

from __future__ import annotations

import pytest

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
