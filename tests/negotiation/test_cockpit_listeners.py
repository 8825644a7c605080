"""The seller's cockpit row (the heaviest read of a message's path) is built only while a cockpit
of that seller is open; one opened later shows the chat as it stands in its snapshot, and from
then on gets every row."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from negotiation import events, services
from negotiation.models import seller_group_name
from tests.negotiation.test_cockpit import cockpit_joined, open_session, row_for
from tests.negotiation.wsutil import receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def submit_counting_row_reads(session_id, user, text) -> int:
    """Queries of the message's path that read the cockpit row (its last-message subquery)."""
    with CaptureQueriesContext(connection) as queries:
        services.message_submit(session_id=session_id, user=user, text=text)
    return sum('"last_text"' in q["sql"] for q in queries.captured_queries)


async def test_a_cockpit_is_told_its_rows_only_while_it_is_open(people, listing) -> None:
    chat = await database_sync_to_async(open_session)(listing, people["bob"])
    group = seller_group_name(people["alice"].pk)
    assert not await database_sync_to_async(events.group_listening)(group)
    count = database_sync_to_async(submit_counting_row_reads)
    assert await count(chat.pk, people["alice"], "안녕하세요, 판매자예요") == 0  # nobody watching

    seller, rows = await cockpit_joined(people["alice"])
    assert await database_sync_to_async(events.group_listening)(group)
    # The snapshot holds what was written while no cockpit was open.
    assert [r["last"]["text"] for r in rows if r["id"] == chat.pk] == ["안녕하세요, 판매자예요"]
    assert await count(chat.pk, people["alice"], "3만원까지 가능해요") == 1
    told = await receive_until(seller, row_for(chat.pk))
    assert told[-1]["row"]["last"]["text"] == "3만원까지 가능해요"

    await seller.disconnect()
    assert not await database_sync_to_async(events.group_listening)(group)
