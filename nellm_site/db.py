"""Database connections and the threads that hold them.

Connections are kept between calls (`DB_CONN_MAX_AGE`) for the threads that live on: the chat
sockets' pool and the worker's threads reuse theirs. Django under ASGI runs each HTTP request on
a thread of its own that ends with the request, so a connection kept there is never used again,
yet holds a PostgreSQL server process until the garbage collector happens to free it: a burst of
page loads held about six idle connections per concurrent client. Those are closed as their
request ends, as with `DB_CONN_MAX_AGE=0`.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.db import connections


def request_connections_close(**_: Any) -> None:
    connections.close_all()


def asgi_requests_close_connections() -> None:
    # Sent on the request's own thread (Django closes the response there), ASGI requests only:
    # WSGI servers reuse their threads.
    request_finished.connect(
        request_connections_close, sender=ASGIHandler, dispatch_uid="nellm-asgi-request-connections"
    )
