"""Chat tests: a fresh in-memory channel layer and cache per test, in-process generation."""

from __future__ import annotations

import uuid

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from negotiation import dispatch, generators
from tests.base import make_cast, make_listing

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
