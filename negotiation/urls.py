from __future__ import annotations

app_name = "negotiation"
urlpatterns: list = []
