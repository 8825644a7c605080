"""The floor price never reaches a buyer or an anonymous visitor.

The test walks the site like a visitor would — every link and GET form it finds, from the index
and its filters, through several listings' pages, to the error pages and forms sent with errors
— and checks the body, the headers and the template context of each response for the floor
numbers in every way people write them. The floors below are chosen so they never coincide with
another number on the pages (prices, ids, dates).
"""

from __future__ import annotations

import contextlib
import re
from collections import deque
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404

from marketplace.models import Listing, Status
from tests.base import BaseTestCase, korean_forms, make_listing

# (price, floor): floors are never the 80% default, so no form's initial value can give them away.
SECRETS = [(918000, 734300), (79000, 61700), (45000, 38900), (1250000, 987600), (30000, 26300)]
LINK = re.compile(r"""(?:href|action)="([^"#]*)""")
CSRF = re.compile(r"""(name="csrfmiddlewaretoken" value=")[^"]*""")
MARKETPLACE_URL_NAMES = {
    "listing_index",
    "listing_create",
    "listing_detail",
    "listing_edit",
    "listing_delete",
    "listing_hide",
    "listing_status",
    "my_listings",
    "signup",
    "login",
    "logout",
    # issue 17's pages and actions
    "user_profile",
    "report_create",
    "my_likes",
    "my_profile",
    "listing_like",
    "listing_bump",
    "listing_sold",
    "review_create",
    "user_block",
}


def find_secret(text: str, floors: Iterable[int]) -> list[str]:
    text = CSRF.sub(r"\1", text)
    return [form for floor in floors for form in korean_forms(floor) if form in text]


def listings_in(value: object, depth: int = 0) -> Iterable[Listing]:
    if isinstance(value, Listing):
        yield value
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from listings_in(item, depth + 1)
    elif depth < 3 and hasattr(value, "object_list"):
        yield from listings_in(list(value.object_list), depth + 1)
    elif depth < 3 and isinstance(value, list | tuple):
        for item in value:
            yield from listings_in(item, depth + 1)


class FloorPriceSecretTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        statuses = [Status.ON_SALE, Status.RESERVED, Status.SOLD, Status.ON_SALE, Status.ON_SALE]
        cls.listings = [
            make_listing(
                cls.alice,
                title=f"비밀 테스트 물건 {chr(65 + i)}",
                price=price,
                floor_price=floor,
                status=statuses[i],
                is_hidden=(i == 4),
                category=["electronics", "books", "sports"][i % 3],
            )
            for i, (price, floor) in enumerate(SECRETS)
        ]
        cls.floors = [floor for _, floor in SECRETS]

    def assert_clean(self, response, where: str) -> None:
        body = response.content.decode("utf-8", errors="replace")
        leaks = find_secret(body, self.floors) + find_secret(str(dict(response.items())), self.floors)
        self.assertEqual(leaks, [], f"floor price leaked on {where}")
        for context in response.context or []:
            for listing in listings_in(context.flatten() if hasattr(context, "flatten") else context):
                if listing.seller_id == self.alice.pk:
                    self.assertIn(
                        "floor_price", listing.get_deferred_fields(), f"floor loaded into context: {where}"
                    )
            for value in (context.flatten() if hasattr(context, "flatten") else {}).values():
                if isinstance(value, int) and not isinstance(value, bool):
                    self.assertNotIn(value, self.floors, f"floor in the context of {where}")

    def walk(self, start: list[str]) -> set[str]:
        """Follow every same-site link and GET form from ``start``; return the URL names seen."""
        seen, names, queue = set(), set(), deque(start)
        while queue and len(seen) < 200:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            response = self.client.get(url)
            self.assertLess(response.status_code, 500, url)
            self.assert_clean(response, url)
            with contextlib.suppress(Resolver404):
                names.add(resolve(urlsplit(url).path).url_name)
            if response.status_code in (301, 302):
                queue.append(response["Location"])
                continue
            for link in LINK.findall(response.content.decode()):
                target = urljoin(url, link.replace("&amp;", "&"))
                parts = urlsplit(target)
                if parts.netloc or parts.path.startswith(("/static/", "/media/")):
                    continue
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        return names

    def start_urls(self) -> list[str]:
        index = reverse("listing_index")
        urls = [
            index,
            f"{index}?q=비밀",
            f"{index}?category=books",
            f"{index}?min_price=40000&max_price=80000",
            f"{index}?sort=cheapest",
            f"{index}?sort=popular&available=on",
            f"{index}?sort=priciest&dong=잠실동",
            reverse("user_profile", args=[self.alice.pk]),
            reverse("my_profile"),
            f"{reverse('report_create')}?listing={self.listings[0].pk}",
            f"{reverse('report_create')}?user={self.alice.pk}",
            f"{index}?page=2",
            f"{index}?min_price=abc",
            "/no-such-page/",
            reverse("listing_detail", args=[987654]),
            reverse("login"),
            reverse("signup"),
            "/admin/",
        ]
        for listing in self.listings:
            urls += [
                reverse(name, args=[listing.pk])
                for name in ("listing_detail", "listing_edit", "listing_delete")
            ]
        return urls

    def post_everything(self) -> set[str]:
        """Forms sent with errors and owner actions tried on alice's listings."""
        names = set()
        listing = self.listings[0]
        posts = [
            (reverse("listing_edit", args=[listing.pk]), {"price": "1", "floor_price": "999999999"}),
            (reverse("listing_delete", args=[listing.pk]), {}),
            (reverse("listing_hide", args=[listing.pk]), {"hidden": "1"}),
            (reverse("listing_status", args=[listing.pk]), {"status": "sold"}),
            (reverse("listing_create"), {"title": "", "price": "abc", "floor_price": "-1"}),
            (reverse("listing_like", args=[listing.pk]), {"liked": "1"}),
            (reverse("listing_bump", args=[listing.pk]), {}),
            (reverse("listing_sold", args=[listing.pk]), {"buyer": "0"}),
            (reverse("review_create", args=[self.listings[2].pk]), {"rating": "good"}),
            (reverse("report_create"), {"listing": str(listing.pk), "reason": ""}),
            (reverse("user_block", args=[self.alice.pk]), {"blocked": "1"}),
            (reverse("login"), {"username": "alice", "password": "wrong"}),
            (reverse("signup"), {"username": "alice", "password1": "1", "password2": "2"}),
        ]
        for url, data in posts:
            response = self.client.post(url, data, follow=True)
            self.assertLess(response.status_code, 500, url)
            self.assert_clean(response, f"POST {url}")
            names.add(resolve(url).url_name)
        response = self.client.post(reverse("logout"), follow=True)
        self.assert_clean(response, "logout")
        return names | {"logout"}

    def test_buyer_never_sees_a_floor(self) -> None:
        make_listing(self.bob, title="밥의 물건", price=12000, floor_price=9000)
        self.login(self.bob)
        names = self.walk(
            [*self.start_urls(), reverse("my_listings"), reverse("my_likes"), reverse("listing_create")]
        )
        names |= self.post_everything()
        self.assertEqual(MARKETPLACE_URL_NAMES - names, set(), "every marketplace page is walked")
        self.assertTrue(Listing.objects.filter(pk=self.listings[0].pk, status=Status.ON_SALE).exists())

    def test_anonymous_never_sees_a_floor(self) -> None:
        names = self.walk(
            [*self.start_urls(), reverse("my_listings"), reverse("my_likes"), reverse("listing_create")]
        )
        names |= self.post_everything()
        self.assertEqual(MARKETPLACE_URL_NAMES - names, set())

    def test_the_detector_finds_the_floor_where_it_belongs(self) -> None:
        """Without this, a check that can never fire would pass: the seller does see her floors."""
        self.login(self.alice)
        response = self.client.get(reverse("my_listings"))
        self.assertEqual(len(find_secret(response.content.decode(), self.floors)) >= len(self.floors), True)
        edit = self.client.get(reverse("listing_edit", args=[self.listings[1].pk]))
        self.assertIn("61700", find_secret(edit.content.decode(), [61700]))
        self.assertTrue({"3만2천", "3만 2천", "32,000", "32000", "3.2만"} <= korean_forms(32000))

    def test_staff_may_see_floors_in_the_admin(self) -> None:
        self.staff.is_superuser = True
        self.staff.save()
        self.login(self.staff)
        response = self.client.get(reverse("admin:marketplace_listing_changelist"))
        self.assertTrue(find_secret(response.content.decode(), [734300]))
