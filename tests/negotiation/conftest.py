"""Chat tests: a fresh in-memory channel layer and cache per test, in-process generation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from negotiation import dispatch, generators
from tests.base import make_cast, make_listing, make_user

FLOOR = 27_300  # an unusual amount, so a leak is easy to spot in any text


@pytest.fixture(autouse=True)
def chat_settings():
    with override_settings(
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": uuid.uuid4().hex,
            }
        },
        NELLM_INPROCESS_GENERATION=True,
        NELLM_STREAM_DELAY_MS=0,
        NELLM_BACKEND="rules",
    ):
        channel_layers.backends.clear()
        generators.reset()
        yield
        assert dispatch.drain(timeout=30), "in-process replies still running after the test"
    channel_layers.backends.clear()
    generators.reset()


@pytest.fixture
def people(db):
    return make_cast()


@pytest.fixture
def listing(people):
    return make_listing(people["alice"], price=35_000, floor_price=FLOOR)


@pytest.fixture
def quiet_dispatch(monkeypatch, settings):
    """Replies are written only when a test calls `replies.reply_generate`, in the order it
    chooses (the interleavings of the property tests), and nobody is rate-limited."""
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    settings.NELLM_CHAT_RATE_LIMIT = 10_000
    return monkeypatch


def fresh_market(buyers: int) -> tuple[Any, list[Any]]:
    """A new seller's listing (35,000원, floor FLOOR) and `buyers` new buyers, their names unique
    per call: the examples of a property test share one database."""
    tag = uuid.uuid4().hex[:8]
    seller = make_user(f"s{tag}")
    return make_listing(seller, price=35_000, floor_price=FLOOR), [
        make_user(f"b{i}{tag}") for i in range(buyers)
    ]
