"""A storm of handshakes (a reconnect after a deploy, a crowd arriving) must not run the web
process out of channel-layer connections: each handshake joins two groups at once, and
redis-py's pool refuses (MaxConnectionsError) rather than waits beyond its size."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels_redis.core import RedisChannelLayer

from nellm_site import settings as site_settings


async def test_three_hundred_joins_at_once_all_succeed():
    config = site_settings.CHANNEL_LAYERS["default"]
    if not config["BACKEND"].startswith("channels_redis"):
        pytest.skip("needs REDIS_URL (the Redis channel layer)")
    layer = RedisChannelLayer(**{**config["CONFIG"], "prefix": f"pool{uuid.uuid4().hex[:8]}"})
    channels = [await layer.new_channel() for _ in range(300)]
    try:
        await asyncio.gather(*(layer.group_add("storm", c) for c in channels))
        await asyncio.gather(*(layer.group_discard("storm", c) for c in channels))
    finally:
        await layer.flush()
