"""The Redis channel layer keeps an idle WebSocket: a receive that waits longer than redis-py's
default socket timeout must wait on, not fail."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import channel_layers
from django.conf import settings


@pytest.mark.skipif(not settings.REDIS_URL, reason="Redis is not answering on 127.0.0.1")
async def test_an_idle_receive_outlasts_the_blocking_pop() -> None:
    # A layer of its own: the process-wide one may be bound to another test's event loop.
    layer = channel_layers.make_backend("default")
    assert type(layer).__name__ == "RedisChannelLayer"
    channel = await layer.new_channel()
    waiter = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(6.5)  # past channels_redis's 5 s BZPOPMIN and redis-py's 5 s default
    assert not waiter.done(), waiter.exception() if waiter.done() else None
    await layer.send(channel, {"type": "hello"})
    assert (await asyncio.wait_for(waiter, 5))["type"] == "hello"
    await layer.flush()
