"""Live servers for end-to-end chat tests: daphne and Celery workers as subprocesses on the
pytest database, and a small WebSocket client."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def redis_up() -> bool:
    """Whether Redis answers on 127.0.0.1:6379 (the live servers' channel layer and broker)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def service_env(*, redis_url: str | None, **extra: Any) -> dict[str, str]:
    """The environment of a server on this test run's database, isolated from other runs:
    its own Redis prefixes and its own generation queue."""
    run = uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "CELERY_", "NELLM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="nellm_site.settings",
        DATABASE_URL=database_url(),
        DEBUG="1",
        PYTHONUNBUFFERED="1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    if redis_url:
        env.update(
            REDIS_URL=redis_url,
            CELERY_BROKER_URL=redis_url,
            CHANNELS_PREFIX=f"t{run}",
            CACHE_PREFIX=f"t{run}",
            NELLM_GENERATION_QUEUE=f"generation-{run}",
            NELLM_INPROCESS_GENERATION="0",
        )
    else:
        env["NELLM_INPROCESS_GENERATION"] = "1"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def start_daphne(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = start(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "nellm_site.asgi:application"], env, log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("daphne did not start")


def start_worker(
    env: dict[str, str], log: Path, *, pool: str = "threads", concurrency: int = 4
) -> subprocess.Popen:
    args = [
        str(BIN / "celery"),
        "-A",
        "nellm_site",
        "worker",
        "-Q",
        env["NELLM_GENERATION_QUEUE"],
        "-P",
        pool,
    ]
    args += [
        "-c",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
    ]
    proc = start(args, env, log)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:  # consuming starts after "ready"
        if proc.poll() is not None:
            raise RuntimeError(f"celery exited: {log.read_text()[-2000:]}")
        if "ready." in log.read_text(errors="replace"):
            return proc
        time.sleep(0.2)
    raise RuntimeError("celery worker did not start")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def crowd_listing(*, seller_name: str) -> Any:
    """A seller and one listing for a crowd of buyers (benchmarks and load tests)."""
    from marketplace.models import Category
    from marketplace.services import listing_create, user_signup

    seller = user_signup(username=seller_name, password=uuid.uuid4().hex, nickname="판매자")
    return listing_create(
        seller=seller,
        title="닌텐도 스위치 OLED 화이트",
        description="1년 사용, 박스와 충전기 포함, 액정 보호필름 부착해서 기스 없어요.",
        category=Category.ELECTRONICS,
        price=50_000,
        floor_price=41_000,
    )


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class WsClient:
    """A minimal RFC 6455 text-frame client on asyncio streams. autobahn cannot serve here: txaio
    is already bound to Twisted by daphne in this process, and no other client is installed."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.close_code: int | None = None

    def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        header = bytearray([0x81])
        if len(data) < 126:
            header.append(0x80 | len(data))
        else:
            header.append(0x80 | 126)
            header += struct.pack("!H", len(data))
        mask = os.urandom(4)
        self.writer.write(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    async def _frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    async def recv(self, timeout: float = 20) -> dict[str, Any]:
        while True:
            opcode, data = await asyncio.wait_for(self._frame(), timeout)
            if opcode == 0x1:
                return json.loads(data)
            if opcode == 0x9:  # daphne's keep-alive ping: a client that never answers is dropped
                self._control(0xA, data)
            if opcode == 0x8:
                self.close_code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
                raise ConnectionError(f"closed by the server ({self.close_code})")

    async def until(self, predicate, timeout: float = 30) -> list[dict[str, Any]]:
        got = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            payload = await self.recv(max(0.01, deadline - asyncio.get_running_loop().time()))
            got.append(payload)
            if predicate(payload):
                return got

    def _control(self, opcode: int, body: bytes) -> None:
        mask = os.urandom(4)
        self.writer.write(
            bytes([0x80 | opcode, 0x80 | len(body)])
            + mask
            + bytes(b ^ mask[i % 4] for i, b in enumerate(body))
        )

    def close(self) -> None:
        self._control(0x8, struct.pack("!H", 1000))
        self.writer.close()


async def ws_connect(port: int, path: str, *, cookie: str, origin: str | None = None) -> WsClient | None:
    """A connected client, or None when the server refuses the handshake."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin or f'http://127.0.0.1:{port}'}\r\nCookie: {cookie}\r\n\r\n"
    )
    writer.write(request.encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        return None
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()  # noqa: S324 (RFC 6455)
    accept = base64.b64encode(digest)
    assert accept in head, "bad Sec-WebSocket-Accept"
    return WsClient(reader, writer)
