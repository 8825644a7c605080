"""End-to-end chat latency and throughput: N buyers at once on one listing, each sending K Korean
haggling lines over the real WebSocket and waiting for every reply before the next.

    .venv/bin/python benchmarks/bench_chat.py --mode celery [--buyers 20] [--messages 5]
    .venv/bin/python benchmarks/bench_chat.py --mode inprocess
    .venv/bin/python benchmarks/bench_chat.py --mode inprocess --database sqlite --buyers 50  # make demo

It creates its own PostgreSQL database (dropped at the end, even on failure), or with
`--database sqlite` a SQLite file in a temporary folder (the embedded default of `make demo`),
migrates it, seeds a listing and the buyers, and starts daphne on 127.0.0.1; `--mode celery`
also starts one Celery worker (`-P threads -c 4`) on Redis db 11 with its own queue and
prefixes, `--mode inprocess` leaves REDIS_URL unset (in-memory channel layer, in-process thread
pool). "First chunk" is the first `chunk`, or the stored reply when a quick one comes whole
(docs/PROTOCOL.md). Replies stream with NELLM_STREAM_DELAY_MS=0 (`--stream-delay-ms` sets it), so the figures
are the system's own cost, not the cosmetic typing pause, and NELLM_CHAT_RATE_LIMIT is raised so
the per-user limit never refuses a benchmark message (and the per-address connect limit, as every
buyer connects from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/11"
LINES = [
    "안녕하세요, 아직 판매 중인가요? 네고 가능할까요?",
    "{a}만원에 주시면 오늘 바로 직거래할게요",
    "상태는 어떤가요? 기스나 찍힘 있나요?",
    "{b},000원 어떠세요? 택배비는 제가 낼게요",
    "조금만 더 빼주시면 안 될까요? 학생이라서요 ㅠㅠ",
]
# Seconds for one reply; below daphne's ping interval + timeout (50 s), as the client sends no pongs.
REPLY_TIMEOUT = 30.0


def admin(statement: sql.Composable) -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def seed(buyers: int) -> list[tuple[int, str]]:
    """One listing and `buyers` buyers, each with an open chat: (session id, cookie) pairs."""
    from django.test import override_settings

    from marketplace.services import user_signup
    from negotiation.services import session_open
    from tests.negotiation import live

    # Throwaway accounts: a fast hasher spares seconds of PBKDF2 that nobody measures.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        listing = live.crowd_listing(seller_name="bench-seller")
        chats = []
        for i in range(buyers):
            buyer = user_signup(username=f"bench-buyer{i}", password=uuid.uuid4().hex, nickname=f"구매자{i}")
            chats.append((session_open(listing=listing, buyer=buyer).pk, live.session_cookie(buyer)))
    return chats


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children (/proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def sample_note(sample: dict, event: dict, now: float) -> None:
    """One server event for a message's sample: its first words, its stored reply, or a refusal."""
    if event["type"] == "chunk" and sample["first_chunk"] is None:
        sample["first_chunk"] = now
    elif event["type"] == "message" and event["message"]["role"] == "bot":
        sample["reply"] = now
        if sample["first_chunk"] is None:  # a quick reply comes whole: its first words too
            sample["first_chunk"] = now
    elif event["type"] == "error":
        sample["error"] = event["code"]


async def buyer_run(
    port: int, session_id: int, cookie: str, index: int, k: int, think: tuple[float, float] = (0.0, 0.0)
) -> list[dict]:
    """Send k lines one after another, `think` seconds (uniform) after each reply; per line the
    seconds to the first chunk and to the reply."""
    from tests.negotiation import live

    client = await live.ws_connect(port, f"/ws/chat/{session_id}/", cookie=cookie)
    if client is None:
        raise RuntimeError(f"handshake refused for session {session_id}")
    try:
        assert (await client.recv())["type"] == "history"
        samples = []
        rng = random.Random(index)
        for n in range(k):
            if n and think[1]:
                await asyncio.sleep(rng.uniform(*think))
            text = LINES[n % len(LINES)].format(a=3 + index % 2, b=38 + index % 5)
            start = time.perf_counter()
            client.send({"type": "message", "text": text})
            sample: dict = {"first_chunk": None, "reply": None, "error": None}
            deadline = start + REPLY_TIMEOUT
            while sample["reply"] is None and sample["error"] is None:
                try:
                    event = await client.recv(max(0.01, deadline - time.perf_counter()))
                except TimeoutError:  # a later message would only get `busy`: this buyer stops
                    sample["error"] = "timeout" + ("" if sample["first_chunk"] is None else " after a chunk")
                    samples.append(sample)
                    return samples
                sample_note(sample, event, time.perf_counter() - start)
            samples.append(sample)
        return samples
    finally:
        client.close()


async def crowd(
    port: int, chats: list[tuple[int, str]], k: int, think: tuple[float, float]
) -> tuple[list[dict], float]:
    start = time.perf_counter()
    runs = await asyncio.gather(*(buyer_run(port, s, c, i, k, think) for i, (s, c) in enumerate(chats)))
    return [sample for run in runs for sample in run], time.perf_counter() - start


def spread(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    line = f"p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms"
    print(f"{label:<26} {line}")
    return f"p50/p95 {statistics.median(ms):.0f}/{p95:.0f} ms"


def redis_forget(env: dict[str, str]) -> None:
    """Remove this run's keys (channel layer, cache, queue binding) from the shared Redis db."""
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    patterns = {f"{env['CHANNELS_PREFIX']}*", f"{env['CACHE_PREFIX']}*", f"*{env['NELLM_GENERATION_QUEUE']}*"}
    keys = [key for pattern in patterns for key in r.scan_iter(pattern)]
    if keys:
        r.delete(*keys)


def run_result(logs: Path, *, failed: bool) -> int:
    """The exit status; a failed run keeps the servers' logs."""
    if failed:
        print(f"server logs kept in {logs}")
        return 1
    shutil.rmtree(logs)
    return 0


def stack_stop(procs: list, env: dict[str, str] | None, database: str | None) -> None:
    """Stop the servers, drop the run's PostgreSQL database (if any) and forget its Redis keys."""
    from django.db import connections

    from tests.negotiation import live

    for proc in reversed(procs):
        live.stop(proc)
    connections.close_all()
    if database:
        admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
    if env and "CHANNELS_PREFIX" in env:
        redis_forget(env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["celery", "inprocess"], default="celery")
    parser.add_argument("--buyers", type=int, default=20, help="concurrent buyers (one chat each)")
    parser.add_argument("--messages", type=int, default=5, help="messages per buyer")
    parser.add_argument(
        "--database", choices=["postgres", "sqlite"], default="postgres", help="sqlite: the embedded default"
    )
    parser.add_argument("--stream-delay-ms", type=int, default=0, help="typing pace (the site's default: 40)")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=[0.0, 0.0],
        metavar=("MIN", "MAX"),
        help="seconds a buyer waits after a reply before the next line (default: none, back to back)",
    )
    args = parser.parse_args()
    if args.buyers < 1 or args.messages < 1:
        parser.error("--buyers and --messages must be at least 1")

    db = f"nellm_bench_{uuid.uuid4().hex[:8]}"
    for key in [k for k in os.environ if k.startswith(("REDIS_URL", "CELERY_", "NELLM_", "CHANNELS_"))]:
        del os.environ[key]  # this process only seeds; the servers get their own environment
    procs, env, logs = [], None, Path(tempfile.mkdtemp(prefix="nellm-bench-"))
    sqlite = args.database == "sqlite"
    database_url = f"sqlite:///{logs / 'db.sqlite3'}" if sqlite else f"{PG}/{db}"
    # One secret for the seeding and the servers: the sessions it signs must hold in both.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="nellm_site.settings",
        DATABASE_URL=database_url,
        DEBUG="1",
        SECRET_KEY=os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
    )
    if not sqlite:
        admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    try:
        import django
        from django.core.management import call_command

        django.setup()
        from tests.negotiation import live

        setup = time.perf_counter()
        call_command("migrate", verbosity=0)
        chats = seed(args.buyers)
        env = live.service_env(
            redis_url=REDIS_URL if args.mode == "celery" else None,
            NELLM_STREAM_DELAY_MS=args.stream_delay_ms,
            NELLM_CHAT_RATE_LIMIT=args.messages * 10,
            NELLM_CHAT_CONNECT_IP_LIMIT=max(300, args.buyers * 10),  # every buyer is on 127.0.0.1
            DATABASE_URL=database_url,
            DEBUG=0,  # as `make demo` and production run: DEBUG's query log costs CPU per query
        )
        port = live.free_port()
        procs.append(live.start_daphne(env, port, logs / "daphne.log"))
        if args.mode == "celery":
            procs.append(live.start_worker(env, logs / "worker.log", pool="threads", concurrency=4))
        print(
            f"python {platform.python_version()}, {os.cpu_count()} CPUs, {dt.date.today().isoformat()}; "
            f"mode {args.mode}, {args.buyers} buyers x {args.messages} messages, "
            f"NELLM_STREAM_DELAY_MS={args.stream_delay_ms}, think {args.think[0]:g}-{args.think[1]:g} s "
            f"(setup {time.perf_counter() - setup:.1f} s, database {database_url})"
        )
        cpu_before = [cpu_seconds(p.pid) for p in procs] + [time.process_time()]
        samples, wall = asyncio.run(crowd(port, chats, args.messages, tuple(args.think)))
        cpu = [cpu_seconds(p.pid) for p in procs] + [time.process_time()]
        cpu = [after - before for after, before in zip(cpu, cpu_before, strict=True)]
        answered = [s for s in samples if s["reply"] is not None]
        errors = sorted({s["error"] for s in samples if s["error"]})
        first = [s["first_chunk"] for s in answered if s["first_chunk"] is not None]
        summary = [spread("time to first chunk", first)] if first else []
        summary.append(spread("time to stored reply", [s["reply"] for s in answered]) if answered else "n/a")
        rate = len(answered) / wall
        print(f"{'throughput':<26} {rate:7.1f} replies/s ({len(answered)} replies in {wall:.2f} s)")
        from negotiation.models import Message

        # Checked in the database, not only on the wire: a message refused or lost never got there.
        stored = Message.objects.filter(role="buyer").count()
        unanswered = Message.objects.filter(role="buyer", reply__isnull=True).count()
        print(f"{'stored':<26} {stored} of {len(samples)} buyer messages, {unanswered} of them with no reply")
        names = ["daphne"] + (["worker"] if args.mode == "celery" else []) + ["clients"]
        print(
            f"{'CPU ms per message':<26} "
            + ", ".join(f"{n} {1000 * c / len(samples):.1f}" for n, c in zip(names, cpu, strict=True))
            + " (handshakes included)"
        )
        if errors:
            print(f"errors: {len(samples) - len(answered)} messages unanswered ({', '.join(errors)})")
        print(
            f"SUMMARY mode={args.mode} database={args.database} buyers={args.buyers} "
            f"messages={args.messages} "
            f"first chunk {summary[0] if first else 'n/a'}, reply {summary[-1]}, {rate:.1f} replies/s, "
            f"{len(samples) - len(answered)} errors, {len(samples) - stored + unanswered} lost"
        )
        return run_result(
            logs, failed=len(answered) < len(samples) or stored < len(samples) or bool(unanswered)
        )
    except BaseException:
        print(f"server logs kept in {logs}", file=sys.stderr)
        raise
    finally:
        stack_stop(procs, env, None if sqlite else db)


if __name__ == "__main__":
    sys.exit(main())
