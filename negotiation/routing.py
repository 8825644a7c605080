from __future__ import annotations

from django.urls import path, re_path

from .consumers import ChatConsumer, SellingConsumer, UnknownSocket

websocket_urlpatterns = [
    path("ws/chat/<int:session_id>/", ChatConsumer.as_asgi()),
    path("ws/selling/", SellingConsumer.as_asgi()),
    # Any other socket path is refused at the handshake, not answered with a server error.
    re_path(r"", UnknownSocket.as_asgi()),
]
