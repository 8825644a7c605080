from __future__ import annotations

from django.urls import path

from . import views

app_name = "negotiation"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("open/<int:listing_id>/", views.session_open, name="open"),
    path("<int:session_id>/", views.session_detail, name="detail"),
    path("<int:session_id>/reservation/cancel/", views.reservation_cancel, name="reservation_cancel"),
]
