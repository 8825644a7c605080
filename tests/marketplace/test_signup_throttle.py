"""Sign-ups are rationed per address: fresh accounts are what probing a listing's price takes."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse

from tests.base import BaseTestCase

THROTTLED = "이 주소에서 가입이 너무 많아요. 60분 후에 다시 시도해 주세요."


@override_settings(SIGNUP_LIMIT=3, SIGNUP_WINDOW=3600)
class SignupThrottleTests(BaseTestCase):
    url = reverse("signup")

    def sign_up(self, name: str, ip: str):
        self.client.logout()
        data = {
            "username": name,
            "nickname": f"{name}닉",
            "password1": "a-long-secret-77",
            "password2": "a-long-secret-77",
        }
        return self.client.post(self.url, data, REMOTE_ADDR=ip)

    def test_a_fourth_account_from_one_address_is_refused_in_korean_and_others_go_on(self) -> None:
        for name in ("probe1", "probe2", "probe3"):
            self.assertEqual(self.sign_up(name, "10.9.0.1").status_code, 302)
        refused = self.sign_up("probe4", "10.9.0.1")
        self.assertContains(refused, THROTTLED)
        self.assertFalse(User.objects.filter(username="probe4").exists())
        self.assertEqual(self.sign_up("neighbour", "10.9.0.2").status_code, 302)

    def test_a_refused_form_is_not_counted_as_an_account(self) -> None:
        for _ in range(5):
            self.sign_up("alice", "10.9.1.1")  # taken: refused, no account made
        self.assertEqual(self.sign_up("fresh", "10.9.1.1").status_code, 302)
