"""What one user or one address may cost the chat: frames, connects, open sockets.

Two kinds of counters. Frames are counted in this process's memory, because every frame pays
for it and a cache round trip per frame would itself be the cost a flood imposes; that bounds
what one user can make one web process do (the harm: a few flooding sockets stalling every chat
of the process). Connects and stored messages are rarer and counted in the cache, so the limits
hold across web processes.
"""

from __future__ import annotations

import time
from collections.abc import Hashable

from django.conf import settings

from marketplace.services import window_counts

LIMITED = 4429  # close code: over a frame, connect or socket limit


class WindowCounter:
    """Fixed-window counts in this process, for any number of keys."""

    _PRUNE_AT = 10_000

    def __init__(self) -> None:
        self._slots: dict[Hashable, list[int]] = {}

    def hit(self, key: Hashable, *, window: float) -> int:
        """Count one event for `key`; the events so far in the current window, this one included."""
        index = int(time.monotonic() // window)
        slot = self._slots.get(key)
        if slot is None or slot[0] != index:
            if len(self._slots) >= self._PRUNE_AT:
                self._slots = {k: s for k, s in self._slots.items() if s[0] == index}
            slot = self._slots[key] = [index, 0]
        slot[1] += 1
        return slot[1]


_user_frames = WindowCounter()
_sockets: dict[int, set[str]] = {}


def frame_allowed(*, socket: WindowCounter, user_id: int) -> bool:
    """Count one received frame, whatever it turns out to be (an error frame costs as much)."""
    window = settings.NELLM_CHAT_FRAME_WINDOW
    on_socket = socket.hit(None, window=window)
    by_user = _user_frames.hit(user_id, window=window)
    return on_socket <= settings.NELLM_CHAT_FRAME_LIMIT and by_user <= settings.NELLM_CHAT_FRAME_USER_LIMIT


def socket_register(*, user_id: int, channel_name: str) -> bool:
    """Claim one of the user's NELLM_CHAT_SOCKETS_PER_USER sockets in this process; False when
    they are all taken."""
    open_ = _sockets.setdefault(user_id, set())
    if len(open_) >= settings.NELLM_CHAT_SOCKETS_PER_USER:
        return False
    open_.add(channel_name)
    return True


def socket_unregister(*, user_id: int, channel_name: str) -> None:
    open_ = _sockets.get(user_id)
    if open_ is not None:
        open_.discard(channel_name)
        if not open_:
            del _sockets[user_id]


def connect_allowed(*, user_id: int, address: str) -> bool:
    """Count one connect of `user_id` from `address` (the real client's, see nellm_site/proxy.py)."""
    window = settings.NELLM_CHAT_CONNECT_WINDOW
    by_user, by_address = window_counts(
        [f"chat:connect:user:{user_id}", f"chat:connect:ip:{address}"], window=window
    )
    return by_user <= settings.NELLM_CHAT_CONNECT_LIMIT and by_address <= settings.NELLM_CHAT_CONNECT_IP_LIMIT
