"""A photo costs the web process a bounded amount of memory, however many pixels it declares.

A few KB of 1-bit PNG can declare 40 megapixels. The memory figures come from a fresh Python
process (its peak resident size against its size just before the upload is handled), because
Pillow allocates pixels outside the Python allocator that tracemalloc sees.
Linux only (/proc/self/clear_refs resets the peak once the imports are done).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.models import Listing
from tests.base import BaseTestCase, listing_form_data

ROOT = Path(__file__).resolve().parents[2]
BUDGET_MB = 80  # "a few tens of MB" per upload, whatever its format and mode


def png_1bit(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", size, 0).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class PixelCapTests(BaseTestCase):
    url = reverse("listing_create")

    def setUp(self) -> None:
        super().setUp()
        self.login(self.alice)

    def post(self, content: bytes, name: str = "bomb.png") -> object:
        upload = SimpleUploadedFile(name, content, content_type="image/png")
        data = listing_form_data([upload])
        return self.client.post(self.url, data)

    def test_a_tiny_file_declaring_40_megapixels_is_refused_in_korean(self) -> None:
        content = png_1bit((7300, 5440))  # 39.7 MP
        self.assertLess(len(content), 10_000)
        response = self.post(content)
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, "bomb.png: 이미지 해상도가 너무 커요. 1,200만 화소 이하로 줄여서 올려 주세요."
        )
        self.assertFalse(Listing.objects.exists())

    def test_a_decompression_bomb_beyond_pillows_own_limit_gets_the_same_message(self) -> None:
        content = png_1bit((20_000, 10_000))  # 200 MP: Pillow itself refuses to open it
        response = self.post(content)
        self.assertContains(response, "이미지 해상도가 너무 커요.")
        self.assertFalse(Listing.objects.exists())

    def test_a_webp_is_refused_with_its_own_cap(self) -> None:
        image = Image.new("RGB", (2500, 2000), "red")
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP")
        response = self.post(buffer.getvalue(), name="big.webp")
        self.assertContains(
            response, "big.webp: 이미지 해상도가 너무 커요. 300만 화소 이하로 줄여서 올려 주세요."
        )
        self.assertFalse(Listing.objects.exists())

    def test_a_photo_at_the_cap_is_accepted(self) -> None:
        response = self.post(png_1bit((4000, 3000)), name="ok.png")
        listing = Listing.objects.get()
        self.assertRedirects(response, listing.get_absolute_url())
        with Image.open(listing.photos.get().image.path) as stored:
            self.assertEqual(stored.size, (1600, 1200))

    def test_exif_orientation_survives_the_reduced_decode(self) -> None:
        image = Image.new("RGB", (4000, 2000), "red")
        exif = image.getexif()
        exif[0x0112] = 6  # rotate 90° clockwise to display: a portrait phone photo
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", exif=exif.tobytes())
        response = self.post(buffer.getvalue(), name="portrait.jpg")
        listing = Listing.objects.get()
        self.assertRedirects(response, listing.get_absolute_url())
        with Image.open(listing.photos.get().image.path) as stored:
            self.assertEqual(stored.size, (800, 1600))
            self.assertNotIn(0x0112, stored.getexif())


MEASURE = textwrap.dedent(
    """
    import json, os, sys
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "nellm_site.settings"
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from marketplace.forms import PhotosField
    from marketplace.services import photo_renditions

    with open(sys.argv[1], "rb") as file:
        content = file.read()

    def status_kb(field):
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field))

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets the peak (VmHWM) to the current size: imports no longer count
    before = status_kb("VmHWM:")
    upload = SimpleUploadedFile("p", content)
    try:
        PhotosField().clean([upload])
        photo_renditions(upload)
        refused = False
    except Exception:
        refused = True
    peak = status_kb("VmHWM:")
    print(json.dumps({"mb": (peak - before) / 1024, "refused": refused}))
    """
)


def encoded(mode: str, fmt: str, size: tuple[int, int]) -> bytes:
    if mode == "L":
        image = Image.linear_gradient("L").resize(size)
    else:
        color = {"1": 1, "P": 3, "RGBA": (10, 20, 30, 128), "RGB": (200, 10, 10)}[mode]
        image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def cost(content: bytes, tmp_path: Path) -> dict:
    """Handle one upload (the form's check, then the renditions) in a fresh process."""
    path = tmp_path / "upload"
    path.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


CASES = [
    (mode, fmt, size)
    for mode, fmt in [
        ("1", "PNG"),
        ("P", "PNG"),
        ("L", "PNG"),
        ("RGBA", "PNG"),
        ("RGB", "JPEG"),
        ("P", "GIF"),
    ]
    # 12 MP at the cap; a square just too small to be shrunk by an integer factor (the worst
    # case: decoded whole, then flattened whole); a panorama.
    for size in [(4000, 3000), (3100, 3100), (12000, 1000)]
] + [("RGBA", "WEBP", (2000, 1500)), ("RGB", "WEBP", (2000, 1500))]


@pytest.mark.parametrize(("mode", "fmt", "size"), CASES)
def test_a_photo_within_the_cap_costs_a_few_tens_of_mb(
    mode: str, fmt: str, size: tuple[int, int], tmp_path: Path
) -> None:
    content = encoded(mode, fmt, size)
    assert len(content) < 5 * 1024 * 1024
    measured = cost(content, tmp_path)
    assert not measured["refused"]
    assert measured["mb"] < BUDGET_MB, measured


def test_a_webp_gets_a_quarter_of_the_pixels(tmp_path: Path) -> None:
    # Pillow decodes WebP through several full-size buffers: 12 MP of it would cost ~200 MB.
    assert cost(encoded("RGB", "WEBP", (4000, 3000)), tmp_path)["refused"]


def test_a_40_megapixel_bomb_is_refused_before_its_pixels_are_decoded(tmp_path: Path) -> None:
    measured = cost(png_1bit((7300, 5440)), tmp_path)
    assert measured["refused"]
    assert measured["mb"] < 10, measured
