"""What one buyer message costs on the way to its stored reply: SQL queries, Redis commands and
channel-layer sends, counted per step, on the real stack (PostgreSQL, Redis cache and channel layer).

    .venv/bin/python benchmarks/profile_reply.py [--replies 50]

It makes its own PostgreSQL database (dropped at the end) and its own Redis key prefixes, opens
one chat, and for each of `--replies` Korean haggling lines calls the same services the
WebSocket consumer and the generation task call: `message_submit` (the web process's part) and
`reply_generate` (the worker's part), with the rules generator and no typing pause, and before
each message the socket's re-check of the login (`socket_user_current`, on a real session) that
the consumer makes around every write. Counts are means per message; the timings are the median
wall time and the median CPU time of this process per step, with DEBUG off as the servers run
(on a busy machine the CPU column is the steadier one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/12"
LINES = [
    "안녕하세요, 아직 판매 중인가요?",
    "3만원에 주시면 오늘 바로 직거래할게요",
    "상태는 어떤가요? 기스 있나요?",
    "38,000원 어떠세요?",
    "조금만 더 빼주시면 안 될까요?",
]


class Counts:
    """SQL statements (by verb), Redis commands (by name) and channel-layer sends in a block."""

    def __init__(self) -> None:
        self.sql: Counter[str] = Counter()
        self.redis: Counter[str] = Counter()
        self.sends = 0
        self.statements: list[str] = []


_current: list[Counts] = []


def _install_counters() -> None:
    import redis
    import redis.asyncio

    from negotiation import events

    def count_command(original):
        def wrapper(self, *args, **kwargs):
            if _current and args:
                _current[-1].redis[str(args[0]).upper()] += 1
            return original(self, *args, **kwargs)

        return wrapper

    def count_async_command(original):
        async def wrapper(self, *args, **kwargs):
            if _current and args:
                _current[-1].redis[str(args[0]).upper()] += 1
            return await original(self, *args, **kwargs)

        return wrapper

    def count_pipeline(original, asynchronous: bool):
        if asynchronous:

            async def run(self, *args, **kwargs):
                if _current:
                    _current[-1].redis["PIPELINE"] += 1
                return await original(self, *args, **kwargs)

            return run

        def run_sync(self, *args, **kwargs):
            if _current:
                _current[-1].redis["PIPELINE"] += 1
            return original(self, *args, **kwargs)

        return run_sync

    redis.Redis.execute_command = count_command(redis.Redis.execute_command)
    redis.client.Pipeline.execute = count_pipeline(redis.client.Pipeline.execute, False)
    redis.asyncio.Redis.execute_command = count_async_command(redis.asyncio.Redis.execute_command)
    redis.asyncio.client.Pipeline.execute = count_pipeline(redis.asyncio.client.Pipeline.execute, True)
    sender = events.group_send

    def counted_send(*args, **kwargs):
        if _current:
            _current[-1].sends += 1
        return sender(*args, **kwargs)

    events.group_send = counted_send


@contextmanager
def counting():
    from django.db import connection

    counts = Counts()

    def sql_wrapper(execute, statement, params, many, context):
        counts.sql[statement.lstrip().split(None, 1)[0].upper()] += 1
        counts.statements.append(statement)
        return execute(statement, params, many, context)

    _current.append(counts)
    try:
        with connection.execute_wrapper(sql_wrapper):
            yield counts
    finally:
        _current.pop()


def _fmt(counter: Counter[str], n: int) -> str:
    total = sum(counter.values()) / n
    parts = ", ".join(f"{name} {value / n:.1f}" for name, value in counter.most_common())
    return f"{total:5.1f}  ({parts})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=50)
    parser.add_argument("--show", action="store_true", help="print the SQL of the last message's steps")
    args = parser.parse_args()
    db, tag = f"nellm_profile_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
    for key in [k for k in os.environ if k.startswith(("REDIS_URL", "CELERY_", "NELLM_", "CHANNELS_"))]:
        del os.environ[key]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="nellm_site.settings",
        DATABASE_URL=f"{PG}/{db}",
        REDIS_URL=REDIS_URL,
        DEBUG="0",  # as the servers run: DEBUG's query log is CPU per query
        SECRET_KEY=uuid.uuid4().hex * 2,
        CHANNELS_PREFIX=f"prof{tag}",
        CACHE_PREFIX=f"prof{tag}",
        NELLM_STREAM_DELAY_MS="0",
        NELLM_CHAT_RATE_LIMIT="100000",
    )
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from django.conf import settings

        from marketplace.services import user_signup
        from negotiation import dispatch, replies, selectors, services
        from tests.negotiation import live

        dispatch.reply_enqueue = lambda *, message_id: None  # the reply is written below, counted apart
        _install_counters()
        listing = live.crowd_listing(seller_name=f"ps{tag}")  # the one the chat benchmarks use
        steps = {"web: login re-check": [], "web: message_submit": [], "worker: reply_generate": []}
        timings: dict[str, list[float]] = {name: [] for name in steps}
        cpu: dict[str, list[float]] = {name: [] for name in steps}

        def step(name: str, call, **kwargs):
            start, start_cpu = time.perf_counter(), time.process_time()
            with counting() as counts:
                result = call(**kwargs)
            timings[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            steps[name].append(counts)
            return result

        done = 0
        while done < args.replies:  # a fresh chat when the last one ended (deal or deadline)
            buyer = user_signup(
                username=f"pb{done}{tag}", password=uuid.uuid4().hex, nickname=f"구매자{done}"
            )
            session = services.session_open(listing=listing, buyer=buyer)
            key = live.session_cookie(buyer).split("=", 1)[1]
            assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
            for line in LINES * 3:
                session.refresh_from_db()
                if done >= args.replies or session.state != "open":
                    break
                assert step("web: login re-check", selectors.socket_user_current, user=buyer, session_key=key)
                message = step(
                    "web: message_submit",
                    services.message_submit,
                    session_id=session.pk,
                    user=buyer,
                    text=line,
                )
                step("worker: reply_generate", replies.reply_generate, message_id=message.pk)
                done += 1
        print(f"{done} buyer messages, each answered; means per message (PostgreSQL + Redis on 127.0.0.1)")
        for name, blocks in steps.items():
            n = len(blocks)
            sql_total = sum((b.sql for b in blocks), Counter())
            redis_total = sum((b.redis for b in blocks), Counter())
            sends = sum(b.sends for b in blocks) / n
            ms = statistics.median(timings[name]) * 1000
            cpu_ms = statistics.median(cpu[name]) * 1000
            print(f"{name:<24} median {ms:6.2f} ms wall, {cpu_ms:6.2f} ms CPU")
            print(f"  SQL queries   {_fmt(sql_total, n)}")
            print(f"  Redis calls   {_fmt(redis_total, n)}")
            print(f"  layer sends   {sends:5.1f}")
            if args.show:
                for statement in blocks[-1].statements:
                    print(f"    {statement[:160]}")
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(f"*prof{tag}*"))
        if keys:
            r.delete(*keys)


if __name__ == "__main__":
    sys.exit(main())
