"""What one user can make the chat do: every frame counts against a budget (error frames too),
connects are rate-limited by user and by the real client address, sockets per user are capped,
and one chat's slow path (a slow query, a blocked channel-layer send) stalls no other chat.

Before, only stored messages were counted: a socket could send malformed, `busy` or `finished`
frames without end, open any number of sockets, and every socket's database call queued on one
shared thread behind the slowest.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from negotiation import services
from negotiation.models import ChatSession, group_name
from nellm_site.asgi import application
from tests.negotiation.wsutil import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

LIMITED = {"type": "websocket.close", "code": 4429}
open_session = database_sync_to_async(services.session_open)


async def connected(user, session_id: int) -> WebsocketCommunicator:
    comm = communicator(user, session_id)
    ok, code = await comm.connect()
    assert ok, code
    assert (await comm.receive_json_from())["type"] == "history"
    return comm


async def test_every_frame_counts_malformed_ones_too(people, listing, settings) -> None:
    settings.NELLM_CHAT_FRAME_LIMIT = 5
    session = await open_session(listing=listing, buyer=people["bob"])
    comm = await connected(people["bob"], session.pk)
    for _ in range(5):
        await comm.send_to(text_data="{not json")
        assert (await comm.receive_json_from())["code"] == "bad_request"
    await comm.send_to(text_data="{not json")
    refused = await comm.receive_json_from()
    assert refused["code"] == "rate_limited" and "너무 빠르게" in refused["message"]
    assert await comm.receive_output(timeout=5) == LIMITED


async def test_frames_a_finished_chat_refuses_count_too(people, listing, settings) -> None:
    settings.NELLM_CHAT_FRAME_LIMIT = 4
    session = await open_session(listing=listing, buyer=people["bob"])
    await database_sync_to_async(ChatSession.objects.filter(pk=session.pk).update)(state="failed")
    comm = await connected(people["bob"], session.pk)
    for _ in range(4):
        await comm.send_json_to({"type": "message", "text": "다시요"})
        assert (await comm.receive_json_from())["code"] == "finished"
    await comm.send_json_to({"type": "offer", "price": 30_000})
    assert (await comm.receive_json_from())["code"] == "rate_limited"
    assert await comm.receive_output(timeout=5) == LIMITED


async def test_the_frame_budget_is_per_user_across_their_sockets(people, listing, settings) -> None:
    settings.NELLM_CHAT_FRAME_LIMIT = 100
    settings.NELLM_CHAT_FRAME_USER_LIMIT = 6
    session = await open_session(listing=listing, buyer=people["bob"])
    tabs = [await connected(people["bob"], session.pk) for _ in range(2)]
    for _ in range(3):
        for tab in tabs:
            await tab.send_to(text_data="[]")
            assert (await tab.receive_json_from())["code"] == "bad_request"
    await tabs[1].send_to(text_data="[]")
    assert (await tabs[1].receive_json_from())["code"] == "rate_limited"
    assert await tabs[1].receive_output(timeout=5) == LIMITED
    await tabs[0].disconnect()


async def test_sockets_per_user_are_capped(people, listing, settings) -> None:
    settings.NELLM_CHAT_SOCKETS_PER_USER = 2
    session = await open_session(listing=listing, buyer=people["bob"])
    first, second = await connected(people["bob"], session.pk), await connected(people["bob"], session.pk)
    third = communicator(people["bob"], session.pk)
    assert await third.connect() == (False, 4429)
    # Another user is not affected, and a closed socket frees its place.
    charlie_session = await open_session(listing=listing, buyer=people["charlie"])
    charlie = await connected(people["charlie"], charlie_session.pk)
    await first.disconnect()
    again = await connected(people["bob"], session.pk)
    for comm in (second, charlie, again):
        await comm.disconnect()


async def test_a_handshake_that_fails_gives_its_place_back(people, listing, settings, monkeypatch) -> None:
    settings.NELLM_CHAT_SOCKETS_PER_USER = 1
    session = await open_session(listing=listing, buyer=people["bob"])

    def broken(**kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "session_read", broken)  # the last step of every handshake
    failing = communicator(people["bob"], session.pk)
    await failing.connect()
    assert (await failing.receive_json_from())["type"] == "history"
    with pytest.raises(RuntimeError):
        await failing.receive_output(timeout=5)  # the consumer crashed in its handshake
    monkeypatch.undo()
    await (await connected(people["bob"], session.pk)).disconnect()


async def test_connects_are_rate_limited_per_user(people, listing, settings) -> None:
    settings.NELLM_CHAT_CONNECT_LIMIT = 3
    session = await open_session(listing=listing, buyer=people["bob"])
    for _ in range(3):
        await (await connected(people["bob"], session.pk)).disconnect()
    assert await communicator(people["bob"], session.pk).connect() == (False, 4429)
    charlie_session = await open_session(listing=listing, buyer=people["charlie"])
    await (await connected(people["charlie"], charlie_session.pk)).disconnect()


async def real_stack_connect(user, session_id: int, *, forwarded_for: str) -> tuple[bool, int | None]:
    """Through the whole ASGI application, from the trusted proxy, for the client `forwarded_for`."""
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    cookie = (
        f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
    )
    headers = [
        (b"cookie", cookie.encode()),
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
        (b"x-forwarded-for", forwarded_for.encode()),
    ]
    comm = WebsocketCommunicator(application, f"/ws/chat/{session_id}/", headers=headers)
    comm.scope["client"] = ["10.0.0.7", 40000]
    result = await comm.connect()
    if result[0]:
        await comm.disconnect()
    return result


async def test_connects_are_rate_limited_per_real_client_address(people, listing, settings) -> None:
    settings.NELLM_TRUSTED_PROXIES = ["10.0.0.7"]
    settings.NELLM_CHAT_CONNECT_IP_LIMIT = 2
    buyers = [people["bob"], people["charlie"], people["staff"]]
    sessions = [await open_session(listing=listing, buyer=buyer) for buyer in buyers]
    assert (await real_stack_connect(buyers[0], sessions[0].pk, forwarded_for="203.0.113.5"))[0]
    assert (await real_stack_connect(buyers[1], sessions[1].pk, forwarded_for="203.0.113.5"))[0]
    # A third account from the same client is refused; a client next to it behind the same
    # proxy is not (the limit keys on the address the proxy saw, not on the proxy's).
    assert await real_stack_connect(buyers[2], sessions[2].pk, forwarded_for="203.0.113.5") == (False, 4429)
    assert (await real_stack_connect(buyers[2], sessions[2].pk, forwarded_for="203.0.113.6"))[0]


async def answered(comm: WebsocketCommunicator, text: str) -> None:
    """The sender's own stored message comes back: its write went through."""
    await comm.send_json_to({"type": "message", "text": text})
    await receive_until(
        comm, lambda e: e["type"] == "message" and e["message"]["role"] == "buyer", timeout=10
    )


async def test_a_slow_query_in_one_chat_stalls_no_other(people, listing, monkeypatch) -> None:
    slow = await open_session(listing=listing, buyer=people["bob"])
    other = await open_session(listing=listing, buyer=people["charlie"])
    release, entered = threading.Event(), threading.Event()
    submit = services.message_submit

    def stuck_for_bob(**kwargs: object) -> object:
        if kwargs["session_id"] == slow.pk:
            entered.set()
            release.wait(20)  # a query that takes its time
        return submit(**kwargs)

    monkeypatch.setattr(services, "message_submit", stuck_for_bob)
    bob, charlie = await connected(people["bob"], slow.pk), await connected(people["charlie"], other.pk)
    await bob.send_json_to({"type": "message", "text": "3만원 가능할까요?"})
    assert await asyncio.get_running_loop().run_in_executor(None, entered.wait, 10)
    try:
        await answered(charlie, "안녕하세요, 아직 판매하시나요?")  # while bob's call is still stuck
    finally:
        release.set()
    await receive_until(bob, lambda e: e["type"] == "message" and e["message"]["role"] == "buyer")
    for comm in (bob, charlie):
        await comm.disconnect()


async def test_a_blocked_channel_layer_send_in_one_chat_stalls_no_other(people, listing, monkeypatch) -> None:
    slow = await open_session(listing=listing, buyer=people["bob"])
    other = await open_session(listing=listing, buyer=people["charlie"])
    bob, charlie = await connected(people["bob"], slow.pk), await connected(people["charlie"], other.pk)
    layer = get_channel_layer()
    release, entered = asyncio.Event(), asyncio.Event()
    group_send = layer.group_send

    async def stuck_for_bob(group: str, message: dict) -> None:
        if group == group_name(slow.pk):
            entered.set()
            await release.wait()  # a layer that does not answer for this chat's group
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", stuck_for_bob)
    # Bob's write commits, then its after-commit event waits on the layer inside his call.
    await bob.send_json_to({"type": "message", "text": "3만원 가능할까요?"})
    await asyncio.wait_for(entered.wait(), 10)
    try:
        await answered(charlie, "안녕하세요, 아직 판매하시나요?")
    finally:
        release.set()
    await receive_until(bob, lambda e: e["type"] == "message" and e["message"]["role"] == "buyer")
    for comm in (bob, charlie):
        await comm.disconnect()
