from __future__ import annotations

import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.models import Listing, ListingPhoto
from tests.base import BaseTestCase, image_bytes, image_upload, listing_form_data, make_listing


class PhotoUploadTests(BaseTestCase):
    url = reverse("listing_create")

    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def data(self, photos: list, **overrides: object) -> dict:
        return listing_form_data(photos, **overrides)

    def test_photos_are_stored_reencoded_with_thumbnails(self) -> None:
        photos = [image_upload("a.png", fmt="PNG", size=(2400, 1200)), image_upload("b.jpg")]
        response = self.client.post(self.url, self.data(photos))
        listing = Listing.objects.get()
        self.assertRedirects(response, listing.get_absolute_url())
        stored = list(listing.photos.all())
        self.assertEqual([p.position for p in stored], [1, 2])
        for photo in stored:
            with Image.open(photo.image.path) as full, Image.open(photo.thumbnail.path) as thumb:
                self.assertEqual(full.format, "JPEG")
                self.assertLessEqual(max(full.size), 1600)
                self.assertEqual(thumb.size, (480, 480))
        detail = self.client.get(listing.get_absolute_url())
        self.assertContains(detail, stored[0].image.url)
        self.assertContains(self.client.get(reverse("listing_index")), stored[0].thumbnail.url)

    def test_non_image_is_a_form_error(self) -> None:
        fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
        response = self.client.post(self.url, self.data([fake]))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "이미지 파일이 아니거나 손상된 파일이에요.")
        self.assertFalse(Listing.objects.exists())

    def test_unsupported_image_format_is_a_form_error(self) -> None:
        buffer = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buffer, format="BMP")
        bmp = SimpleUploadedFile("a.bmp", buffer.getvalue(), content_type="image/bmp")
        response = self.client.post(self.url, self.data([bmp], title="bmp"))
        self.assertContains(response, "JPG, PNG, WEBP, GIF만 올릴 수 있어요.")
        self.assertFalse(Listing.objects.exists())

    def test_oversized_photo_is_a_form_error(self) -> None:
        big = SimpleUploadedFile(
            "big.jpg", b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10), content_type="image/jpeg"
        )
        response = self.client.post(self.url, self.data([big]))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "사진은 한 장에 5MB 이하만 올릴 수 있어요.")
        self.assertFalse(Listing.objects.exists())

    def test_more_than_five_photos_is_a_form_error(self) -> None:
        photos = [image_upload(f"p{i}.jpg") for i in range(6)]
        response = self.client.post(self.url, self.data(photos))
        self.assertContains(response, "사진은 최대 5장까지 올릴 수 있어요.")
        self.assertFalse(ListingPhoto.objects.exists())

    def test_edit_removes_and_adds_within_the_limit(self) -> None:
        self.client.post(self.url, self.data([image_upload(f"p{i}.jpg") for i in range(5)]))
        listing = Listing.objects.get()
        first = listing.photos.first()
        first_path = Path(first.image.path)
        edit = reverse("listing_edit", args=[listing.pk])
        base = self.data([], status="on_sale", floor_price="24000")
        response = self.client.post(edit, {**base, "photos": [image_upload("x.jpg")]})
        self.assertContains(response, "사진은 최대 5장까지 올릴 수 있어요.")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                edit, {**base, "photos": [image_upload("x.jpg")], "remove_photos": [first.pk]}
            )
        self.assertRedirects(response, listing.get_absolute_url())
        self.assertEqual(listing.photos.count(), 5)
        self.assertFalse(listing.photos.filter(pk=first.pk).exists())
        self.assertFalse(first_path.exists())

    def test_cannot_remove_someone_elses_photo(self) -> None:
        other = make_listing(self.bob)
        self.client.force_login(self.bob)
        self.client.post(
            reverse("listing_edit", args=[other.pk]),
            {**self.data([image_upload()]), "status": "on_sale", "floor_price": "1"},
        )
        photo = other.photos.get()
        self.login(self.alice)
        mine = make_listing(self.alice)
        response = self.client.post(
            reverse("listing_edit", args=[mine.pk]),
            {**self.data([]), "status": "on_sale", "floor_price": "1", "remove_photos": [photo.pk]},
        )
        self.assertEqual(response.status_code, 200)  # not a choice on this form
        self.assertTrue(ListingPhoto.objects.filter(pk=photo.pk).exists())


class PhotosKeptOnFormErrorTests(BaseTestCase):
    """A form sent with an error must not silently drop the photos the seller picked."""

    def test_good_photos_survive_an_error_and_are_saved_next_time(self) -> None:
        from django.core.files.storage import default_storage

        self.login(self.alice)
        url = reverse("listing_create")
        data = {
            "title": "",
            "category": "sports",
            "price": "45만원",
            "style": "firm",
            "description": "두 번 썼어요.",
        }
        bad = SimpleUploadedFile("note.txt", b"not an image", content_type="text/plain")
        response = self.client.post(
            url, {**data, "photos": [image_upload("a.jpg"), image_upload("b.png", "PNG"), bad]}
        )
        self.assertContains(response, "사진 3장 중 2장은 그대로 두었고, 올릴 수 없는 1장은 빠졌어요.")
        kept = response.context["form"].fields["kept_photos"].choices
        self.assertEqual(len(kept), 2)
        self.assertContains(response, "앞에서 고른 사진")
        names = [name for name, _ in kept]
        self.assertTrue(all(default_storage.exists(name) for name in names))
        # Another user cannot claim alice's stashed photos, even by name.
        self.login(self.bob)
        self.client.get(url)
        self.client.post(url, {**data, "title": "밥의 글", "kept_photos": names})
        self.assertEqual(Listing.objects.get(title="밥의 글").photos.count(), 0)
        self.login(self.alice)
        session = self.client.session
        session["listing_photo_stash"] = names
        session.save()
        # She unticks one and sends the form again, fixed.
        self.client.post(url, {**data, "title": "캠핑 의자", "kept_photos": names[:1]})
        listing = Listing.objects.get(title="캠핑 의자")
        self.assertEqual((listing.price, listing.photos.count()), (450000, 1))
        self.assertFalse(any(default_storage.exists(name) for name in names))  # the stash is cleared


class PhotoWithoutThumbnailTests(BaseTestCase):
    """A photo that has no thumbnail (added by hand in the admin) shows itself instead of
    breaking every page that lists it."""

    def test_pages_show_the_photo_itself(self) -> None:
        listing = make_listing(self.alice, title="썸네일 없는 사진")
        photo = ListingPhoto(listing=listing, position=1)
        photo.image.save("bare.jpg", ContentFile(image_bytes()), save=True)
        for url in (
            reverse("listing_index"),
            reverse("my_listings"),
            reverse("listing_edit", args=[listing.pk]),
        ):
            self.login(self.alice)
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertContains(response, photo.image.url)
