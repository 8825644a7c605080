"""The negotiation pages outside `/chat/`: the seller's cockpit, notifications, the ranking."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("selling/", views.cockpit, name="selling"),
    path("notifications/", views.notification_list, name="notifications"),
    path("ranking/", views.ranking, name="ranking"),
]
