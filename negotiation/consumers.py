"""The chat WebSocket `/ws/chat/<session id>/` and the seller's cockpit `/ws/selling/`.
The protocol lives in `protocol.py`."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections

from . import events, limits, protocol, replies, selectors, services
from .models import group_name, seller_group_name, user_group_name

log = logging.getLogger(__name__)

MAX_FRAME = 4096  # characters; a 500-character message plus JSON fits easily
FORBIDDEN = 4403
LOGGED_OUT = 4401
RATE_LIMITED = protocol.ProtocolError(
    "rate_limited", "메시지를 너무 빠르게 보내고 있어요. 잠시 후 다시 연결해 주세요."
)

_db_pool: ThreadPoolExecutor | None = None
_db_pool_lock = threading.Lock()


def _db(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """`fn` on a thread of the chat's own pool. Channels' default runs every consumer's database
    call on one shared thread, so one chat's slow query, or a write whose after-commit event waits
    on a blocked channel layer, stalled every chat of the process."""
    global _db_pool
    with _db_pool_lock:
        if _db_pool is None:
            _db_pool = ThreadPoolExecutor(settings.NELLM_CHAT_DB_THREADS, thread_name_prefix="nellm-chat-db")

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        # Inside the call's own context: the connection it opened is the one to hand back
        # (channels' own clean-up runs outside it and, on a pool of our own, misses it).
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False, executor=_db_pool)


class _SignedOut(Exception):
    """The socket's user was deactivated, changed their password or lost their session."""


class UnknownSocket(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.close(code=FORBIDDEN)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    registered = False
    role: str | None = None  # buyer, seller or staff, once joined

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first hops to its single shared sync thread to close stale
        # database connections, for every frame and every pushed event of every socket: a queue
        # that all sockets wait in. This consumer reaches the database only through `_db`, which
        # hands its connections back around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        await self._open(lambda: selectors.session_for_socket(session_id=self.session_id, user=self.user))

    async def _open(self, target: Callable[[], Any]) -> None:
        """The checks every socket of the site passes before it is accepted: a logged-in user,
        the connect limits, the user's socket cap, and `target()` (what the socket is for: None
        refuses it); then `_join`. Refused before accept, the handshake fails (HTTP 403)."""
        self.user = self.scope.get("user")
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.frames = limits.WindowCounter()
        self.checked_at = time.monotonic()
        client = self.scope.get("client") or ("unknown", 0)  # the real client: nellm_site/proxy.py
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=FORBIDDEN)
            return
        admitted, found = await _db(self._admit)(client[0], target)
        if not admitted or (
            found is not None
            and not limits.socket_register(user_id=self.user.pk, channel_name=self.channel_name)
        ):
            await self.close(code=limits.LIMITED)
            return
        if found is None:
            await self.close(code=FORBIDDEN)
            return
        self.registered = True
        try:
            await self._join(found)
        except BaseException:
            # A handshake that fails here never gets a disconnect: give the place back now.
            await self.disconnect(1011)
            raise

    async def _join(self, session: Any) -> None:
        events.bind_loop(asyncio.get_running_loop())
        # The listing's seller and staff also see the Advisor's decisions; buyers never do.
        self.seller_view = session.buyer_id != self.user.pk
        self.role = selectors.session_role(session=session, user=self.user)
        self.group = group_name(self.session_id)
        self.user_group = user_group_name(self.user.pk)
        # Join before reading the history, so nothing sent in between is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        history, session, last = await _db(self._history)()
        await self.send_json(history)
        await _db(self._joined)(session, last)

    def _admit(self, address: str, target: Callable[[], Any]) -> tuple[bool, Any]:
        """(within the connect limits, what the socket is for if the user may have it)."""
        if not limits.connect_allowed(user_id=self.user.pk, address=address):
            return False, None
        return True, target()

    def _history(self) -> tuple[dict[str, Any], Any, int]:
        """(the history event, the session it was read with, the last message's id)."""
        session = selectors.session_for_socket(session_id=self.session_id, user=self.user)
        messages = selectors.session_messages(session=session)
        history = protocol.history(
            messages, session, selectors.session_pending(session=session), seller_view=self.seller_view
        )
        return history, session, max((m.pk for m in messages), default=0)

    def _joined(self, session: Any, last: int) -> None:
        # Read up to what the history showed, unless the page is in the background (it reconnected
        # on its own: a dropped connection, a server restart) and sends `read` once it is seen. A
        # reply owed for too long is queued again. A reconnect storm is mostly chats with nothing
        # pending: they cost no sweep query.
        if "1" not in parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("hidden", []):
            services.session_read(session_id=self.session_id, user=self.user, session=session, last=last)
        if session.pending_message_id is not None:
            replies.pending_sweep(session_id=self.session_id)

    async def disconnect(self, code: int) -> None:
        if self.registered:
            self.registered = False
            limits.socket_unregister(user_id=self.user.pk, channel_name=self.channel_name)
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.user_group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # Every frame counts, before anything else is spent on it: a flood of malformed, busy or
        # finished requests costs the process as much as messages do.
        if not limits.frame_allowed(socket=self.frames, user_id=self.user.pk):
            await self._error(RATE_LIMITED)
            await self.close(code=limits.LIMITED)
            return
        if text_data is None or len(text_data) > MAX_FRAME:
            await self._error(
                protocol.ProtocolError("bad_request", "메시지가 너무 크거나 형식이 올바르지 않아요.")
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error(protocol.ProtocolError("bad_request", "메시지 형식이 올바르지 않아요."))
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self._handle(content)

    def _request(self, content: Any) -> None:
        request = protocol.parse_client(content)
        # Every write re-checks the account and the session: the socket outlives both.
        if not self._user_current():
            raise _SignedOut
        services.chat_request(session_id=self.session_id, user=self.user, request=request)

    async def _handle(self, content: Any) -> None:
        """Parse and serve one frame (`_request`, in a worker thread); a refusal is told to
        the sender in Korean, a failure logged and told as a temporary error."""
        try:
            await _db(self._request)(content)
        except protocol.ProtocolError as error:
            await self._error(error)
        except _SignedOut:
            await self.close(code=LOGGED_OUT)
        except Exception:
            log.exception("chat request failed")
            await self._error(
                protocol.ProtocolError(
                    "server_error", "일시적인 오류가 생겼어요. 잠시 후 다시 시도해 주세요."
                )
            )

    def _user_current(self) -> bool:
        self.checked_at = time.monotonic()
        return selectors.socket_user_current(user=self.user, session_key=self.session_key)

    async def _error(self, error: protocol.ProtocolError) -> None:
        await self.send_json(protocol.error_event(error.code, error.message))

    async def _push_allowed(self) -> bool:
        # Pushes re-check too, at most every NELLM_CHAT_AUTH_RECHECK_SECONDS: the close that a
        # deactivation or password change sends (chat_recheck) is the fast path, this the backstop.
        stale = time.monotonic() - self.checked_at > settings.NELLM_CHAT_AUTH_RECHECK_SECONDS
        if stale and not await _db(self._user_current)():
            await self.close(code=LOGGED_OUT)
            return False
        return True

    async def chat_event(self, event: dict[str, Any]) -> None:
        if not await self._push_allowed():
            return
        for payload, seller_payload in event["payloads"]:
            payload = seller_payload if seller_payload and self.seller_view else payload
            if payload.get("type") == protocol.READ_UP_TO and payload.get("role") == self.role:
                continue  # one's own read mark is the other side's news
            await self.send_json(payload)

    async def chat_recheck(self, event: dict[str, Any]) -> None:
        # The user's account or one of their sessions changed: is this socket's login still good?
        if not await _db(self._user_current)():
            await self.close(code=LOGGED_OUT)

    async def chat_logout(self, event: dict[str, Any]) -> None:
        # The user logged out somewhere: this socket's authentication is gone with the session.
        await self.close(code=LOGGED_OUT)


class SellingConsumer(ChatConsumer):
    """The seller's cockpit: a snapshot of every chat on their listings, then a row per change;
    the seller's moves name their chat (or listing). Same frame checks as the chat socket."""

    async def connect(self) -> None:
        await self._open(lambda: self.user)  # every member has a cockpit (empty without listings)

    async def _join(self, user: Any) -> None:
        events.bind_loop(asyncio.get_running_loop())
        self.seller_view = True
        self.group = seller_group_name(self.user.pk)
        self.user_group = user_group_name(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        await self.send_json(await _db(self._snapshot)())

    def _snapshot(self) -> dict[str, Any]:
        rows = selectors.cockpit_sessions(user=self.user)[: protocol.COCKPIT_ROWS]
        return protocol.cockpit_event([protocol.cockpit_row(s) for s in rows])

    def _request(self, content: Any) -> None:
        request = protocol.parse_selling(content)
        if not self._user_current():  # the same re-check as every chat write
            raise _SignedOut
        services.selling_request(user=self.user, request=request)

    async def selling_event(self, event: dict[str, Any]) -> None:
        if await self._push_allowed():
            await self.send_json(event["payload"])
