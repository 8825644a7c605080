"""Security tests reuse the chat fixtures: fresh channel layer and cache, fixed users, a listing
whose floor (27,300원) is an unusual amount so that a leak is easy to spot."""

from __future__ import annotations

from tests.negotiation.conftest import FLOOR, chat_settings, listing, people

__all__ = ["FLOOR", "chat_settings", "listing", "people"]
