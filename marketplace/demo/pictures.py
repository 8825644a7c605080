"""Drawn stand-ins for product photos of the demo listings (no photo can be downloaded here)."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from marketplace.models import Category

C = Category

PALETTE = {
    C.ELECTRONICS: ("#dfe7f5", "#4a6fa5"),
    C.APPLIANCES: ("#e3f1ee", "#3f8f7f"),
    C.FURNITURE: ("#f3e9dc", "#a0704b"),
    C.CLOTHING: ("#f6e3e3", "#b5535b"),
    C.FASHION: ("#efe4f3", "#8a5a9c"),
    C.BEAUTY: ("#fbe6ef", "#c45b8a"),
    C.BOOKS: ("#f4efdc", "#8c7a3c"),
    C.SPORTS: ("#e2f2e1", "#4b8f4a"),
    C.BABY: ("#fdf0d9", "#d08a2c"),
    C.GAMES: ("#e4e6f7", "#5a5fb0"),
    C.KITCHEN: ("#fbe9df", "#c8643b"),
    C.PETS: ("#eef1dd", "#7d8c3a"),
    C.TICKETS: ("#e0f1f6", "#3b8ca8"),
    C.OTHER: ("#ececec", "#6b6b6b"),
}
FONT_DIR = Path("/usr/share/fonts/truetype/nanum")


def _font(size: int) -> ImageFont.ImageFont:
    for name in ("NanumGothicBold.ttf", "NanumBarunGothicBold.ttf"):
        if (FONT_DIR / name).is_file():
            return ImageFont.truetype(str(FONT_DIR / name), size)
    return ImageFont.load_default(size)


def _draw_item(draw: ImageDraw.ImageDraw, category: str, fg: str, bg: str) -> None:
    """A flat, recognisable silhouette per category, centred in the 640 px square's top part."""
    r = draw.rounded_rectangle
    if category in (C.ELECTRONICS, C.GAMES):
        if category == C.GAMES:  # a game pad
            r((150, 190, 490, 370), radius=90, fill=fg)
            r((205, 255, 275, 285), radius=6, fill=bg)
            r((225, 235, 255, 305), radius=6, fill=bg)
            for x, y in ((400, 250), (440, 290), (360, 290), (400, 330)):
                draw.ellipse((x - 14, y - 14, x + 14, y + 14), fill=bg)
        else:  # a tablet
            r((200, 120, 440, 420), radius=28, fill=fg)
            r((220, 145, 420, 385), radius=8, fill=bg)
            draw.ellipse((310, 395, 330, 415), fill=bg)
    elif category == C.APPLIANCES:  # a washing machine
        r((200, 120, 440, 420), radius=24, fill=fg)
        draw.ellipse((245, 195, 395, 345), fill=bg)
        draw.ellipse((275, 225, 365, 315), fill=fg)
        for x in (230, 260):
            draw.ellipse((x - 8, 142, x + 8, 158), fill=bg)
    elif category == C.FURNITURE:  # a chair
        r((230, 110, 410, 260), radius=22, fill=fg)
        r((210, 260, 430, 300), radius=12, fill=fg)
        for x in (225, 395):
            draw.rectangle((x, 300, x + 20, 420), fill=fg)
    elif category == C.CLOTHING:  # a T-shirt
        draw.polygon(
            [
                (250, 120),
                (390, 120),
                (480, 180),
                (445, 240),
                (410, 220),
                (410, 420),
                (230, 420),
                (230, 220),
                (195, 240),
                (160, 180),
            ],
            fill=fg,
        )
        draw.ellipse((290, 100, 350, 150), fill=bg)
    elif category == C.FASHION:  # a handbag
        draw.arc((250, 110, 390, 250), 180, 360, fill=fg, width=18)
        r((180, 180, 460, 420), radius=30, fill=fg)
        r((300, 230, 340, 260), radius=6, fill=bg)
    elif category == C.BEAUTY:  # a bottle
        r((290, 110, 350, 170), radius=8, fill=fg)
        r((240, 170, 400, 420), radius=40, fill=fg)
        r((270, 250, 370, 330), radius=10, fill=bg)
    elif category == C.BOOKS:  # a stack of books
        for i, (x0, x1) in enumerate(((190, 450), (210, 430), (180, 440))):
            y = 340 - i * 80
            r((x0, y, x1, y + 68), radius=10, fill=fg)
            draw.rectangle((x0 + 20, y + 14, x0 + 30, y + 54), fill=bg)
    elif category == C.SPORTS:  # a ball
        draw.ellipse((200, 130, 440, 370), fill=fg)
        draw.arc((200, 130, 440, 370), 0, 360, fill=bg, width=6)
        draw.line((320, 130, 320, 370), fill=bg, width=6)
        draw.arc((120, 130, 360, 370), 300, 60, fill=bg, width=6)
        draw.arc((280, 130, 520, 370), 120, 240, fill=bg, width=6)
    elif category == C.BABY:  # a stroller
        draw.pieslice((180, 120, 420, 360), 180, 270, fill=fg)
        r((180, 240, 440, 330), radius=30, fill=fg)
        for x in (220, 400):
            draw.ellipse((x - 30, 340, x + 30, 400), fill=fg)
            draw.ellipse((x - 12, 358, x + 12, 382), fill=bg)
    elif category == C.KITCHEN:  # a pot
        r((190, 200, 450, 400), radius=40, fill=fg)
        r((170, 180, 470, 215), radius=14, fill=fg)
        r((290, 150, 350, 185), radius=12, fill=fg)
        for x in (140, 470):
            r((x, 240, x + 30, 270), radius=10, fill=fg)
    elif category == C.PETS:  # a paw
        draw.ellipse((240, 240, 400, 390), fill=fg)
        for x, y in ((215, 200), (275, 150), (365, 150), (425, 200)):
            draw.ellipse((x - 32, y - 38, x + 32, y + 38), fill=fg)
    elif category == C.TICKETS:  # a ticket
        r((150, 180, 490, 360), radius=18, fill=fg)
        for y in (270,):
            draw.ellipse((130, y - 30, 170, y + 30), fill=bg)
            draw.ellipse((470, y - 30, 510, y + 30), fill=bg)
        for y in range(195, 350, 24):
            draw.rectangle((375, y, 381, y + 12), fill=bg)
    else:  # a parcel
        r((190, 160, 450, 400), radius=16, fill=fg)
        draw.rectangle((300, 160, 340, 400), fill=bg)
        draw.polygon([(190, 160), (240, 110), (400, 110), (450, 160)], fill=fg)


def placeholder_photo(*, category: str, title: str) -> SimpleUploadedFile:
    """A plain drawn card: a soft colour, the category's silhouette and the item's name."""
    background, accent = PALETTE.get(category, PALETTE[C.OTHER])
    image = Image.new("RGB", (640, 640), background)
    draw = ImageDraw.Draw(image)
    _draw_item(draw, category, accent, background)
    short = title if len(title) <= 18 else title[:17] + "…"
    draw.text((320, 505), short, font=_font(32), fill="#333333", anchor="mm")
    draw.text((320, 555), Category(category).label, font=_font(26), fill=accent, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82)
    return SimpleUploadedFile("demo.jpg", buffer.getvalue(), content_type="image/jpeg")
