from __future__ import annotations

from django.contrib.auth.models import User
from django.urls import reverse

from tests.base import BaseTestCase


class SignupTests(BaseTestCase):
    url = reverse("signup")

    def post(self, **overrides: str):
        data = {
            "username": "dana",
            "nickname": "다나마켓",
            "password1": "a-long-secret-77",
            "password2": "a-long-secret-77",
        }
        data.update(overrides)
        return self.client.post(self.url, data)

    def test_signup_creates_user_with_profile_and_logs_in(self) -> None:
        response = self.post()
        self.assertRedirects(response, reverse("listing_index"), fetch_redirect_response=False)
        user = User.objects.get(username="dana")
        self.assertEqual(user.profile.nickname, "다나마켓")
        self.assertEqual(int(self.client.session["_auth_user_id"]), user.pk)
        page = self.client.get(reverse("listing_index"))
        self.assertContains(page, "다나마켓님, 낼름에 오신 걸 환영해요!")
        self.assertContains(page, "로그아웃")

    def test_form_is_in_korean(self) -> None:
        response = self.client.get(self.url)
        for text in ("회원가입", "아이디", "닉네임", "비밀번호 확인", "가입하기"):
            self.assertContains(response, text)

    def test_weak_password_is_refused_in_korean(self) -> None:
        response = self.post(password1="12345678", password2="12345678")
        self.assertEqual(response.status_code, 200)
        errors = " ".join(response.context["form"].errors["password2"])
        self.assertIn("비밀번호", errors)  # Django's validators, translated
        self.assertFalse(User.objects.filter(username="dana").exists())

    def test_mismatched_passwords(self) -> None:
        response = self.post(password2="another-secret-88")
        self.assertContains(response, "두 비밀번호가 일치하지 않아요.")

    def test_taken_username_and_nickname(self) -> None:
        response = self.post(username="alice", nickname="앨리스상점")
        self.assertContains(response, "이미 사용 중인 아이디예요.")
        self.assertContains(response, "이미 사용 중인 닉네임이에요.")
        self.assertEqual(User.objects.filter(username="alice").count(), 1)

    def test_missing_nickname(self) -> None:
        response = self.post(nickname="")
        self.assertContains(response, "닉네임을 입력해 주세요.")

    def test_logout_is_a_post_and_ends_the_session(self) -> None:
        self.login(self.bob)
        self.assertEqual(self.client.get(reverse("logout")).status_code, 405)
        response = self.client.post(reverse("logout"))
        self.assertRedirects(response, reverse("listing_index"))
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_next_survives_login_to_signup(self) -> None:
        listing_url = "/listings/7/"
        login = self.client.get(reverse("login"), {"next": listing_url})
        # both ways to sign up from the login page: the header's button and the page's link
        self.assertContains(login, f'href="{self.url}?next=%2Flistings%2F7%2F"', count=2)
        form = self.client.get(self.url, {"next": listing_url})
        self.assertContains(form, f'name="next" value="{listing_url}"')
        response = self.post(next=listing_url)
        self.assertRedirects(response, listing_url, fetch_redirect_response=False)

    def test_offsite_next_is_ignored(self) -> None:
        response = self.post(next="https://evil.example/phish")
        self.assertRedirects(response, reverse("listing_index"), fetch_redirect_response=False)

    def test_username_is_what_the_hint_says(self) -> None:
        self.assertContains(self.client.get(self.url), "영문, 숫자, 밑줄(_)만 쓸 수 있어요.")
        for bad in ("김철수", "dana.kim", "a@b", "abc"):
            with self.subTest(username=bad):
                response = self.post(username=bad)
                self.assertContains(response, "아이디는 영문, 숫자, 밑줄(_)로 4~30자로 만들어 주세요.")
        self.assertFalse(User.objects.filter(username__in=["김철수", "dana.kim", "a@b", "abc"]).exists())
        self.post(username="dana_77")
        self.assertTrue(User.objects.filter(username="dana_77").exists())
