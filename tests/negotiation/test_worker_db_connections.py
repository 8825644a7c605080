"""The generation worker keeps its database connection from one reply to the next.

Celery's Django fixup closes every connection before and after each task unless
CELERY_DB_REUSE_MAX is set, so with connections kept (DB_CONN_MAX_AGE) each reply still opened a
new PostgreSQL server process: ~50 a second at 40 replies/s, most of PostgreSQL's CPU in
`bench_scale.py`. Real daphne and a real one-thread Celery worker on this run's database; the
worker's connections are told apart by their application name.
"""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection

from tests.base import make_listing, make_user
from tests.negotiation import live

REDIS_URL = "redis://127.0.0.1:6379/13"
APP_NAME = "nellm-worker-conn-test"
LINES = ("안녕하세요", "상태 어떤가요?", "4만5천원 가능할까요?", "직거래 되나요?", "4만7천원은요?")


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not live.redis_up(), reason="needs Redis on 127.0.0.1:6379"),
]


def _worker_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [APP_NAME],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_worker_answers_every_reply_on_one_kept_connection(tmp_path):
    from negotiation import services

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (the servers share the test database)")
    env = live.service_env(redis_url=REDIS_URL, DB_CONN_MAX_AGE=60)
    worker_env = {**env, "DATABASE_URL": f"{env['DATABASE_URL']}?application_name={APP_NAME}"}
    port = live.free_port()
    daphne = live.start_daphne(env, port, tmp_path / "daphne.log")
    worker = live.start_worker(worker_env, tmp_path / "worker.log", concurrency=1)
    try:
        seller, buyer = make_user("wc_s", "판매자"), make_user("wc_b", "구매자")
        listing = make_listing(seller, price=50_000, floor_price=40_100)
        session = services.session_open(listing=listing, buyer=buyer)
        cookie = live.session_cookie(buyer)
        seen: list[list[int]] = []

        async def scenario() -> None:
            client = await live.ws_connect(port, f"/ws/chat/{session.pk}/", cookie=cookie)
            assert (await client.recv())["type"] == "history"
            for text in LINES:
                client.send({"type": "message", "text": text})
                await client.until(lambda e: e["type"] == "message" and e["message"]["role"] == "bot")
                seen.append(await asyncio.to_thread(_worker_backends))
            client.close()

        asyncio.run(scenario())
    finally:
        live.stop(worker)
        live.stop(daphne)
    # After every reply the worker still holds its one connection, the same server process.
    assert all(len(pids) == 1 for pids in seen), seen
    assert len({pids[0] for pids in seen}) == 1, seen
