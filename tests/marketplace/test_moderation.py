from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse

from marketplace.models import Listing, Status
from marketplace.moderation import MODERATORS
from tests.base import BaseTestCase, make_listing


class ModeratorsGroupTests(BaseTestCase):
    def test_migration_made_the_group_with_only_what_moderators_need(self) -> None:
        group = Group.objects.get(name=MODERATORS)
        perms = set(group.permissions.values_list("content_type__app_label", "codename"))
        # Later apps add their own models' permissions; no moderator may add or delete anything.
        self.assertFalse({codename for _, codename in perms if codename.startswith(("add_", "delete_"))})
        self.assertEqual(
            {perm for perm in perms if perm[0] in {"marketplace", "auth"}},
            {
                ("marketplace", "view_listing"),
                ("marketplace", "change_listing"),
                ("marketplace", "view_listingphoto"),
                ("marketplace", "view_profile"),
                ("auth", "view_user"),
                # the report queue (issue 17)
                ("marketplace", "view_report"),
                ("marketplace", "change_report"),
                ("marketplace", "view_review"),
                ("marketplace", "view_block"),
            },
        )


class ModeratorAdminTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.staff.groups.add(Group.objects.get(name=MODERATORS))
        self.login(self.staff)
        self.a = make_listing(self.alice, title="노트북 거치대", category="electronics")
        self.b = make_listing(self.bob, title="요가 매트", category="sports", status=Status.RESERVED)
        self.changelist = reverse("admin:marketplace_listing_changelist")

    def test_changelist_filters_and_search(self) -> None:
        response = self.client.get(self.changelist, {"status__exact": "reserved"})
        self.assertContains(response, "요가 매트")
        self.assertNotContains(response, "노트북 거치대")
        response = self.client.get(self.changelist, {"category__exact": "electronics"})
        self.assertContains(response, "노트북 거치대")
        response = self.client.get(self.changelist, {"q": "요가"})
        self.assertContains(response, "요가 매트")
        self.assertNotContains(response, "노트북 거치대")

    def test_actions_hide_and_mark_sold(self) -> None:
        ids = [self.a.pk, self.b.pk]
        self.client.post(self.changelist, {"action": "hide_listings", "_selected_action": ids})
        self.assertEqual(Listing.objects.filter(pk__in=ids, is_hidden=True).count(), 2)
        self.client.post(self.changelist, {"action": "mark_sold", "_selected_action": [self.a.pk]})
        self.a.refresh_from_db()
        self.assertEqual(self.a.status, Status.SOLD)

    def test_moderator_sees_users_with_profiles_but_cannot_change_them_or_delete_listings(self) -> None:
        response = self.client.get(reverse("admin:auth_user_change", args=[self.alice.pk]))
        self.assertContains(response, "앨리스상점")
        self.assertNotContains(response, 'name="is_superuser"')
        response = self.client.post(
            reverse("admin:auth_user_change", args=[self.alice.pk]), {"username": "x"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.client.get(reverse("admin:marketplace_listing_delete", args=[self.a.pk])).status_code, 403
        )
        self.assertEqual(self.client.get(reverse("admin:auth_group_changelist")).status_code, 403)

    def test_buyer_cannot_reach_the_admin(self) -> None:
        self.login(self.bob)
        response = self.client.get(self.changelist)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("admin:login"), response["Location"])
