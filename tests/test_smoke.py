from __future__ import annotations

from django.db import connection


def test_suite_database_is_configured(db) -> None:
    assert connection.vendor in {"postgresql", "sqlite"}
