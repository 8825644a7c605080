from __future__ import annotations

from django.test import override_settings
from django.urls import reverse

from tests.base import PASSWORD, BaseTestCase

THROTTLED = "로그인 시도가 너무 많아요."


@override_settings(
    LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_USER_LIMIT=5, LOGIN_FAILURE_IP_LIMIT=6, LOGIN_FAILURE_WINDOW=600
)
class LoginThrottleTests(BaseTestCase):
    url = reverse("login")

    def attempt(self, username: str, password: str, ip: str = "10.0.0.1"):
        return self.client.post(self.url, {"username": username, "password": password}, REMOTE_ADDR=ip)

    def test_good_login_redirects(self) -> None:
        response = self.attempt("alice", PASSWORD)
        self.assertRedirects(response, reverse("listing_index"))

    def test_bad_password_has_a_clear_korean_error(self) -> None:
        response = self.attempt("alice", "wrong")
        self.assertContains(response, "아이디 또는 비밀번호가 올바르지 않아요.")

    def test_a_username_is_throttled_from_the_guessing_address_even_with_the_right_password(self) -> None:
        for _ in range(3):
            self.assertNotContains(self.attempt("alice", "wrong", ip="10.0.1.1"), THROTTLED)
        response = self.attempt("alice", PASSWORD, ip="10.0.1.1")
        self.assertContains(response, f"{THROTTLED} 10분 후에 다시 시도해 주세요.")
        self.assertNotIn("_auth_user_id", self.client.session)
        # The real owner elsewhere is not locked out by someone else's guessing ...
        self.assertRedirects(self.attempt("alice", PASSWORD, ip="10.0.2.1"), reverse("listing_index"))
        self.client.logout()
        # ... and another account from the same address is not either (shared office, NAT).
        self.assertRedirects(self.attempt("bob", PASSWORD, ip="10.0.1.1"), reverse("listing_index"))

    def test_guessing_one_account_from_many_addresses_locks_it(self) -> None:
        for i in range(5):
            self.attempt("alice", "wrong", ip=f"10.0.3.{i}")
        self.assertContains(self.attempt("alice", PASSWORD, ip="10.0.4.1"), THROTTLED)
        self.assertRedirects(self.attempt("bob", PASSWORD, ip="10.0.4.1"), reverse("listing_index"))

    def test_an_address_trying_many_accounts_is_throttled(self) -> None:
        for name in ("x1", "x2", "x3", "x4", "x5", "x6"):
            self.attempt(name, "wrong", ip="10.9.9.9")
        self.assertContains(self.attempt("charlie", PASSWORD, ip="10.9.9.9"), THROTTLED)
        self.assertRedirects(self.attempt("charlie", PASSWORD, ip="10.9.9.10"), reverse("listing_index"))

    def test_username_case_does_not_dodge_the_counter(self) -> None:
        for name in ("alice", "ALICE", " Alice"):
            self.attempt(name, "wrong", ip="10.1.1.1")
        self.assertContains(self.attempt("alice", PASSWORD, ip="10.1.1.1"), THROTTLED)

    def test_success_resets_the_account_counter(self) -> None:
        for _ in range(2):
            self.attempt("bob", "wrong", ip="10.4.0.1")
        self.assertRedirects(self.attempt("bob", PASSWORD, ip="10.4.0.1"), reverse("listing_index"))
        self.client.logout()
        for _ in range(2):
            self.attempt("bob", "wrong", ip="10.4.0.1")
        self.assertRedirects(self.attempt("bob", PASSWORD, ip="10.4.0.1"), reverse("listing_index"))
