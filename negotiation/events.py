"""Sending chat events to a session's channel-layer group from synchronous code.

Writes announce what they stored with `messages_announce` / `after_commit`: the events leave
only once the transaction that stored the rows has committed (check, do, notify on commit), so
no client ever hears about a row that a rollback removed.

Services run in worker threads (Celery, the in-process pool, `database_sync_to_async`), so they
cannot await. Each process keeps one long-lived event loop in a daemon thread for its sends, so
a Redis channel layer keeps one connection pool instead of one per event. The in-memory layer
(the demo) is different: its queues belong to the web server's loop, so sends are scheduled
on that loop, which the consumer registers when a client connects.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import transaction

from . import protocol
from .models import group_name, seller_group_name, user_group_name

log = logging.getLogger(__name__)

EVENT_TYPE = "chat.event"  # handled by ChatConsumer.chat_event
SELLING_TYPE = "selling.event"  # handled by SellingConsumer.selling_event
LOGOUT_TYPE = "chat.logout"  # handled by ChatConsumer.chat_logout
RECHECK_TYPE = "chat.recheck"  # handled by ChatConsumer.chat_recheck
_SEND_TIMEOUT = 10.0

_lock = threading.Lock()
_home_loop: asyncio.AbstractEventLoop | None = None
_sender_loop: asyncio.AbstractEventLoop | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the consumer: the loop that serves WebSockets in this process."""
    global _home_loop
    _home_loop = loop


def _sender() -> asyncio.AbstractEventLoop:
    global _sender_loop
    with _lock:
        if _sender_loop is None or _sender_loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="nellm-chat-events", daemon=True).start()
            _sender_loop = loop
        return _sender_loop


def _target(layer: Any) -> asyncio.AbstractEventLoop:
    home = _home_loop
    if isinstance(layer, InMemoryChannelLayer) and home is not None and home.is_running():
        return home
    return _sender()


Payloads = list[tuple[dict[str, Any], dict[str, Any] | None]]


def group_send(group: str, payloads: Payloads) -> None:
    """Send protocol payloads, in order, to every client of `group` as one channel-layer event
    (each is its own frame to the client); a failure is logged, not raised, because the message
    it announces is already stored and a reconnect shows it. Each payload comes with the one for
    clients with the seller's view, or None when it is the same (the consumer picks)."""
    _layer_send(group, {"type": EVENT_TYPE, "payloads": payloads})


def user_logout(user_id: int) -> None:
    """Close every chat socket of a user who logged out (their session cookie is gone)."""
    _layer_send(user_group_name(user_id), {"type": LOGOUT_TYPE})


def user_sockets_recheck(user_id: int) -> None:
    """After commit: every chat socket of the user checks that its login still holds (the account
    was deactivated, deleted or given a new password, or one of its sessions was deleted) and
    closes if not."""
    after_commit(lambda: _layer_send(user_group_name(user_id), {"type": RECHECK_TYPE}))


def _layer_send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _target(layer)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        raise RuntimeError("group_send is for synchronous code; await the layer in async code")
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop)
    try:
        future.result(timeout=_SEND_TIMEOUT)
    except Exception:
        log.exception("chat event to %s was not sent", group)


def after_commit(fn: Callable[[], Any]) -> None:
    """Run `fn` once the current transaction commits (at once outside one); its failure is
    logged, never raised into the write that already committed."""
    transaction.on_commit(fn, robust=True)


def session_send(session_id: int, *payloads: dict[str, Any]) -> None:
    """Send to every client of one chat now (streamed pieces: nothing to commit)."""
    group_send(group_name(session_id), [(payload, None) for payload in payloads])


def messages_announce(*, session: Any, messages: Iterable[Any], typing: bool | None = None) -> None:
    """After commit: every stored message (the seller's view with the Advisor's decision), then
    the session's state, in one channel-layer event: a group send costs Redis calls per send
    and the web process a receive per event, whatever it carries."""
    payloads: Payloads = [
        (protocol.message_event(m), protocol.message_event(m, seller_view=True) if m.decision else None)
        for m in messages
    ]
    payloads.append((protocol.state_event(session, typing=typing), None))
    session_id = session.pk

    def send() -> None:
        group_send(group_name(session_id), payloads)

    # The seller's cockpit row first: whoever sees the chat event next finds the row sent too.
    cockpit_refresh(session_id=session_id, seller_id=session.listing.seller_id)
    after_commit(send)


def seller_send(seller_id: int, payload: dict[str, Any]) -> None:
    """Send to every cockpit socket of one seller now."""
    _layer_send(seller_group_name(seller_id), {"type": SELLING_TYPE, "payload": payload})


def cockpit_refresh(*, session_id: int, seller_id: int) -> None:
    """After commit: the chat's row, as it now stands, to its seller's cockpit, if one is open.
    The row is the heaviest read of a message's path, and most of the time nobody watches it. A
    cockpit that opens after the check joins its group before it reads its snapshot, which then
    holds this commit."""

    def send() -> None:
        from . import selectors

        if not group_listening(seller_group_name(seller_id)):
            return
        session = selectors.cockpit_session(session_id=session_id)
        if session is not None:
            seller_send(seller_id, protocol.row_event(protocol.cockpit_row(session)))

    after_commit(send)


def group_listening(group: str) -> bool:
    """Whether any socket is in `group` now (a layer this cannot ask: True)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    if isinstance(layer, InMemoryChannelLayer):
        return bool(layer.groups.get(group))
    if not isinstance(layer, RedisChannelLayer):
        return True

    async def members() -> int:
        # channels_redis keeps a group as a sorted set of channels scored by when they joined.
        key = layer._group_key(group)
        connection = layer.connection(layer.consistent_hash(group))
        return await connection.zcount(key, int(time.time()) - layer.group_expiry, "+inf")

    try:
        return bool(asyncio.run_coroutine_threadsafe(members(), _sender()).result(timeout=_SEND_TIMEOUT))
    except Exception:
        log.exception("could not ask the channel layer about %s", group)
        return True
