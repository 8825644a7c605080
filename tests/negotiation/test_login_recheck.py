"""The login re-check every chat write makes (`socket_user_current`): one query for the session's
row and the user's, and the same answers as Django's own `auth.get_user` on a fresh read of the
session, for changes that send no signal (bulk updates) as much as for those that do."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from negotiation.selectors import socket_user_current
from tests.base import BaseTestCase


class LoginRecheckTests(BaseTestCase):
    def login(self, user: User) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    def test_a_current_login_holds_in_one_query(self) -> None:
        key = self.login(self.bob)
        with CaptureQueriesContext(connection) as queries:
            self.assertTrue(socket_user_current(user=self.bob, session_key=key))
        self.assertEqual(len(queries), 1)

    def test_a_bulk_deactivation_ends_it(self) -> None:
        key = self.login(self.bob)
        User.objects.filter(pk=self.bob.pk).update(is_active=False)
        self.assertFalse(socket_user_current(user=self.bob, session_key=key))

    def test_a_bulk_password_change_ends_it(self) -> None:
        key = self.login(self.bob)
        User.objects.filter(pk=self.bob.pk).update(password=make_password("another-one-77"))
        self.assertFalse(socket_user_current(user=self.bob, session_key=key))

    def test_an_expired_or_deleted_session_ends_it(self) -> None:
        expired, deleted = self.login(self.bob), self.login(self.bob)
        Session.objects.filter(pk=expired).update(expire_date=timezone.now() - timedelta(seconds=1))
        Session.objects.filter(pk=deleted).delete()
        self.assertFalse(socket_user_current(user=self.bob, session_key=expired))
        self.assertFalse(socket_user_current(user=self.bob, session_key=deleted))
        self.assertFalse(socket_user_current(user=self.bob, session_key="no-such-session"))

    def test_anothers_session_does_not_hold_for_this_user(self) -> None:
        self.assertFalse(socket_user_current(user=self.bob, session_key=self.login(self.alice)))

    def test_a_session_signed_with_a_fallback_secret_still_holds(self) -> None:
        # As auth.get_user: a login whose hash was made with an older SECRET_KEY (rotated into
        # SECRET_KEY_FALLBACKS) is still good.
        with override_settings(SECRET_KEY="an-older-secret-key-" * 3):
            key = self.login(self.bob)
        with override_settings(SECRET_KEY_FALLBACKS=["an-older-secret-key-" * 3]):
            self.assertTrue(socket_user_current(user=self.bob, session_key=key))
        self.assertFalse(socket_user_current(user=self.bob, session_key=key))
