"""The seller orders a listing's photos (the picker posts `photo_order`; the first is the
cover), on create and on edit, new and kept photos alike; a form sent back with errors keeps
that order; without the picker's order the photos go in as before (the listing's, then new)."""

from __future__ import annotations

from django.urls import reverse
from PIL import Image

from marketplace.models import Listing, ListingPhoto
from tests.base import BaseTestCase, image_upload, listing_form_data, make_listing

COLORS = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 128, 0)}


def color_of(photo: ListingPhoto) -> str:
    with Image.open(photo.image.path) as image:
        pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    return min(COLORS, key=lambda name: sum((a - b) ** 2 for a, b in zip(COLORS[name], pixel, strict=True)))


def upload(color: str):
    return image_upload(f"{color}.jpg", color=color)


class PhotoOrderTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def colors(self, listing: Listing) -> list[str]:
        return [color_of(p) for p in listing.photos.order_by("position", "id")]

    def test_create_in_the_sellers_order(self) -> None:
        data = listing_form_data([upload("red"), upload("blue"), upload("green")], photo_order="n2,n0,n1")
        self.client.post(reverse("listing_create"), data)
        self.assertEqual(self.colors(Listing.objects.get()), ["green", "red", "blue"])
        index = self.client.get(reverse("listing_index")).content.decode()
        cover = Listing.objects.get().photos.order_by("position", "id").first()
        self.assertIn(cover.thumbnail.url, index)  # the first is the cover on the cards

    def test_a_form_with_errors_keeps_the_order_and_the_next_send_saves_it(self) -> None:
        url = reverse("listing_create")
        sent = listing_form_data([upload("red"), upload("blue")], title="", photo_order="n1,n0")
        page = self.client.post(url, sent)
        self.assertContains(page, "제목을 입력해 주세요.")
        form = page.context["form"]
        tiles = form.photo_tiles()
        self.assertEqual([t["kind"] for t in tiles], ["kept", "kept"])
        order = form["photo_order"].value()
        self.assertEqual(order, ",".join(t["token"] for t in tiles))
        html = page.content.decode()
        first, second = (t["name"] for t in tiles)
        self.assertLess(html.index(f'value="{first}"'), html.index(f'value="{second}"'))
        # The page sends the kept photos back (ticked), in the order shown.
        again = listing_form_data([], kept_photos=[first, second], photo_order=order)
        del again["photos"]
        self.client.post(url, again)
        self.assertEqual(self.colors(Listing.objects.get()), ["blue", "red"])

    def test_edit_moves_a_new_photo_to_the_front_and_reorders_the_old(self) -> None:
        listing = make_listing(self.alice)
        self.client.post(  # two photos, red then blue, without any order: as sent
            reverse("listing_edit", args=[listing.pk]),
            listing_form_data(
                [upload("red"), upload("blue")], version=listing.edit_version, status="on_sale"
            ),
        )
        listing.refresh_from_db()
        red, blue = listing.photos.order_by("position", "id")
        self.assertEqual(self.colors(listing), ["red", "blue"])
        edit = reverse("listing_edit", args=[listing.pk])
        page = self.client.get(edit).content.decode()
        self.assertLess(page.index(f'data-token="e{red.pk}"'), page.index(f'data-token="e{blue.pk}"'))
        self.client.post(
            edit,
            listing_form_data(
                [upload("green")],
                version=listing.edit_version,
                status="on_sale",
                photo_order=f"n0,e{blue.pk},e{red.pk}",
            ),
        )
        listing.refresh_from_db()
        self.assertEqual(self.colors(listing), ["green", "blue", "red"])
        # A removed photo leaves the order; unknown tokens are ignored.
        self.client.post(
            edit,
            listing_form_data(
                [],
                version=listing.edit_version,
                status="on_sale",
                remove_photos=[blue.pk],
                photo_order=f"e{red.pk},x9,e999",
            ),
        )
        listing.refresh_from_db()
        self.assertEqual(self.colors(listing), ["red", "green"])
