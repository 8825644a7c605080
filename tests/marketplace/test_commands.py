from __future__ import annotations

import io

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

from marketplace.demo import ACCOUNTS
from marketplace.models import Listing, ListingPhoto
from marketplace.moderation import MODERATORS
from tests.base import BaseTestCase

SELLER, BUYER = ACCOUNTS["seller"], ACCOUNTS["buyer"]


class SeedDemoTests(BaseTestCase):
    def test_seed_is_idempotent_and_prints_passwords(self) -> None:
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        listings = Listing.objects.filter(seller__username__startswith="demo_")
        count = listings.count()
        self.assertGreaterEqual(count, 30)
        self.assertGreaterEqual(listings.values("category").distinct().count(), 10)
        photos = ListingPhoto.objects.filter(listing__in=listings).count()
        self.assertTrue(count < photos <= 2 * count)  # every listing has one, some a second
        self.assertFalse(listings.filter(photos=None).exists())
        self.assertTrue(all(0 <= x.floor_price <= x.price for x in listings))
        self.assertEqual(listings.filter(neighborhood="").count(), 0)  # the sellers' 동네
        text = out.getvalue()
        self.assertIn(f"{SELLER['username']} / {SELLER['password']}", text)
        self.assertIn(f"{BUYER['username']} / {BUYER['password']}", text)
        self.assertIsNotNone(authenticate(username=SELLER["username"], password=SELLER["password"]))
        self.assertIsNotNone(authenticate(username=BUYER["username"], password=BUYER["password"]))

        call_command("seed_demo", stdout=io.StringIO())
        self.assertEqual(listings.count(), count)
        self.assertEqual(ListingPhoto.objects.filter(listing__in=listings).count(), photos)

    def test_listings_people_edited_or_deleted_are_not_brought_back(self) -> None:
        call_command("seed_demo", "--no-photos", stdout=io.StringIO())
        seller = User.objects.get(username=SELLER["username"])
        first, second = Listing.objects.filter(seller=seller)[:2]
        Listing.objects.filter(pk=first.pk).update(title="제목을 바꿨어요")
        second.delete()
        before = Listing.objects.count()
        out = io.StringIO()
        call_command("seed_demo", "--no-photos", stdout=out)
        self.assertEqual(Listing.objects.count(), before)
        self.assertIn("0 new listings", out.getvalue())


class CreateModeratorTests(BaseTestCase):
    def test_creates_staff_moderator_with_printed_password(self) -> None:
        out = io.StringIO()
        call_command("create_moderator", "mod1", "--generate-password", stdout=out)
        user = User.objects.get(username="mod1")
        self.assertTrue(user.is_staff)
        self.assertFalse(user.is_superuser)
        self.assertTrue(user.groups.filter(name=MODERATORS).exists())
        self.assertTrue(user.profile.nickname)
        password = out.getvalue().split("Password: ")[1].strip()
        self.assertIsNotNone(authenticate(username="mod1", password=password))

    def test_updates_an_existing_user_without_touching_the_password(self) -> None:
        out = io.StringIO()
        call_command("create_moderator", "charlie", stdout=out)
        self.charlie.refresh_from_db()
        self.assertTrue(self.charlie.is_staff)
        self.assertTrue(self.charlie.groups.filter(name=MODERATORS).exists())
        self.assertNotIn("Password:", out.getvalue())
        self.assertEqual(self.charlie.profile.nickname, "찰리")
