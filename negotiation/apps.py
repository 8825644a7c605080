from __future__ import annotations

from django.apps import AppConfig


class NegotiationConfig(AppConfig):
    name = "negotiation"
    verbose_name = "가격 협상"
