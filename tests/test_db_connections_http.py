"""Database connections kept between calls (DB_CONN_MAX_AGE) are for threads that live on: the
chat sockets' pool, the worker's threads. Under daphne every HTTP request runs on a thread of its
own that ends with it, so a connection kept there is never used again, yet holds a PostgreSQL
server process until the garbage collector finds it: a burst of page loads held six idle
connections per concurrent client (max_connections is 100 for every process of the site)."""

from __future__ import annotations

import gc

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


def other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


async def served(application, path: str) -> dict:
    page = HttpCommunicator(application, "GET", path, headers=[(b"host", b"localhost")])
    response = await page.get_response()
    await page.wait(timeout=5)  # to the application's end, where Django closes the response
    return response


def test_a_page_served_over_asgi_gives_its_connection_back(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL's server processes")
    from nellm_site.asgi import application

    # As deployed (the test settings turn kept connections off for the sockets' pool).
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 60)
    before = other_backends()
    gc.disable()  # a dropped connection object must not be what closes it
    try:
        for _ in range(4):
            assert async_to_sync(served)(application, "/ranking/")["status"] == 200
        assert other_backends() == before
    finally:
        gc.enable()
