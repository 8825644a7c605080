from __future__ import annotations

from django.apps import AppConfig


class NegotiationConfig(AppConfig):
    name = "negotiation"
    verbose_name = "가격 협상"

    def ready(self) -> None:
        from marketplace.signals import listing_status_changed

        from . import services

        listing_status_changed.connect(services.sessions_follow_listing, dispatch_uid="negotiation-follow")
