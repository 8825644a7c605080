"""The site's fixed-window counters (rate limits, connect limits, throttles): one cache round trip
for any number of keys on Redis, the same counts on any other Django cache."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.test import override_settings

from marketplace.services import window_count, window_counts
from tests.base import BaseTestCase


class WindowCountTests(BaseTestCase):
    def keys(self) -> list[str]:
        tag = uuid.uuid4().hex
        return [f"test:window:{tag}:a", f"test:window:{tag}:b"]

    def test_counts_start_at_one_and_grow_per_key(self) -> None:
        a, b = self.keys()
        self.assertEqual(window_counts([a, b], window=60), [1, 1])
        self.assertEqual(window_counts([a, b], window=60), [2, 2])
        self.assertEqual(window_count(a, window=60), 3)
        self.assertEqual((cache.get(a), cache.get(b)), (3, 2))  # readable back at the key

    def test_a_window_is_fixed_by_its_first_hit(self) -> None:
        a, _ = self.keys()
        window_count(a, window=60)
        client = cache._cache.get_client(write=True)
        client.expire(cache.make_and_validate_key(a), 5)  # as if 55 s had passed
        window_count(a, window=60)
        ttl = client.ttl(cache.make_and_validate_key(a))
        self.assertTrue(0 < ttl <= 5, ttl)  # a later hit does not extend the window

    def test_one_round_trip_on_redis(self) -> None:
        a, b = self.keys()
        client = cache._cache.get_client(write=True)
        calls: list[object] = []
        original = client.connection_pool.get_connection

        def counted(*args: object, **kwargs: object) -> object:
            calls.append(args)
            return original(*args, **kwargs)

        client.connection_pool.get_connection = counted
        try:
            window_counts([a, b], window=60)
        finally:
            del client.connection_pool.get_connection
        self.assertEqual(len(calls), 1)

    @override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
    def test_any_django_cache_counts_the_same(self) -> None:
        a, b = self.keys()
        self.assertEqual(window_counts([a, b], window=60), [1, 1])
        self.assertEqual(window_counts([a], window=60), [2])
        self.assertEqual(cache.get(a), 2)
