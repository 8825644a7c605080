"""Behind the TLS proxy, through the real ASGI application as daphne calls it: forwarding headers
count only from NELLM_TRUSTED_PROXIES, and the login throttle keys on the real client address.

Before, every client behind the proxy had the proxy's address, so fifty failed logins anywhere
locked everybody out; and believing X-Forwarded-For from anyone would let one guesser rotate it.
"""

from __future__ import annotations

import gc
import uuid
from urllib.parse import urlencode

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import override_settings

from nellm_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "10.0.0.7"
THROTTLED = "로그인 시도가 너무 많아요."
CSRF = "a" * 32  # a cookie secret the form echoes back: the real CSRF check passes


@pytest.fixture(autouse=True)
def proxy_settings():
    with override_settings(
        NELLM_TRUSTED_PROXIES=[PROXY, "fd00::/8"],
        LOGIN_FAILURE_LIMIT=3,
        LOGIN_FAILURE_USER_LIMIT=100,
        LOGIN_FAILURE_IP_LIMIT=3,
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": uuid.uuid4().hex,
            }
        },
    ):
        yield
    # Each request's view ran in a thread of its own (the ASGI handler's); their database
    # connections close when those threads' objects are collected.
    gc.collect()


async def request(
    method: str, path: str, *, peer: str, headers: dict[str, str] | None = None, data: dict | None = None
) -> tuple[int, dict[bytes, bytes], str]:
    body = urlencode(data or {}).encode()
    raw_headers = [(b"host", b"testserver"), (b"cookie", f"csrftoken={CSRF}".encode())]
    if data is not None:
        raw_headers.append((b"content-type", b"application/x-www-form-urlencoded"))
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": [peer, 50123],
        "server": ["testserver", 8000],
    }
    comm = ApplicationCommunicator(application, scope)
    await comm.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await comm.receive_output(timeout=10)
    text = b""
    while True:
        message = await comm.receive_output(timeout=10)
        text += message.get("body", b"")
        if not message.get("more_body"):
            break
    return start["status"], dict(start["headers"]), text.decode()


async def login(username: str, *, peer: str, forwarded_for: str | None = None) -> str:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    data = {"username": username, "password": "wrong-password", "csrfmiddlewaretoken": CSRF}
    status, _, text = await request("POST", "/accounts/login/", peer=peer, headers=headers, data=data)
    assert status == 200, text[:500]
    return text


async def test_a_spoofed_forwarded_for_from_an_untrusted_address_is_ignored() -> None:
    for n in range(3):  # a new "address" each time: the throttle must still see one guesser
        assert THROTTLED not in await login(f"user{n}", peer="198.51.100.9", forwarded_for=f"203.0.113.{n}")
    assert THROTTLED in await login("user9", peer="198.51.100.9", forwarded_for="203.0.113.200")
    # The addresses it claimed are not locked out by it either.
    assert THROTTLED not in await login("user0", peer=PROXY, forwarded_for="203.0.113.0")


async def test_behind_the_trusted_proxy_each_client_has_its_own_address() -> None:
    for n in range(3):
        assert THROTTLED not in await login(f"user{n}", peer=PROXY, forwarded_for="203.0.113.5")
    assert THROTTLED in await login("user9", peer=PROXY, forwarded_for="203.0.113.5")
    # Another buyer behind the same proxy is not locked out with the guesser.
    assert THROTTLED not in await login("user9", peer=PROXY, forwarded_for="203.0.113.6")


async def test_behind_the_proxy_the_client_cannot_prepend_its_way_out() -> None:
    # The proxy appends the address it saw; what the client sent comes before it.
    for n in range(3):
        text = await login(f"user{n}", peer=PROXY, forwarded_for=f"192.0.2.{n}, 203.0.113.5")
        assert THROTTLED not in text
    assert THROTTLED in await login("user9", peer=PROXY, forwarded_for="192.0.2.99, 203.0.113.5")


async def test_a_chain_of_trusted_proxies_is_walked_back_to_the_client() -> None:
    for n in range(3):
        await login(f"user{n}", peer=PROXY, forwarded_for=f"203.0.113.8, fd00::{n + 1}")
    assert THROTTLED in await login("user9", peer="fd00::9", forwarded_for="203.0.113.8, 10.0.0.7")
    assert THROTTLED not in await login("user9", peer="fd00::9", forwarded_for="203.0.113.9")


async def test_only_the_proxy_can_say_the_request_came_over_https() -> None:
    # Over HTTPS Django's CSRF check also wants a Referer: it shows what is_secure() believed.
    data = {"username": "someone", "password": "wrong-password", "csrfmiddlewaretoken": CSRF}
    headers = {"X-Forwarded-Proto": "https"}
    status, _, _ = await request("POST", "/accounts/login/", peer="198.51.100.9", headers=headers, data=data)
    assert status == 200
    status, _, text = await request("POST", "/accounts/login/", peer=PROXY, headers=headers, data=data)
    assert status == 403, text[:300]


async def test_with_no_trusted_proxy_the_peer_is_the_client() -> None:
    with override_settings(NELLM_TRUSTED_PROXIES=[]):
        for n in range(3):
            await login(f"user{n}", peer=PROXY, forwarded_for=f"203.0.113.{n}")
        assert THROTTLED in await login("user9", peer=PROXY, forwarded_for="203.0.113.50")
