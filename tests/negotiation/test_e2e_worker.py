"""End to end on the real services: daphne with channels_redis on Redis, and real Celery
workers on Redis consuming this run's own `generation` queue, against the pytest database
(`transaction=True`, so the servers see the rows).

Covers: a message stored, streamed and answered by the worker; an outsider refused; a worker
killed mid-reply losing nothing; 20 buyers at once, one acceptance reserving the listing.
"""

from __future__ import annotations

import asyncio
import signal

import pytest

from marketplace.models import Status
from negotiation import replies, services
from negotiation.models import ChatSession, Message
from tests.base import make_listing, make_user
from tests.negotiation import live, slow_generator

REDIS_URL = "redis://127.0.0.1:6379/13"


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not live.redis_up(), reason="needs Redis on 127.0.0.1:6379"),
]


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the end-to-end test needs PostgreSQL (servers share the test database)")
    logs = tmp_path_factory.mktemp("e2e")
    env = live.service_env(
        redis_url=REDIS_URL,
        NELLM_STREAM_PARTIAL_AFTER_MS=0,  # even a quick reply is streamed: the chunks cross Redis too
        NELLM_REPLY_LOCK_TTL=2,
        NELLM_REPLY_STALE_SECONDS=1,
    )
    port = live.free_port()
    daphne = live.start_daphne(env, port, logs / "daphne.log")
    worker = live.start_worker(env, logs / "worker.log")
    state = {"env": env, "port": port, "worker": worker, "logs": logs}
    yield state
    live.stop(state["worker"])
    live.stop(daphne)


def is_reply(e: dict) -> bool:
    return e["type"] == "message" and e["message"]["role"] == "bot"


def chat(stack, buyer, listing):
    session = services.session_open(listing=listing, buyer=buyer)
    return session, live.session_cookie(buyer)


def test_message_is_answered_by_the_worker_and_outsiders_are_refused(stack):
    seller, buyer, outsider = make_user("s1", "판매1"), make_user("b1", "구매1"), make_user("o1", "외부1")
    listing = make_listing(seller, price=50_000, floor_price=40_100)
    session, cookie = chat(stack, buyer, listing)
    outsider_cookie = live.session_cookie(outsider)
    path = f"/ws/chat/{session.pk}/"

    async def scenario():
        client = await live.ws_connect(stack["port"], path, cookie=cookie)
        assert (await client.recv())["type"] == "history"
        client.send({"type": "message", "text": "안녕하세요, 4만원에 가능할까요?"})
        events = await client.until(is_reply)
        client.close()
        refused = await live.ws_connect(stack["port"], path, cookie=outsider_cookie)
        foreign = await live.ws_connect(stack["port"], path, cookie=cookie, origin="http://evil.example")
        return events, refused, foreign

    events, refused, foreign = asyncio.run(scenario())
    assert events[0]["type"] == "message" and events[0]["message"]["role"] == "buyer"
    chunks = "".join(e["text"] for e in events if e["type"] == "chunk")
    assert chunks == events[-1]["message"]["text"]
    assert refused is None and foreign is None
    reply = Message.objects.get(session=session, role="bot")
    assert reply.reply_to.text.startswith("안녕하세요") and reply.generator == "rules"


def test_worker_killed_mid_reply_loses_nothing(stack):
    seller, buyer = make_user("s2", "판매2"), make_user("b2", "구매2")
    listing = make_listing(seller, price=50_000, floor_price=40_100)
    session, cookie = chat(stack, buyer, listing)
    path = f"/ws/chat/{session.pk}/"
    live.stop(stack["worker"])
    slow_env = {**stack["env"], "NELLM_BACKEND": slow_generator.BACKEND, "NELLM_TEST_WORD_MS": "200"}
    slow = live.start_worker(slow_env, stack["logs"] / "slow.log", pool="solo")
    stack["worker"] = slow

    async def until_first_chunk():
        client = await live.ws_connect(stack["port"], path, cookie=cookie)
        await client.recv()
        client.send(
            {"type": "message", "text": "안녕하세요! 혹시 4만2천원에 직거래 가능하실까요? 오늘 바로 갈게요"}
        )
        await client.until(lambda e: e["type"] == "chunk")
        return client

    client_loop = asyncio.new_event_loop()
    client = client_loop.run_until_complete(until_first_chunk())
    live.stop(slow, signal.SIGKILL)  # the worker dies mid-reply
    client_loop.run_until_complete(asyncio.sleep(0.3))
    client.close()
    client_loop.close()
    assert not Message.objects.filter(session=session, role="bot").exists()
    session.refresh_from_db()
    assert session.pending_message is not None  # the buyer's message is stored and still owed

    stack["worker"] = live.start_worker(stack["env"], stack["logs"] / "worker2.log")

    async def reconnect():
        await asyncio.sleep(3)  # the dead worker's lock expires (TTL 2 s)
        client = await live.ws_connect(stack["port"], path, cookie=cookie)
        history = await client.recv()
        events = await client.until(is_reply, timeout=40)
        client.close()
        return history, events

    history, events = asyncio.run(reconnect())
    assert history["pending"]["reply_to"] == session.pending_message_id
    notices = [
        e["message"]["text"] for e in events if e["type"] == "message" and e["message"]["role"] == "system"
    ]
    assert notices == [replies.STALE_NOTICE]
    assert Message.objects.filter(session=session, role="bot").count() == 1
    session.refresh_from_db()
    assert session.pending_message is None


def test_twenty_buyers_at_once_and_one_acceptance(stack):
    seller = make_user("s3", "판매3")
    listing = make_listing(seller, price=60_000, floor_price=48_000)
    buyers = [make_user(f"crowd{i}", f"구매자{i}") for i in range(20)]
    chats = [chat(stack, b, listing) for b in buyers]

    async def scenario():
        clients = await asyncio.gather(
            *(live.ws_connect(stack["port"], f"/ws/chat/{s.pk}/", cookie=c) for s, c in chats)
        )
        for client in clients:
            await client.recv()
        for i, client in enumerate(clients):
            client.send({"type": "message", "text": f"안녕하세요, {50 + i % 5}000원에 가능할까요?"})
        answers = await asyncio.gather(*(c.until(is_reply, timeout=60) for c in clients))
        winner, others = clients[0], clients[1:]
        winner.send({"type": "offer", "price": 60_000})
        won = await winner.until(lambda e: e["type"] == "state" and e["state"] == "agreed", timeout=30)
        told = await asyncio.gather(
            *(c.until(lambda e: e["type"] == "state" and e["state"] == "waiting", timeout=30) for c in others)
        )
        for client in clients:
            client.close()
        return answers, won, told

    answers, won, told = asyncio.run(scenario())
    assert all(a[-1]["message"]["text"] for a in answers)
    # The bot takes the lower of the offer and its own standing offer.
    accept = Message.objects.get(session__listing=listing, role="bot", decision__act="final_accept")
    assert (
        won[-1]["agreed_price"] == accept.decision["price"] and 48_000 <= accept.decision["price"] <= 60_000
    )
    assert all(any(e["type"] == "message" and "예약중" in e["message"]["text"] for e in t) for t in told)
    listing.refresh_from_db()
    assert listing.status == Status.RESERVED
    assert Message.objects.filter(session__listing=listing, role="bot").count() == 21
    states = list(ChatSession.objects.filter(listing=listing).values_list("state", flat=True))
    assert sorted(states) == ["agreed"] + ["waiting"] * 19
