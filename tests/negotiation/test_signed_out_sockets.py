"""A chat socket lives only as long as its login: deactivating the user, changing their password
or deleting their session closes it (4401), and every write it takes re-checks the account and
the session, so even a change that sends no signal (a bulk update) stops it writing.

Through the real ASGI application with real session cookies: the check reads the session the
socket was opened with. Before, only logging out closed sockets; a deactivated or re-passworded
user's open socket went on storing messages.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client

from negotiation import services
from negotiation.models import Message
from nellm_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

CLOSED = {"type": "websocket.close", "code": 4401}


async def signed_in(user: User, path: str) -> tuple[WebsocketCommunicator, str]:
    """A connected socket at `path` on a fresh login of `user`, and that login's session key."""
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    headers = [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()),
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
    ]
    comm = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return comm, key


async def signed_in_socket(user: User, session_id: int) -> tuple[WebsocketCommunicator, str]:
    comm, key = await signed_in(user, f"/ws/chat/{session_id}/")
    assert (await comm.receive_json_from())["type"] == "history"
    return comm, key


@pytest.fixture
async def chats(people, listing):
    open_ = database_sync_to_async(services.session_open)
    return (
        await open_(listing=listing, buyer=people["bob"]),
        await open_(listing=listing, buyer=people["charlie"]),
    )


@database_sync_to_async
def change(user: User, **fields: object) -> None:
    user = User.objects.get(pk=user.pk)
    for name, value in fields.items():
        if name == "password":
            user.set_password(value)
        else:
            setattr(user, name, value)
    user.save()


async def test_deactivating_a_user_closes_their_sockets_only(people, chats) -> None:
    bob, _ = await signed_in_socket(people["bob"], chats[0].pk)
    charlie, _ = await signed_in_socket(people["charlie"], chats[1].pk)
    await change(people["bob"], is_active=False)
    assert await bob.receive_output(timeout=5) == CLOSED
    assert await charlie.receive_nothing(timeout=0.3)
    await charlie.disconnect()


async def test_a_new_password_closes_the_sockets_of_the_old_logins(people, chats) -> None:
    bob, _ = await signed_in_socket(people["bob"], chats[0].pk)
    await change(people["bob"], password="a-completely-new-password-7")
    assert await bob.receive_output(timeout=5) == CLOSED


async def test_deleting_a_session_closes_that_logins_sockets_and_no_other(people, chats) -> None:
    phone, phone_key = await signed_in_socket(people["bob"], chats[0].pk)
    laptop, _ = await signed_in_socket(people["bob"], chats[0].pk)
    await database_sync_to_async(Session.objects.filter(session_key=phone_key).delete)()
    assert await phone.receive_output(timeout=5) == CLOSED
    assert await laptop.receive_nothing(timeout=0.3)
    await laptop.send_json_to({"type": "message", "text": "아직 판매하시나요?"})
    assert (await laptop.receive_json_from(timeout=5))["type"] == "message"
    await laptop.disconnect()


async def test_every_write_rechecks_even_when_no_signal_was_sent(people, chats) -> None:
    bob, _ = await signed_in_socket(people["bob"], chats[0].pk)
    # A bulk update sends no signal: nothing tells the socket, the write itself must notice.
    await database_sync_to_async(User.objects.filter(pk=people["bob"].pk).update)(is_active=False)
    await bob.send_json_to({"type": "message", "text": "3만원에 주세요"})
    assert await bob.receive_output(timeout=5) == CLOSED
    assert not await database_sync_to_async(Message.objects.filter(role="buyer").exists)()


async def test_pushes_recheck_too(people, chats, settings) -> None:
    settings.NELLM_CHAT_AUTH_RECHECK_SECONDS = 0
    bob, _ = await signed_in_socket(people["bob"], chats[0].pk)
    await database_sync_to_async(User.objects.filter(pk=people["bob"].pk).update)(is_active=False)
    # The seller writes in bob's chat: the push finds bob's login gone and closes instead.
    await database_sync_to_async(services.message_submit)(
        session_id=chats[0].pk, user=people["alice"], text="네 아직 판매중이에요"
    )
    assert await bob.receive_output(timeout=5) == CLOSED


async def signed_in_cockpit(user: User) -> WebsocketCommunicator:
    comm, _ = await signed_in(user, "/ws/selling/")
    assert (await comm.receive_json_from())["type"] == "cockpit"
    return comm


async def test_the_cockpit_socket_rechecks_every_write_too(people, chats) -> None:
    # The seller's cockpit shares the chat socket's gate: a deactivated seller's open cockpit
    # must not take a chat over (nor accept an offer) on a login that no longer holds.
    alice = await signed_in_cockpit(people["alice"])
    await database_sync_to_async(User.objects.filter(pk=people["alice"].pk).update)(is_active=False)
    await alice.send_json_to({"type": "takeover", "session": chats[0].pk})
    assert await alice.receive_output(timeout=5) == CLOSED
    session = await database_sync_to_async(type(chats[0]).objects.get)(pk=chats[0].pk)
    assert not session.seller_in_control


async def test_the_cockpit_pushes_recheck_too(people, chats, settings) -> None:
    settings.NELLM_CHAT_AUTH_RECHECK_SECONDS = 0
    alice = await signed_in_cockpit(people["alice"])
    await database_sync_to_async(User.objects.filter(pk=people["alice"].pk).update)(is_active=False)
    # A buyer types: the push would reach a seller whose login is gone.
    await database_sync_to_async(services.buyer_typing)(session_id=chats[0].pk, user=people["bob"])
    assert await alice.receive_output(timeout=5) == CLOSED


async def test_a_moderators_suspension_closes_the_users_sockets(people, chats) -> None:
    from marketplace.models import Report
    from marketplace.services import report_handle

    bob, _ = await signed_in_socket(people["bob"], chats[0].pk)

    @database_sync_to_async
    def suspend_bob() -> None:
        report = Report.objects.create(
            reporter=people["alice"], target_user=people["bob"], kind="user", reason="abuse"
        )
        report_handle(report=report, action="suspend")

    await suspend_bob()
    assert await bob.receive_output(timeout=5) == CLOSED
