"""Drawn stand-ins for product photos of the demo listings (no photo can be downloaded here).

Each picture looks like a seller's snapshot: the item itself (chosen from the title's words, so a
Switch is a console and a 캣타워 a cat tower), in its colour, standing on a table or a floor in
front of a wall, with a soft shadow, light from one side and a little grain. Backgrounds, angles
and light vary per listing (seeded by the title), so the list does not look stamped out.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter

from marketplace.models import Category

C = Category
SIZE = 640
Draw = ImageDraw.ImageDraw

# Colour words in Korean titles, and the paint they mean.
COLOURS = {
    "화이트": "#f4f4f2",
    "블랙": "#2b2c30",
    "그라파이트": "#3d3f44",
    "스페이스그레이": "#6b6e75",
    "그레이": "#8d9096",
    "베이지": "#d9c7a7",
    "브라운": "#7a4f32",
    "체리레드": "#b3262e",
    "레드": "#c0392b",
    "핑크": "#f2b8c6",
    "카키": "#6f7350",
    "내추럴": "#d7b98e",
}
CATEGORY_COLOURS = {
    C.ELECTRONICS: "#5b6270",
    C.APPLIANCES: "#f1f1ef",
    C.FURNITURE: "#a0704b",
    C.CLOTHING: "#34495e",
    C.FASHION: "#8a5a3c",
    C.BEAUTY: "#e8d3c0",
    C.BOOKS: "#3f6e9c",
    C.SPORTS: "#2f7d5b",
    C.BABY: "#d7b98e",
    C.GAMES: "#f4f4f2",
    C.KITCHEN: "#b3262e",
    C.PETS: "#c9b08a",
    C.TICKETS: "#00704a",
    C.OTHER: "#6f7350",
}
WALLS = ["#ece7df", "#e4e8ec", "#efe9e1", "#e6e2da", "#dfe4e0", "#f1ece6", "#e9e4ee"]
SURFACES = ["#c8a882", "#b89570", "#d6d2cb", "#a7a39c", "#d9c3a5", "#8f7a66", "#cfc8bd"]


def _shade(colour: str, factor: float) -> str:
    """`colour` lighter (factor > 1) or darker (< 1)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    if factor >= 1:
        r, g, b = (int(v + (255 - v) * (factor - 1)) for v in (r, g, b))
    else:
        r, g, b = (int(v * factor) for v in (r, g, b))
    return f"#{min(r, 255):02x}{min(g, 255):02x}{min(b, 255):02x}"


# --- the items (centred on x=320, standing on the surface at y≈470) -------------------------------


def _tablet(d: Draw, c: str) -> None:
    d.rounded_rectangle((185, 110, 455, 470), radius=28, fill=_shade(c, 0.8))
    d.rounded_rectangle((200, 125, 440, 455), radius=14, fill="#1d2633")
    d.polygon([(200, 125), (330, 125), (200, 330)], fill="#2c394b")


def _earbuds(d: Draw, c: str) -> None:
    d.rounded_rectangle((225, 300, 415, 470), radius=70, fill=c)
    d.line((228, 360, 412, 360), fill=_shade(c, 0.75), width=3)
    d.ellipse((305, 385, 335, 395), fill=_shade(c, 0.7))
    for x in (190, 420):
        d.ellipse((x, 400, x + 44, 450), fill=c)
        d.ellipse((x + 12, 410, x + 30, 428), fill=_shade(c, 0.6))


def _keyboard(d: Draw, c: str) -> None:
    d.polygon([(130, 360), (510, 360), (550, 460), (90, 460)], fill=c)
    key = _shade(c, 1.35)
    for row in range(4):
        y = 370 + row * 22
        inset = 40 - row * 10
        for col in range(12):
            x = 130 - inset // 2 + 14 + col * 31 + row * -3
            d.rounded_rectangle((x, y, x + 24, y + 16), radius=3, fill=key)


def _console(d: Draw, c: str) -> None:
    d.rounded_rectangle((215, 270, 425, 400), radius=8, fill="#1b1c20")
    d.rectangle((228, 282, 412, 388), fill="#22344a")
    left, right = (c, c) if c != CATEGORY_COLOURS[C.GAMES] else ("#e7e7e5", "#e7e7e5")
    d.rounded_rectangle((160, 270, 222, 400), radius=26, fill=left)
    d.rounded_rectangle((418, 270, 480, 400), radius=26, fill=right)
    d.ellipse((178, 300, 204, 326), fill="#333")
    d.ellipse((436, 350, 462, 376), fill="#333")
    d.rectangle((280, 400, 360, 470), fill="#2a2b30")  # the dock
    d.rounded_rectangle((240, 400, 400, 470), radius=10, fill=_shade(c, 0.9) if c != "#f4f4f2" else "#f0f0ee")


def _vacuum(d: Draw, c: str) -> None:
    d.line((300, 110, 335, 430), fill="#9aa0a8", width=14)
    d.rounded_rectangle((255, 120, 345, 230), radius=30, fill="#8e44ad" if c == "#f1f1ef" else c)
    d.ellipse((270, 150, 330, 210), fill="#d7dde3")
    d.polygon([(270, 430), (400, 430), (420, 470), (250, 470)], fill="#4a4f57")


def _cooker(d: Draw, c: str) -> None:
    d.rounded_rectangle((200, 250, 440, 470), radius=60, fill=c)
    d.ellipse((200, 215, 440, 300), fill=_shade(c, 1.1) if c != "#f1f1ef" else "#fafafa")
    d.rounded_rectangle((280, 190, 360, 225), radius=10, fill="#3b3f46")
    d.rounded_rectangle((270, 330, 370, 380), radius=8, fill="#2b2f36")
    d.text((290, 345), "12:00", fill="#7fe3a0")


def _purifier(d: Draw, c: str) -> None:
    d.rounded_rectangle((240, 110, 400, 470), radius=34, fill=c)
    d.ellipse((260, 118, 380, 170), fill=_shade(c, 0.8))
    for y in range(200, 450, 12):
        d.line((255, y, 385, y), fill=_shade(c, 0.88), width=3)


def _drawer(d: Draw, c: str) -> None:
    d.rectangle((170, 170, 470, 460), fill=c)
    for i in range(3):
        y = 180 + i * 93
        d.rectangle((180, y, 460, y + 83), fill=_shade(c, 1.06))
        for x in (250, 390):
            d.rounded_rectangle((x - 20, y + 36, x + 20, y + 46), radius=4, fill=_shade(c, 0.7))
    d.rectangle((175, 460, 190, 472), fill=_shade(c, 0.6))
    d.rectangle((450, 460, 465, 472), fill=_shade(c, 0.6))


def _table(d: Draw, c: str) -> None:
    d.polygon([(150, 300), (490, 300), (540, 350), (100, 350)], fill=c)
    d.rectangle((100, 350, 540, 364), fill=_shade(c, 0.75))
    for x in (120, 505):
        d.rectangle((x, 364, x + 16, 470), fill=_shade(c, 0.7))
    for x in (170, 455):
        d.rectangle((x, 350, x + 12, 440), fill=_shade(c, 0.6))


def _office_chair(d: Draw, c: str) -> None:
    d.rounded_rectangle((240, 110, 400, 290), radius=40, fill=c)
    for y in range(130, 280, 14):
        d.line((255, y, 385, y), fill=_shade(c, 1.25), width=2)
    d.ellipse((215, 290, 425, 350), fill=_shade(c, 0.85))
    d.rectangle((312, 345, 328, 425), fill="#8b9097")
    for x in (200, 260, 380, 440):
        d.line((320, 425, x, 455), fill="#55595f", width=10)
        d.ellipse((x - 11, 452, x + 11, 474), fill="#222")


def _chair(d: Draw, c: str) -> None:
    d.rectangle((230, 120, 250, 470), fill=c)
    d.rectangle((390, 120, 410, 470), fill=c)
    for y in (140, 190):
        d.rectangle((230, y, 410, y + 24), fill=c)
    d.polygon([(225, 320), (415, 320), (440, 350), (200, 350)], fill=_shade(c, 1.15))
    d.rectangle((205, 350, 222, 470), fill=_shade(c, 0.8))
    d.rectangle((418, 350, 435, 470), fill=_shade(c, 0.8))


def _high_chair(d: Draw, c: str) -> None:
    wood = _shade(c, 0.9)
    d.line((210, 120, 330, 470), fill=wood, width=26)
    d.line((430, 120, 380, 470), fill=wood, width=26)
    for y in (250, 330):
        d.rectangle((240, y, 420, y + 16), fill=_shade(c, 1.1))
    d.rectangle((210, 130, 430, 190), fill=_shade(c, 1.05))


def _jacket(d: Draw, c: str) -> None:
    d.polygon([(250, 120), (390, 120), (480, 190), (500, 420), (440, 420), (430, 250), (420, 460),
               (220, 460), (210, 250), (200, 420), (140, 420), (160, 190)], fill=c)  # fmt: skip
    for y in range(160, 460, 34):
        d.line((205, y, 435, y), fill=_shade(c, 1.4), width=3)
    d.line((320, 125, 320, 460), fill=_shade(c, 0.6), width=4)
    d.ellipse((285, 100, 355, 145), fill=_shade(c, 0.8))


def _knit(d: Draw, c: str) -> None:
    d.polygon([(250, 130), (390, 130), (490, 200), (470, 420), (420, 420), (420, 250), (420, 460),
               (220, 460), (220, 250), (220, 420), (170, 420), (150, 200)], fill=c)  # fmt: skip
    d.ellipse((280, 112, 360, 160), fill=_shade(c, 0.85))
    for x in range(225, 420, 10):
        d.line((x, 440, x, 460), fill=_shade(c, 0.85), width=3)


def _sneaker(d: Draw, c: str) -> None:
    d.rounded_rectangle((120, 420, 520, 465), radius=18, fill="#f7f7f5")
    d.polygon([(140, 420), (160, 330), (260, 300), (330, 250), (400, 260), (430, 330), (520, 380),
               (520, 420)], fill=c)  # fmt: skip
    d.arc((220, 300, 480, 460), 200, 320, fill=_shade(c, 0.75), width=10)
    for x in range(300, 400, 22):
        d.line((x, 270, x + 18, 300), fill=_shade(c, 0.7), width=5)


def _bag(d: Draw, c: str) -> None:
    d.arc((240, 140, 400, 330), 180, 360, fill=_shade(c, 0.8), width=16)
    d.polygon([(200, 240), (440, 240), (470, 470), (170, 470)], fill=c)
    d.polygon([(200, 240), (440, 240), (430, 330), (210, 330)], fill=_shade(c, 0.88))
    d.rounded_rectangle((305, 315, 335, 345), radius=6, fill="#d4af37")


def _watch(d: Draw, c: str) -> None:
    d.rounded_rectangle((270, 120, 370, 250), radius=20, fill=_shade(c, 1.1))
    d.rounded_rectangle((270, 370, 370, 470), radius=20, fill=_shade(c, 1.1))
    d.rounded_rectangle((230, 220, 410, 400), radius=36, fill=c)
    d.rectangle((262, 262, 378, 358), fill="#a9b4a0")
    d.text((290, 300), "12:45", fill="#222")


def _bottle(d: Draw, c: str) -> None:
    d.rounded_rectangle((285, 140, 355, 200), radius=8, fill="#c9a45c")
    d.rounded_rectangle((235, 195, 405, 470), radius=36, fill=c)
    d.rectangle((255, 290, 385, 380), fill=_shade(c, 1.3))
    d.polygon([(250, 215), (275, 215), (275, 450), (250, 440)], fill=_shade(c, 1.25))


def _styler(d: Draw, c: str) -> None:
    d.rounded_rectangle((200, 360, 440, 470), radius=20, fill=_shade(c, 0.8))
    for i, x in enumerate((230, 290, 350, 410)):
        d.rounded_rectangle((x - 16, 220 + i * 20, x + 16, 360), radius=14, fill=c)
    d.rounded_rectangle((300, 130, 340, 360), radius=18, fill="#8a3d5c")


def _books(d: Draw, c: str) -> None:
    spines = [c, "#b94a48", "#e0b040", "#4a7c59", _shade(c, 0.7), "#6c5b7b"]
    for i in range(6):
        y = 450 - i * 52
        x0 = 170 + (i * 17) % 40
        d.rounded_rectangle((x0, y, x0 + 290 - (i % 3) * 20, y + 46), radius=6, fill=spines[i % len(spines)])
        d.rectangle((x0 + 18, y + 10, x0 + 24, y + 36), fill="#f4efe2")


def _tent(d: Draw, c: str) -> None:
    d.pieslice((130, 200, 510, 740), 180, 360, fill=c)
    d.polygon([(320, 230), (260, 470), (380, 470)], fill=_shade(c, 0.6))
    d.arc((130, 200, 510, 740), 200, 340, fill=_shade(c, 1.3), width=5)
    d.line((320, 200, 320, 230), fill="#555", width=4)


def _racket(d: Draw, c: str) -> None:
    d.ellipse((220, 100, 420, 330), outline=c, width=14)
    for x in range(240, 410, 18):
        d.line((x, 115, x, 318), fill="#e8e8e8", width=2)
    for y in range(120, 320, 18):
        d.line((230, y, 410, y), fill="#e8e8e8", width=2)
    d.line((320, 330, 320, 400), fill=c, width=10)
    d.rounded_rectangle((308, 395, 332, 470), radius=8, fill="#2b2b2b")


def _bicycle(d: Draw, c: str) -> None:
    for x in (200, 440):
        d.ellipse((x - 85, 300, x + 85, 470), outline="#2a2a2a", width=12)
        d.ellipse((x - 8, 377, x + 8, 393), fill="#777")
    frame = [(200, 385), (300, 385), (380, 280), (260, 280), (200, 385)]
    d.line(frame, fill=c, width=12, joint="curve")
    d.line((300, 385, 260, 280), fill=c, width=12)
    d.line((380, 280, 440, 385), fill=c, width=12)
    d.line((260, 280, 250, 250), fill="#333", width=8)
    d.rounded_rectangle((225, 240, 285, 255), radius=6, fill="#222")
    d.line((380, 280, 370, 240), fill="#333", width=8)
    d.line((350, 240, 400, 240), fill="#333", width=8)


def _car_seat(d: Draw, c: str) -> None:
    d.rounded_rectangle((230, 110, 410, 360), radius=60, fill=c)
    d.rounded_rectangle((200, 330, 440, 470), radius=40, fill=_shade(c, 0.85))
    d.rounded_rectangle((270, 160, 370, 400), radius=40, fill=_shade(c, 1.2))
    d.line((290, 250, 320, 380), fill="#333", width=8)
    d.line((350, 250, 320, 380), fill="#333", width=8)


def _blocks(d: Draw, c: str) -> None:
    colours = ["#e74c3c", "#f1c40f", "#3498db", "#2ecc71", c, "#9b59b6"]
    spots = [(180, 390), (260, 390), (340, 390), (420, 390), (220, 310), (300, 310), (380, 310), (260, 230)]
    for i, (x, y) in enumerate(spots):
        d.rectangle((x, y, x + 76, y + 76), fill=colours[i % len(colours)])
        d.polygon([(x, y), (x + 14, y - 12), (x + 90, y - 12), (x + 76, y)], fill=_shade(colours[i % 6], 1.2))


def _box(d: Draw, c: str) -> None:
    d.polygon([(150, 200), (470, 200), (500, 170), (180, 170)], fill=_shade(c, 1.2))
    d.polygon([(470, 200), (500, 170), (500, 440), (470, 470)], fill=_shade(c, 0.7))
    d.rectangle((150, 200, 470, 470), fill=c)
    d.rectangle((150, 200, 470, 245), fill="#f1c40f")
    d.rounded_rectangle((190, 330, 430, 400), radius=30, fill="#ecf0f1")
    for x in (240, 380):
        d.ellipse((x - 26, 380, x + 26, 432), fill="#222")


def _controller(d: Draw, c: str) -> None:
    d.rounded_rectangle((170, 290, 470, 420), radius=60, fill=c)
    d.ellipse((150, 330, 270, 470), fill=c)
    d.ellipse((370, 330, 490, 470), fill=c)
    d.rounded_rectangle((270, 300, 370, 350), radius=10, fill="#222")
    for x, y in ((230, 340), (410, 340)):
        d.ellipse((x - 18, y - 18, x + 18, y + 18), fill="#333")
    for x, y in ((270, 400), (370, 400)):
        d.ellipse((x - 20, y - 20, x + 20, y + 20), fill="#2b2b2b")


def _pot(d: Draw, c: str) -> None:
    d.rounded_rectangle((180, 280, 460, 470), radius=50, fill=c)
    d.ellipse((170, 250, 470, 310), fill=_shade(c, 0.85))
    d.ellipse((175, 240, 465, 295), fill=_shade(c, 1.1))
    d.ellipse((295, 220, 345, 255), fill="#c9c9c9")
    for x in (140, 460):
        d.rounded_rectangle((x, 300, x + 40, 330), radius=12, fill=c)
    d.polygon([(200, 300), (240, 300), (240, 450), (210, 440)], fill=_shade(c, 1.25))


def _coffee(d: Draw, c: str) -> None:
    d.rounded_rectangle((220, 130, 420, 470), radius=40, fill=c)
    d.rectangle((240, 300, 400, 330), fill=_shade(c, 0.6))
    d.rounded_rectangle((280, 360, 360, 440), radius=12, fill="#f7f3ea")
    d.rectangle((245, 440, 395, 470), fill=_shade(c, 0.75))
    d.ellipse((295, 170, 345, 220), fill=_shade(c, 1.3))


def _cat_tower(d: Draw, c: str) -> None:
    for x in (230, 390):
        d.rectangle((x, 150, x + 26, 460), fill="#d6c3a1")
        for y in range(160, 450, 9):
            d.line((x, y, x + 26, y + 4), fill="#bfa77f", width=2)
    for y, (x0, x1) in ((140, (190, 330)), (260, (300, 450)), (380, (180, 460))):
        d.rounded_rectangle((x0, y, x1, y + 24), radius=8, fill=c)
    d.rounded_rectangle((150, 455, 490, 475), radius=8, fill=_shade(c, 0.85))


def _carrier(d: Draw, c: str) -> None:
    d.rounded_rectangle((170, 250, 470, 470), radius=30, fill=c)
    d.arc((260, 180, 380, 300), 180, 360, fill="#444", width=14)
    d.rounded_rectangle((210, 300, 330, 430), radius=16, fill="#444")
    for x in range(222, 330, 16):
        d.line((x, 305, x, 425), fill="#9a9a9a", width=4)
    for y in (320, 360, 400):
        d.ellipse((370, y, 420, y + 20), fill=_shade(c, 0.8))


def _gift_cards(d: Draw, c: str) -> None:
    for i in range(3):
        x, y = 160 + i * 30, 250 - i * 40
        d.rounded_rectangle((x, y + 120, x + 300, y + 300), radius=18, fill=_shade(c, 1 + i * 0.08))
        d.ellipse((x + 30, y + 160, x + 100, y + 230), fill="#f7f7f5")
        d.rectangle((x + 130, y + 180, x + 260, y + 192), fill="#f7f7f5")
        d.rectangle((x + 130, y + 206, x + 220, y + 216), fill=_shade(c, 1.4))


def _wagon(d: Draw, c: str) -> None:
    d.polygon([(150, 290), (490, 290), (470, 420), (170, 420)], fill=c)
    d.line((150, 290, 490, 290), fill=_shade(c, 0.6), width=10)
    d.line((490, 300, 570, 200), fill="#333", width=10)
    for x in (200, 440):
        d.ellipse((x - 34, 410, x + 34, 478), fill="#2a2a2a")
        d.ellipse((x - 12, 432, x + 12, 456), fill="#888")


Kind = Callable[[Draw, str], None]
# Title words first (more specific), then each category's usual item.
KEYWORDS: list[tuple[tuple[str, ...], Kind]] = [
    (("아이패드", "태블릿", "갤럭시탭"), _tablet),
    (("버즈", "에어팟", "이어폰"), _earbuds),
    (("키보드",), _keyboard),
    (("스위치",), _console),
    (("컨트롤러", "듀얼센스", "패드"), _controller),
    (("청소기",), _vacuum),
    (("밥솥",), _cooker),
    (("공기청정기", "가습기"), _purifier),
    (("서랍장",), _drawer),
    (("식탁", "책상", "테이블"), _table),
    (("사무용 의자", "T50"), _office_chair),
    (("하이체어", "트립트랩"), _high_chair),
    (("의자",), _chair),
    (("패딩", "눕시", "자켓"), _jacket),
    (("니트", "스웨터"), _knit),
    (("에어포스", "운동화", "스니커즈"), _sneaker),
    (("숄더백", "가방", "백"), _bag),
    (("지샥", "시계", "워치"), _watch),
    (("에어랩", "드라이기", "고데기"), _styler),
    (("에센스", "크림", "향수"), _bottle),
    (("텐트",), _tent),
    (("라켓",), _racket),
    (("자전거",), _bicycle),
    (("카시트",), _car_seat),
    (("블록",), _blocks),
    (("레고",), _box),
    (("냄비", "프라이팬"), _pot),
    (("커피머신", "네스프레소"), _coffee),
    (("캣타워",), _cat_tower),
    (("이동장", "켄넬"), _carrier),
    (("기프티콘", "상품권", "교환권"), _gift_cards),
    (("웨건",), _wagon),
]
BY_CATEGORY: dict[str, Kind] = {
    C.ELECTRONICS: _tablet,
    C.APPLIANCES: _purifier,
    C.FURNITURE: _chair,
    C.CLOTHING: _knit,
    C.FASHION: _bag,
    C.BEAUTY: _bottle,
    C.BOOKS: _books,
    C.SPORTS: _racket,
    C.BABY: _blocks,
    C.GAMES: _controller,
    C.KITCHEN: _pot,
    C.PETS: _carrier,
    C.TICKETS: _gift_cards,
    C.OTHER: _box,
}


def item_kind(*, category: str, title: str) -> Kind:
    for words, kind in KEYWORDS:
        if any(word in title for word in words):
            return kind
    if category == C.BOOKS:
        return _books
    return BY_CATEGORY.get(category, _box)


def item_colour(*, category: str, title: str) -> str:
    for word in sorted(COLOURS, key=len, reverse=True):  # 체리레드 before 레드
        if word in title:
            return COLOURS[word]
    return CATEGORY_COLOURS.get(category, "#6f7350")


def product_photo(*, category: str, title: str, shot: int = 0) -> Image.Image:
    """The item on a surface in front of a wall; `shot` 1+ is a closer second picture."""
    rng = random.Random(f"{title}/{shot}")
    wall, surface = rng.choice(WALLS), rng.choice(SURFACES)
    horizon = rng.randint(400, 470)
    scene = Image.new("RGB", (SIZE, SIZE), wall)
    draw = ImageDraw.Draw(scene)
    for y in range(horizon):  # the wall, lit from above
        draw.line((0, y, SIZE, y), fill=_shade(wall, 0.9 + 0.1 * y / horizon))
    for y in range(horizon, SIZE):  # the surface, darker towards the camera
        draw.line((0, y, SIZE, y), fill=_shade(surface, 1.0 - 0.18 * (y - horizon) / (SIZE - horizon)))
    item = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    item_kind(category=category, title=title)(
        ImageDraw.Draw(item), item_colour(category=category, title=title)
    )
    shadow = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(shadow).ellipse((120, 450, 520, 500), fill=120)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18))
    scale = rng.uniform(1.0, 1.12) * (1.2 if shot else 1.0)
    angle = rng.uniform(-5, 5)
    side = int(SIZE * scale)
    item = item.resize((side, side), Image.Resampling.LANCZOS).rotate(
        angle, resample=Image.Resampling.BICUBIC
    )
    shadow = shadow.resize((side, side))
    dx = (SIZE - side) // 2 + rng.randint(-30, 30)
    dy = horizon - int(470 * scale) + rng.randint(10, 50)
    scene.paste((40, 30, 20), (dx, dy), shadow)
    scene.paste(item, (dx, dy), item)
    # Light from one side, and the grain of a phone's camera.
    light = Image.linear_gradient("L").rotate(rng.choice((90, -90))).resize((SIZE, SIZE))
    scene = Image.composite(
        scene, Image.eval(scene, lambda v: int(v * 0.86)), light.point(lambda v: 150 + v // 3)
    )
    grain = Image.effect_noise((SIZE, SIZE), 9).convert("RGB")
    return Image.blend(scene, grain, 0.05).filter(ImageFilter.SMOOTH)


def placeholder_photo(*, category: str, title: str, shot: int = 0) -> SimpleUploadedFile:
    """`product_photo` as an upload the listing services take."""
    buffer = io.BytesIO()
    product_photo(category=category, title=title, shot=shot).save(buffer, format="JPEG", quality=84)
    return SimpleUploadedFile(f"demo-{shot}.jpg", buffer.getvalue(), content_type="image/jpeg")
