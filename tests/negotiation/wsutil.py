"""Helpers for WebsocketCommunicator tests."""

from __future__ import annotations

import asyncio
from typing import Any

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from negotiation.routing import websocket_urlpatterns


def communicator(user: Any, session_id: int) -> WebsocketCommunicator:
    """A client of the chat consumer with `user` already authenticated (the auth middleware
    has its own test through the real ASGI application)."""
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/chat/{session_id}/")
    comm.scope["user"] = user
    return comm


async def receive_until(comm: WebsocketCommunicator, predicate, *, timeout: float = 10.0) -> list[dict]:
    """Every payload received up to and including the first one for which predicate is true."""
    got: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no matching event within {timeout}s; got {got}")
        payload = await comm.receive_json_from(timeout=left)
        got.append(payload)
        if predicate(payload):
            return got


def is_reply(payload: dict) -> bool:
    return payload["type"] == "message" and payload["message"]["role"] == "bot"


async def joined(user: Any, session_id: int) -> WebsocketCommunicator:
    """A connected chat client of `user`, its history already read."""
    comm = communicator(user, session_id)
    assert (await comm.connect())[0]
    assert (await comm.receive_json_from())["type"] == "history"
    return comm
