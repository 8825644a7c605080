"""The admin's login page is throttled like the site's: staff passwords cannot be guessed there
at full speed, and failures on either page count against the same account and address."""

from __future__ import annotations

from django.test import override_settings

from tests.base import PASSWORD, BaseTestCase

THROTTLED = "로그인 시도가 너무 많아요."
ADMIN_LOGIN = "/admin/login/"


@override_settings(
    LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_USER_LIMIT=5, LOGIN_FAILURE_IP_LIMIT=6, LOGIN_FAILURE_WINDOW=600
)
class AdminLoginThrottleTests(BaseTestCase):
    def admin_attempt(self, password: str, ip: str = "10.1.0.1", username: str = "staff"):
        return self.client.post(
            ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
        )

    def test_right_password_still_logs_a_staff_user_in(self) -> None:
        response = self.admin_attempt(PASSWORD)
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.staff.pk)

    def test_staff_account_is_throttled_after_the_limit_even_with_the_right_password(self) -> None:
        for _ in range(3):
            self.assertNotContains(self.admin_attempt("wrong", ip="10.1.1.1"), THROTTLED)
        response = self.admin_attempt(PASSWORD, ip="10.1.1.1")
        self.assertContains(response, THROTTLED)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_admin_failures_count_for_the_site_login_too(self) -> None:
        for i in range(5):  # from many addresses: the account-wide counter
            self.admin_attempt("wrong", ip=f"10.1.3.{i}")
        response = self.client.post(
            "/accounts/login/", {"username": "staff", "password": PASSWORD}, REMOTE_ADDR="10.1.4.1"
        )
        self.assertContains(response, THROTTLED)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_one_address_trying_many_accounts_is_throttled(self) -> None:
        for name in ("root", "admin", "alice", "bob", "charlie", "dave"):
            self.admin_attempt("wrong", ip="10.1.9.9", username=name)
        self.assertContains(self.admin_attempt(PASSWORD, ip="10.1.9.9"), THROTTLED)
        self.assertNotIn("_auth_user_id", self.client.session)
