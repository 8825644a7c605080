"""``manage.py seed_demo``: a believable Korean marketplace to click through (idempotent)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from marketplace import services
from marketplace.models import Category, Listing, Profile, Status, Style

DEMO_SELLER = ("demo_seller", "nellm-seller-2024", "잠실동 살림꾼")
DEMO_BUYER = ("demo_buyer", "nellm-buyer-2024", "알뜰한 구매자")
# Neighbours sell too, and can log in to handle deals on their listings (cancel a reservation).
NEIGHBOUR_PASSWORD = "nellm-neighbor-2024"
NEIGHBOURS = [("demo_neighbor1", "성수동 책벌레"), ("demo_neighbor2", "망원동 캠퍼")]

C = Category
# (seller index: 0 = demo seller, 1-2 = neighbours), category, title, price, hours ago, status, description
LISTINGS: list[tuple[int, str, str, int, int, str, str]] = [
    (
        0,
        C.ELECTRONICS,
        "아이패드 에어4 64GB 스페이스그레이 풀박스",
        420000,
        2,
        Status.ON_SALE,
        "2021년 3월에 구매해서 필기용으로만 썼어요. 배터리 성능 87%, 화면에 기스 없고 모서리에 생활기스 "
        "조금 있습니다. 박스, 충전기 다 있어요. 직거래는 잠실역, 택배는 반택 가능해요.",
    ),
    (
        0,
        C.ELECTRONICS,
        "갤럭시 버즈2 프로 그라파이트 단품",
        95000,
        5,
        Status.ON_SALE,
        "작년 11월 구매, 케이스 포함 정상 작동합니다. 이어팁은 새 걸로 바꿔 드려요. "
        "케이스 뒷면에 찍힘 하나 있어서 사진 참고해 주세요.",
    ),
    (
        1,
        C.ELECTRONICS,
        "로지텍 MX Keys 미니 키보드 (한글 각인)",
        78000,
        30,
        Status.RESERVED,
        "회사에서 6개월 정도 사용했어요. 키감 멀쩡하고 번들 충전 케이블 같이 드립니다. 박스는 없어요.",
    ),
    (
        0,
        C.ELECTRONICS,
        "닌텐도 스위치 OLED 화이트 + 젤다 칩",
        310000,
        50,
        Status.ON_SALE,
        "22년 구매, 독 포함 풀구성이고 화면 보호필름 붙여서 써서 액정 깨끗해요. 조이콘 쏠림 없습니다. "
        "젤다 야숨 칩 같이 드려요.",
    ),
    (
        2,
        C.APPLIANCES,
        "다이슨 V10 무선청소기 (배터리 교체함)",
        180000,
        8,
        Status.ON_SALE,
        "4년 썼지만 작년에 정품 배터리 새로 교체해서 30분 이상 갑니다. 헤드 2종, 거치대 포함. "
        "본체에 잔기스 있어요. 부피가 커서 직거래만 합니다 (망원역).",
    ),
    (
        0,
        C.APPLIANCES,
        "쿠쿠 6인용 전기압력밥솥 CRP-P0660",
        65000,
        26,
        Status.ON_SALE,
        "이사하면서 새로 사서 내놓아요. 3년 사용, 고무 패킹 작년에 교체했습니다. 내솥 코팅 벗겨짐 없어요.",
    ),
    (
        0,
        C.APPLIANCES,
        "샤오미 공기청정기 3H 필터 새것 포함",
        48000,
        72,
        Status.SOLD,
        "필터 새 제품 하나 더 드려요. 앱 연동 잘 되고 소음 작아요. 상단 커버에 햇빛 변색 약간 있어요.",
    ),
    (
        1,
        C.FURNITURE,
        "이케아 말름 서랍장 6칸 화이트",
        70000,
        12,
        Status.ON_SALE,
        "2년 사용, 서랍 레일 부드럽게 잘 열려요. 상판 모서리에 작은 찍힘 있습니다. "
        "분해 안 하고 그대로 가져가셔야 해서 차량 필요해요.",
    ),
    (
        0,
        C.FURNITURE,
        "원목 4인 식탁 세트 (의자 4개)",
        150000,
        96,
        Status.ON_SALE,
        "고무나무 원목이고 1200x750 사이즈예요. 의자 하나 다리에 기스 있어요. "
        "엘리베이터 있는 집이라 1층까지 같이 내려드릴게요.",
    ),
    (
        2,
        C.FURNITURE,
        "시디즈 T50 사무용 의자 블랙",
        120000,
        20,
        Status.ON_SALE,
        "재택하면서 1년 반 썼어요. 팔걸이 높이 조절 잘 되고 메쉬 찢어짐 없어요. 좌판 약간 눌림 있습니다.",
    ),
    (
        0,
        C.CLOTHING,
        "노스페이스 눕시 패딩 700 블랙 95",
        160000,
        3,
        Status.ON_SALE,
        "두 시즌 입었고 드라이 맡겨서 보관했어요. 충전재 빠짐 거의 없고 지퍼 멀쩡합니다. "
        "왼쪽 소매 끝에 아주 작은 보풀 있어요.",
    ),
    (
        1,
        C.CLOTHING,
        "유니클로 캐시미어 니트 베이지 M (2회 착용)",
        35000,
        40,
        Status.ON_SALE,
        "사이즈 안 맞아서 두 번 입고 보관만 했어요. 보풀 없고 택은 없습니다. 반택 포함 가격이에요.",
    ),
    (
        0,
        C.CLOTHING,
        "나이키 에어포스1 화이트 270",
        55000,
        140,
        Status.RESERVED,
        "10번 정도 신었어요. 앞코 주름 약간, 밑창 닳음 거의 없어요. 박스 있습니다.",
    ),
    (
        2,
        C.FASHION,
        "코치 숄더백 브라운 시그니처",
        89000,
        15,
        Status.ON_SALE,
        "백화점 구매 정품이고 영수증은 없어요. 가죽 끈 모서리 까짐 조금 있고 안감 깨끗해요. 더스트백 포함.",
    ),
    (
        0,
        C.FASHION,
        "카시오 지샥 DW-5600 블랙",
        52000,
        60,
        Status.ON_SALE,
        "1년 착용했고 배터리 교체한 지 얼마 안 됐어요. 베젤에 생활기스 있습니다. 박스, 설명서 있어요.",
    ),
    (
        1,
        C.BEAUTY,
        "다이슨 에어랩 컴플리트 롱 (2023)",
        430000,
        7,
        Status.ON_SALE,
        "선물 받아서 3~4번 써 봤어요. 구성품 전부 있고 파우치 포함. 정품 등록 이전 가능합니다.",
    ),
    (
        0,
        C.BEAUTY,
        "미개봉 설화수 윤조에센스 90ml",
        78000,
        45,
        Status.ON_SALE,
        "면세점에서 산 미개봉 새 제품이에요. 유통기한 2026년 8월까지. 편의점 택배비 포함 가격.",
    ),
    (
        1,
        C.BOOKS,
        "해리포터 시리즈 한국어판 전권 23권",
        60000,
        18,
        Status.ON_SALE,
        "문학수첩 판이고 아이가 한 번씩 읽었어요. 책등 바램 조금 있고 낙서나 찢어짐 없습니다. "
        "무거워서 직거래 우선.",
    ),
    (
        1,
        C.BOOKS,
        "정보처리기사 필기 2024 시나공 (필기 흔적 없음)",
        15000,
        33,
        Status.ON_SALE,
        "시험 붙고 내놓아요. 앞쪽 몇 장 형광펜 칠한 것 말고는 깨끗해요. 반택 가능.",
    ),
    (
        0,
        C.BOOKS,
        "원피스 1~60권 일괄",
        90000,
        200,
        Status.SOLD,
        "오래 보관해서 종이 변색 있어요. 빠진 권 없고 찢어진 페이지 없습니다. 박스 포장해서 택배 보내드려요.",
    ),
    (
        2,
        C.SPORTS,
        "코베아 4인용 돔 텐트 (3회 사용)",
        130000,
        9,
        Status.ON_SALE,
        "캠핑 세 번 다녀왔고 말려서 보관했어요. 폴대, 팩, 그라운드시트 다 있습니다. 곰팡이 없어요.",
    ),
    (
        0,
        C.SPORTS,
        "요넥스 배드민턴 라켓 아스트록스 77",
        85000,
        22,
        Status.ON_SALE,
        "동호회에서 1년 사용했어요. 프레임 크랙 없고 스트링은 두 달 전에 새로 맸습니다. 케이스 포함.",
    ),
    (
        2,
        C.SPORTS,
        "삼천리 하이브리드 자전거 27단 (M)",
        170000,
        80,
        Status.RESERVED,
        "출퇴근용으로 2년 탔어요. 작년에 브레이크 패드랑 체인 교체했고 타이어 상태 좋아요. 직거래만.",
    ),
    (
        0,
        C.BABY,
        "스토케 트립트랩 하이체어 내추럴",
        190000,
        4,
        Status.ON_SALE,
        "아이 둘 키우면서 썼는데 원목이라 튼튼해요. 베이비세트 포함, 등받이에 생활기스 있어요.",
    ),
    (
        1,
        C.BABY,
        "다이치 카시트 (ISOFIX) 그레이",
        110000,
        28,
        Status.ON_SALE,
        "사고 이력 없고 커버 세탁해 두었어요. 2022년 제조, 설명서 있습니다. 신생아 이너시트 포함.",
    ),
    (
        0,
        C.BABY,
        "유아 원목 블록 100피스 + 보관함",
        18000,
        120,
        Status.ON_SALE,
        "입에 넣는 시기가 지나서 정리해요. 빠진 조각 없이 100피스 다 있고 소독해서 보내드려요.",
    ),
    (
        2,
        C.GAMES,
        "레고 테크닉 포르쉐 911 GT3 RS 42056",
        260000,
        11,
        Status.ON_SALE,
        "조립 후 장식장에만 뒀어요. 부품 누락 없이 설명서, 박스 있습니다. 먼지 청소 해 드릴게요.",
    ),
    (
        0,
        C.GAMES,
        "PS5 듀얼센스 컨트롤러 화이트",
        55000,
        36,
        Status.ON_SALE,
        "본체 번들 패드예요. 쏠림 없고 버튼 모두 정상. 스틱 고무에 아주 약간 닳음 있어요.",
    ),
    (
        1,
        C.KITCHEN,
        "르크루제 무쇠냄비 22cm 체리레드",
        140000,
        16,
        Status.ON_SALE,
        "몇 번 안 써서 바닥 법랑 상태 좋아요. 뚜껑 손잡이 기스 조금. 무거워서 직거래 선호합니다.",
    ),
    (
        0,
        C.KITCHEN,
        "네스프레소 버츄오 넥스트 커피머신",
        75000,
        55,
        Status.ON_SALE,
        "1년 썼고 석회 제거 주기적으로 했어요. 캡슐 10개 서비스로 드려요. 물통에 물때 약간 있어요.",
    ),
    (
        2,
        C.PETS,
        "고양이 캣타워 대형 (스크래쳐 새로 감음)",
        45000,
        24,
        Status.ON_SALE,
        "높이 160cm, 기둥 스크래쳐 새 줄로 감아 두었어요. 해먹 하나 늘어남 있어요. 분해해서 드려요.",
    ),
    (
        0,
        C.PETS,
        "강아지 이동장 M 사이즈 (항공 규격)",
        30000,
        90,
        Status.ON_SALE,
        "비행기 한 번 타고 보관만 했어요. 잠금 고리 정상, 물그릇 포함.",
    ),
    (
        1,
        C.TICKETS,
        "스타벅스 아메리카노 기프티콘 5장",
        17000,
        1,
        Status.ON_SALE,
        "유효기간 넉넉해요 (3개월 이상). 바코드는 입금 확인 후 보내드립니다.",
    ),
    (
        0,
        C.OTHER,
        "캠핑용 접이식 웨건 카키",
        40000,
        64,
        Status.ON_SALE,
        "바퀴 4개 정상이고 천에 얼룩 조금 있어요. 접으면 트렁크에 쏙 들어가요.",
    ),
]

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


def _user(username: str, nickname: str, password: str) -> object:
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    Profile.objects.update_or_create(user=user, defaults={"nickname": nickname})
    return user


class Command(BaseCommand):
    help = "Create demo users and ≥30 Korean listings with drawn photos (safe to run again)."

    def add_arguments(self, parser: object) -> None:
        parser.add_argument("--no-photos", action="store_true", help="skip the drawn placeholder photos")

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        seller = _user(DEMO_SELLER[0], DEMO_SELLER[2], DEMO_SELLER[1])
        buyer = _user(DEMO_BUYER[0], DEMO_BUYER[2], DEMO_BUYER[1])
        sellers = [seller] + [_user(name, nick, NEIGHBOUR_PASSWORD) for name, nick in NEIGHBOURS]
        now = timezone.now()
        created = 0
        styles = [Style.BALANCED, Style.FIRM, Style.FLEXIBLE]
        # Each demo seller is stocked once: listings people later edit or delete stay as they are.
        stocked = {s.pk for s in sellers if Listing.objects.filter(seller=s).exists()}
        for i, (who, category, title, price, hours, status, description) in enumerate(LISTINGS):
            owner = sellers[who]
            if owner.pk in stocked:
                continue
            # Floors vary between 72% and 88% of the price, rounded to 1,000원.
            floor = price * (72 + (i * 7) % 17) // 100 // 1000 * 1000
            listing = services.listing_create(
                seller=owner,
                title=title,
                description=description,
                category=category,
                price=price,
                floor_price=floor,
                style=styles[i % 3],
                status=status,
            )
            created += 1
            Listing.objects.filter(pk=listing.pk).update(created_at=now - timedelta(hours=hours))
            if not options["no_photos"]:
                photo = placeholder_photo(category=category, title=title)
                services.photos_add(listing=listing, files=[photo])
        total = Listing.objects.filter(seller__in=sellers).count()
        categories = Listing.objects.filter(seller__in=sellers).values("category").distinct().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_demo: {created} new listings, {total} demo listings in {categories} categories."
            )
        )
        self.stdout.write(f"  demo seller: {DEMO_SELLER[0]} / {DEMO_SELLER[1]}")
        self.stdout.write(f"  demo buyer:  {buyer.get_username()} / {DEMO_BUYER[1]}")
        neighbours = ", ".join(name for name, _ in NEIGHBOURS)
        self.stdout.write(f"  neighbours:  {neighbours} / {NEIGHBOUR_PASSWORD}")
