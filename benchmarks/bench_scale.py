"""The rules path at scale (issue 13): many buyers haggling for a fixed time through the real stack,
optionally among many more idle sockets, with loss and duplication checked in the database.

    .venv/bin/python benchmarks/bench_scale.py                       # 200 buyers, 1-3 s think, 60 s
    .venv/bin/python benchmarks/bench_scale.py --sockets 1000 --buyers 100   # 1,000 sockets, 100 haggle
    .venv/bin/python benchmarks/bench_scale.py --web 2               # two daphne processes
    make bench                                                       # both runs above, one after another

It makes its own PostgreSQL database (dropped at the end), seeds one listing and a chat per
socket, and starts `--web` daphne processes (channels_redis on Redis db 11, this run's own
prefixes) and one Celery worker `-P threads -c --threads` on this run's own queue. Every socket
connects first (`--connect-concurrency` handshakes at a time: the connect rate); then `--buyers`
of them haggle: send a Korean line, wait for the stored reply, think `--think` seconds, again,
for `--seconds`; the others stay connected and answer daphne's pings. The typing pace is the
site's default (the page paces a reply; the server sends it at once). Per message: time to the
first words (the first `chunk`, or the stored bot `message` when a quick reply comes whole) and to
the stored bot `message`. Afterwards the database must hold each accepted
buyer message exactly once, each with exactly one reply. CPU seconds per process say what
limited the run. The limits that would refuse a benchmark client (every one is on 127.0.0.1 and
talks faster than a person) are raised in the servers' environment.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from bench_chat import (
    LINES,
    PG,
    REDIS_URL,
    admin,
    cpu_seconds,
    run_result,
    sample_note,
    seed,
    spread,
    stack_stop,
)
from psycopg import sql
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPLY_TIMEOUT = 30.0
TICKS = os.sysconf("SC_CLK_TCK")


def service_cpu(name: str) -> float:
    """CPU seconds of every process called `name` (PostgreSQL's postmaster and backends, reaped
    ones included through their parent; redis-server): the servers the stack shares with any
    other user of this machine."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text[text.index("(") + 1 : text.rindex(")")] != name:
            continue
        fields = text.rsplit(")", 1)[1].split()
        own = sum(int(f) for f in fields[11:13])
        # A parent of the same name (the postmaster) carries its reaped backends' time.
        reaped = sum(int(f) for f in fields[13:15])
        total += (own + reaped) / TICKS
    return total


class DatabaseCPU:
    """CPU seconds of the PostgreSQL backends connected to one database (this run's own work,
    where `postgres` counts anyone's on this machine), polled twice a second so that a backend
    which exits still counts, up to its last poll."""

    def __init__(self, database: str) -> None:
        self.needle = f" {database} ".encode()
        self.seen: dict[int, float] = {}
        self.stopped = threading.Event()
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while not self.stopped.wait(0.5):
            self.total()

    def total(self) -> float:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if self.needle in cmdline.read_bytes():
                    pid = int(cmdline.parent.name)
                    self.seen[pid] = max(self.seen.get(pid, 0.0), cpu_seconds(pid))
            except (OSError, ValueError):
                continue
        return sum(self.seen.values())


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


async def connect_all(ports: list[int], chats: list[tuple[int, str]], concurrency: int) -> tuple[list, float]:
    from tests.negotiation import live

    gate = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(chats), desc="connecting", unit="socket", leave=False)

    failures: Counter[str] = Counter()

    async def one(i: int, session_id: int, cookie: str):
        # A handshake that fails is tried again after a pause, as the chat page does; each
        # failure is counted (daphne resets one it could not accept within 5 s).
        for attempt in range(6):
            async with gate:
                try:
                    client = await live.ws_connect(
                        ports[i % len(ports)], f"/ws/chat/{session_id}/", cookie=cookie
                    )
                    if client is not None and (await client.recv())["type"] == "history":
                        bar.update()
                        return client
                    failures["refused"] += 1
                except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
                    failures[type(error).__name__] += 1
            await asyncio.sleep(0.5 * 2**attempt)
        raise RuntimeError(f"no handshake for session {session_id} after 6 tries")

    start = time.perf_counter()
    clients = await asyncio.gather(*(one(i, s, c) for i, (s, c) in enumerate(chats)))
    bar.close()
    return clients, time.perf_counter() - start, failures


async def haggle(client, index: int, until: float, think: tuple[float, float], out: dict) -> None:
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, think[1]))  # buyers arrive spread out, not in one burst
    n = 0
    while time.perf_counter() < until:
        text = LINES[n % len(LINES)].format(a=3 + index % 2, b=38 + index % 5)
        n += 1
        start = time.perf_counter()
        client.send({"type": "message", "text": text})
        out["sent"][index] += 1
        sample: dict = {"first_chunk": None, "reply": None, "error": None}
        while sample["reply"] is None and sample["error"] is None:
            try:
                event = await client.recv(max(0.01, start + REPLY_TIMEOUT - time.perf_counter()))
            except TimeoutError:
                sample["error"] = "timeout"
                break
            sample_note(sample, event, time.perf_counter() - start)
            if event["type"] == "error":
                out["refused"][index] += 1
        out["samples"].append(sample)
        if sample["error"] == "timeout":
            return  # the next message would only be refused as busy
        await asyncio.sleep(rng.uniform(*think))


async def idle(client, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await client.recv(1.0)  # answers pings; an idle chat gets no other events
        except TimeoutError:
            continue


class Phases:
    """CPU seconds per process in each phase (connecting, haggling), and with `--profile DIR`
    py-spy on daphne and the worker, one recording per phase (only threads holding the GIL:
    the CPU a Python process spends, not its waits)."""

    def __init__(self, folder: Path | None, pids: dict[str, int], cpu_now) -> None:
        self.folder, self.pids, self.cpu_now = folder, pids, cpu_now
        self.running: list[subprocess.Popen] = []
        self.cpu: dict[str, list[float]] = {}

    def start(self, phase: str) -> None:
        self.phase, self.before = phase, self.cpu_now()
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).parent / "py-spy"
        for name, pid in self.pids.items():
            out = self.folder / f"{phase}-{name}.txt"
            args = [str(spy), "record", "--format", "raw", "--gil", "-r", "100", "--pid", str(pid)]
            args += ["-o", str(out)]
            self.running.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        self.cpu[self.phase] = [a - b for a, b in zip(self.cpu_now(), self.before, strict=True)]
        for proc in self.running:
            proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for proc in self.running:
            proc.wait(timeout=60)
        self.running = []


async def run(ports, chats, args, phases: Phases) -> dict:
    phases.start("connect")
    clients, connect_wall, failures = await connect_all(ports, chats, args.connect_concurrency)
    phases.stop()
    out = {
        "sent": Counter(),
        "refused": Counter(),
        "samples": [],
        "connect_wall": connect_wall,
        "connect_failures": failures,
    }
    stop = asyncio.Event()
    idlers = [asyncio.create_task(idle(c, stop)) for c in clients[args.buyers :]]
    phases.start("haggle")
    start = time.perf_counter()
    until = start + args.seconds
    bar = tqdm(total=args.seconds, desc="haggling", unit="s", leave=False)
    tasks = [
        asyncio.create_task(haggle(c, i, until, tuple(args.think), out))
        for i, c in enumerate(clients[: args.buyers])
    ]
    while not all(t.done() for t in tasks):
        await asyncio.sleep(1)
        bar.n = min(args.seconds, int(time.perf_counter() - start))
        bar.set_postfix(replies=len(out["samples"]))
    bar.close()
    out["wall"] = time.perf_counter() - start
    phases.stop()
    for task in tasks:
        task.result()
    stop.set()
    await asyncio.gather(*idlers)
    out["still_open"] = sum(1 for c in clients if c.close_code is None)
    for client in clients:
        client.close()
    return out


def database_check(out: dict, chats: list[tuple[int, str]]) -> dict[str, int]:
    """Each accepted buyer message stored once, each with exactly one reply (the unique reply_to
    makes a second one impossible; counted anyway)."""
    from django.db.models import Count

    from negotiation.models import Message

    stored = Counter(
        dict(
            Message.objects.filter(role="buyer")
            .values_list("session_id")
            .annotate(n=Count("id"))
            .values_list("session_id", "n")
        )
    )
    lost = duplicated = 0
    for index, (session_id, _) in enumerate(chats):
        expected = out["sent"][index] - out["refused"][index]
        lost += max(0, expected - stored[session_id])
        duplicated += max(0, stored[session_id] - expected)
    replies = Message.objects.filter(role="bot", reply_to__isnull=False)
    duplicated += replies.count() - replies.values("reply_to").distinct().count()
    unanswered = Message.objects.filter(role="buyer", reply__isnull=True).count()
    return {"lost": lost, "duplicated": duplicated, "unanswered": unanswered, "stored": sum(stored.values())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=200, help="buyers who haggle")
    parser.add_argument("--sockets", type=int, default=0, help="sockets in all (idle ones fill up to it)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, nargs=2, default=[1.0, 3.0], metavar=("MIN", "MAX"))
    parser.add_argument("--web", type=int, default=1, help="daphne processes (clients spread over them)")
    parser.add_argument("--threads", type=int, default=8, help="the Celery worker's threads")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="handshakes at once")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="KEY=VALUE", help="for daphne and the worker"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample daphne and the worker with py-spy (root), a file per phase (benchmarks/pyspy_top.py)",
    )
    args = parser.parse_args()
    sockets = max(args.sockets, args.buyers)
    if args.buyers < 1 or args.web < 1:
        parser.error("--buyers and --web must be at least 1")

    db = f"nellm_bench_{uuid.uuid4().hex[:8]}"
    for key in [k for k in os.environ if k.startswith(("REDIS_URL", "CELERY_", "NELLM_", "CHANNELS_"))]:
        del os.environ[key]  # this process only seeds; the servers get their own environment
    procs: list = []
    env = None
    logs = Path(tempfile.mkdtemp(prefix="nellm-bench-scale-"))
    database_url = f"{PG}/{db}"
    # One secret for the seeding and the servers: the sessions it signs must hold in both.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="nellm_site.settings",
        DATABASE_URL=database_url,
        DEBUG="1",
        SECRET_KEY=os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
    )
    admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
    try:
        import django
        from django.core.management import call_command

        django.setup()
        from tests.negotiation import live

        setup = time.perf_counter()
        call_command("migrate", verbosity=0)
        chats = seed(sockets)
        env = live.service_env(
            redis_url=REDIS_URL,
            NELLM_CHAT_RATE_LIMIT=100_000,
            NELLM_CHAT_FRAME_USER_LIMIT=1_000,
            NELLM_CHAT_CONNECT_IP_LIMIT=sockets * 10,  # every client is on 127.0.0.1
            NELLM_CHAT_CONNECT_LIMIT=1_000,
            DATABASE_URL=database_url,
            DEBUG=0,  # as in production: DEBUG's query log costs CPU per query
            **dict(item.split("=", 1) for item in args.server_env),
        )
        ports = [live.free_port() for _ in range(args.web)]
        for i, port in enumerate(ports):
            procs.append(live.start_daphne(env, port, logs / f"daphne{i}.log"))
        procs.append(live.start_worker(env, logs / "worker.log", pool="threads", concurrency=args.threads))
        print(
            f"python {platform.python_version()}, {os.cpu_count()} CPUs, {dt.date.today().isoformat()}; "
            f"{args.buyers} buyers haggling ({args.think[0]:g}-{args.think[1]:g} s think) "
            f"for {args.seconds:g} s "
            f"among {sockets} sockets; {args.web} daphne, 1 worker -P threads -c {args.threads} "
            f"(setup {time.perf_counter() - setup:.1f} s) {' '.join(args.server_env)}"
        )

        backends = DatabaseCPU(db)

        def cpu_now() -> list[float]:
            # PostgreSQL and Redis serve anyone on this machine: theirs count every client's work.
            servers = [service_cpu("postgres"), backends.total(), service_cpu("redis-server")]
            return [cpu_seconds(p.pid) for p in procs] + [time.process_time()] + servers

        cpu_before = cpu_now()
        busy_before = machine_busy()
        names = [f"daphne{i}" for i in range(args.web)] + ["worker"]
        phases = Phases(args.profile, {n: p.pid for n, p in zip(names, procs, strict=True)}, cpu_now)
        out = asyncio.run(run(ports, chats, args, phases))
        backends.stopped.set()
        cpu = [after - before for after, before in zip(cpu_now(), cpu_before, strict=True)]
        busy_after = machine_busy()
        samples = out["samples"]
        answered = [s for s in samples if s["reply"] is not None]
        first = [s["first_chunk"] for s in answered if s["first_chunk"] is not None]
        errors = Counter(s["error"] for s in samples if s["error"])
        connects = sockets / out["connect_wall"]
        retried = out["connect_failures"]
        print(
            f"{'connects':<26} {sockets} sockets in {out['connect_wall']:.2f} s ({connects:.0f}/s), "
            f"{sum(retried.values())} handshakes tried again"
            + (f" ({', '.join(f'{k} {v}' for k, v in retried.most_common())})" if retried else "")
        )
        first_line = spread("time to first words", first) if first else "n/a"
        reply_line = spread("time to stored reply", [s["reply"] for s in answered]) if answered else "n/a"
        rate = len(answered) / out["wall"]
        sent = sum(out["sent"].values())
        print(f"{'offered':<26} {sent / out['wall']:7.1f} messages/s ({sent} in {out['wall']:.1f} s)")
        print(f"{'throughput':<26} {rate:7.1f} replies/s ({len(answered)} replies)")
        check = database_check(out, chats)
        print(
            f"{'database':<26} {check['stored']} buyer messages stored, {check['lost']} lost, "
            f"{check['duplicated']} duplicated, {check['unanswered']} unanswered"
        )
        print(f"{'sockets still open':<26} {out['still_open']} of {sockets}")
        names = [f"daphne{i}" for i in range(args.web)]
        names += ["worker", "clients", "postgres", "(its backends)", "redis"]
        window = out["connect_wall"] + out["wall"]
        print(
            f"{'CPU seconds':<26} "
            + ", ".join(f"{n} {c:.1f}" for n, c in zip(names, cpu, strict=True))
            + f" (over {window:.0f} s; machine busy "
            f"{100 * (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]):.0f}%)"
        )
        per = {"connect": sockets, "haggle": max(1, len(answered))}
        for phase, label in (("connect", "CPU ms per connect"), ("haggle", "CPU ms per reply")):
            print(
                f"{label:<26} "
                + ", ".join(
                    f"{n} {1000 * c / per[phase]:.1f}" for n, c in zip(names, phases.cpu[phase], strict=True)
                )
            )
        # The whole stack on this machine: the servers, their PostgreSQL backends, Redis, and the
        # load generator itself (it shares the cores it measures); "postgres" counts anyone's.
        stack = [i for i, n in enumerate(names) if n not in ("postgres",)]
        for phase, label in (("connect", "per connect"), ("haggle", "per reply")):
            used = sum(phases.cpu[phase][i] for i in stack)
            parts = "web, worker, clients, backends, redis"
            print(f"{'CPU ms ' + label + ', all':<26} {1000 * used / per[phase]:.1f} ({parts})")
        if errors:
            print("errors: " + ", ".join(f"{k} {v}" for k, v in errors.most_common()))
        failed = check["lost"] or check["duplicated"] or check["unanswered"] or errors
        print(
            f"SUMMARY buyers={args.buyers} sockets={sockets} web={args.web} threads={args.threads} "
            f"first chunk {first_line}, reply {reply_line}, {rate:.1f} replies/s, "
            f"{connects:.0f} connects/s, {sum(errors.values())} errors, "
            f"{check['lost']} lost, {check['duplicated']} duplicated; CPU ms per reply "
            f"{1000 * sum(phases.cpu['haggle'][: args.web + 1]) / per['haggle']:.1f} (web + worker), "
            f"per connect {1000 * sum(phases.cpu['connect'][: args.web + 1]) / per['connect']:.1f}"
        )
        return run_result(logs, failed=bool(failed))
    except BaseException:
        print(f"server logs kept in {logs}", file=sys.stderr)
        raise
    finally:
        stack_stop(procs, env, db)


if __name__ == "__main__":
    sys.exit(main())
