"""The chat WebSocket `/ws/chat/<session id>/` and the seller's cockpit `/ws/selling/`.
The protocol lives in `protocol.py`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import events, protocol, replies, selectors, services
from .models import group_name, seller_group_name, user_group_name

log = logging.getLogger(__name__)

MAX_FRAME = 4096  # characters; a 500-character message plus JSON fits easily
FORBIDDEN = 4403
LOGGED_OUT = 4401


class UnknownSocket(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.close(code=FORBIDDEN)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.user = self.scope.get("user")
        session = await database_sync_to_async(selectors.session_for_user)(
            session_id=self.session_id, user=self.user
        )
        if session is None:
            await self.close(code=FORBIDDEN)  # before accept: the handshake is refused
            return
        events.bind_loop(asyncio.get_running_loop())
        # The listing's seller and staff also see the Advisor's decisions; buyers never do.
        self.seller_view = session.buyer_id != self.user.pk
        self.group = group_name(self.session_id)
        self.user_group = user_group_name(self.user.pk)
        # Join before reading the history, so nothing sent in between is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(self._history)())
        await database_sync_to_async(services.session_read)(session_id=self.session_id, user=self.user)
        await database_sync_to_async(replies.pending_sweep)(session_id=self.session_id)

    def _history(self) -> dict[str, Any]:
        session = selectors.session_for_user(session_id=self.session_id, user=self.user)
        return protocol.history(
            selectors.session_messages(session=session),
            session,
            selectors.session_pending(session=session),
            seller_view=self.seller_view,
        )

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.user_group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
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
        services.chat_request(
            session_id=self.session_id, user=self.user, request=protocol.parse_client(content)
        )

    async def _handle(self, content: Any) -> None:
        """Parse and serve one frame (`_request`, in a worker thread); a refusal is told to
        the sender in Korean, a failure logged and told as a temporary error."""
        try:
            await database_sync_to_async(self._request)(content)
        except protocol.ProtocolError as error:
            await self._error(error)
        except Exception:
            log.exception("chat request failed")
            await self._error(
                protocol.ProtocolError(
                    "server_error", "일시적인 오류가 생겼어요. 잠시 후 다시 시도해 주세요."
                )
            )

    async def _error(self, error: protocol.ProtocolError) -> None:
        await self.send_json(protocol.error_event(error.code, error.message))

    async def chat_event(self, event: dict[str, Any]) -> None:
        seller_payload = event.get("seller_payload")
        await self.send_json(seller_payload if seller_payload and self.seller_view else event["payload"])

    async def chat_logout(self, event: dict[str, Any]) -> None:
        # The user logged out somewhere: this socket's authentication is gone with the session.
        await self.close(code=LOGGED_OUT)


class SellingConsumer(ChatConsumer):
    """The seller's cockpit: a snapshot of every chat on their listings, then a row per change;
    the seller's moves name their chat (or listing). Same frame checks as the chat socket."""

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=FORBIDDEN)
            return
        events.bind_loop(asyncio.get_running_loop())
        self.group = seller_group_name(self.user.pk)
        self.user_group = user_group_name(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        await self.accept()
        await self.send_json(await database_sync_to_async(self._snapshot)())

    def _snapshot(self) -> dict[str, Any]:
        rows = selectors.cockpit_sessions(user=self.user)[: protocol.COCKPIT_ROWS]
        return protocol.cockpit_event([protocol.cockpit_row(s) for s in rows])

    def _request(self, content: Any) -> None:
        services.selling_request(user=self.user, request=protocol.parse_selling(content))

    async def selling_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
