from django.test import RequestFactory

from core.client_ip import client_ip


def test_forwarded_header_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"


def test_behind_one_proxy_the_last_hop_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7", REMOTE_ADDR="10.0.0.1"
    )
    assert client_ip(request) == "198.51.100.7"  # the forged first hop is not trusted
