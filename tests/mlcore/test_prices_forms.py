"""Each written form of a price, through the public functions `find_amounts`, `parse_price`
and `format_won`: absolute forms, relative forms, free requests, several prices, non-prices."""

from __future__ import annotations

import pytest

from mlcore.language.prices import Amount, find_amounts, format_won, parse_price

ABSOLUTE_FORMS = [
    ("35000원", 35000),
    ("35,000원", 35000),
    ("３만원", 30000),
    ("３５，０００원", 35000),
    ("3만5천원", 35000),
    ("3만 5천", 35000),
    ("3 만원", 30000),
    ("3.5만", 35000),
    ("삼만오천원", 35000),
    ("만 오천원", 15000),
    ("3만오천", 35000),
    ("4만 9천 9백원", 49900),
    ("25k", 25000),
    ("2마넌", 20000),
    ("₩30,000", 30000),
    ("￦30,000", 30000),
    ("30000won", 30000),
    ("30,000 KRW", 30000),
    ("택포 4만", 40000),
    ("천만원", 10_000_000),
    ("1,050만원", 10_500_000),
    ("가격은35000원", 35000),
    ("##<30000>##", 30000),
    ("3만5", 35000),
    ("이십만원", 200_000),
    ("백오십만원", 1_500_000),
    ("2천3백만원", 23_000_000),
]


@pytest.mark.parametrize(("text", "value"), ABSOLUTE_FORMS)
def test_absolute_form_is_found_and_proposed(text: str, value: int) -> None:
    assert [a.value for a in find_amounts(text)] == [value]
    assert parse_price(text) == value
    assert parse_price(f"{text}에 가능할까요?", list_price=value + value // 5) == value


def test_spans_point_into_the_original_text() -> None:
    text = "가격은３만５천원, 배송비 3,000원 별도"
    amounts = find_amounts(text)
    assert amounts == [Amount(35000, 3, 8), Amount(3000, 14, 20)]
    assert [text[a.start : a.end] for a in amounts] == ["３만５천원", "3,000원"]


def test_amounts_without_won_in_a_money_context_are_found() -> None:
    # The guard must see the floor however it is written.
    assert [a.value for a in find_amounts("3만 5천 어떠세요")] == [35000]
    assert [a.value for a in find_amounts("35000 어떠세요?")] == [35000]
    assert [a.value for a in find_amounts("삼만 오천 가능해요")] == [35000]


def test_every_amount_is_found_in_order() -> None:
    text = "4만원은 어렵고 배송비 3000원 포함해서 3만5천원까지 해드릴게요"
    assert [a.value for a in find_amounts(text)] == [40000, 3000, 35000]


@pytest.mark.parametrize(
    "text",
    [
        "2019년식",
        "2개 3번 썼어요",
        "3시 30분",
        "270mm",
        "95사이즈",
        "128GB",
        "RTX 3080",
        "아이폰13",
        "010-1234-5678",
        "SM-G991N",
        "배터리 85%",
        "그럼 이만 가볼게요",
        "이만하면 됐죠",
        "만약에",
        "천천히",
        "10% 할인",
        "반값",
        "2024.03.15",
    ],
)
def test_non_amounts_are_not_found(text: str) -> None:
    assert find_amounts(text) == []


RELATIVE = [
    ("5천원만 빼주세요", 50000, 45000),
    ("만원 할인", 50000, 40000),
    ("2만원 빼주세요", 50000, 30000),
    ("10% 할인", 50000, 45000),
    ("20프로 깎아", 50000, 40000),
    ("10퍼", 50000, 45000),
    ("10퍼 할인", 50000, 45000),
    ("1할", 50000, 45000),
    ("반값", 50000, 25000),
    ("반값에 주세요", 50000, 25000),
    ("절반", 50000, 25000),
    ("3분의 1", 30000, 10000),
    ("3분의 1 가격", 30000, 10000),
    ("3분의 1 할인", 30000, 20000),
    ("5천만 빼주세요", 50000, 45000),
    ("3만원에서 5천원만 빼주세요", 50000, 25000),
    # A discount whatever particle or adverb stands between the amount and the verb.
    ("만원은 빼주세요", 50000, 40000),
    ("만원 빼주세요", 50000, 40000),
    ("만원만 깎아", 50000, 40000),
    ("만 원 할인", 50000, 40000),
    ("천원만 빼줘요", 50000, 49000),
    ("만원을 깎아주실 수 있나요", 50000, 40000),
    ("5천원 정도만 더 빼주시면", 50000, 45000),
    ("5천 에눌 ㄱㄴ?", 45000, 40000),
    ("2만원까지 깎아주시면 안되나요", 50000, 20000),
]


@pytest.mark.parametrize(("text", "list_price", "expected"), RELATIVE)
def test_relative_forms_resolve_against_the_list_price(text: str, list_price: int, expected: int) -> None:
    assert parse_price(text, list_price=list_price) == expected


@pytest.mark.parametrize("text", ["10% 할인", "반값", "만원 할인", "3분의 1"])
def test_relative_forms_without_a_list_price_give_none(text: str) -> None:
    assert parse_price(text) is None


def test_discount_amount_is_not_read_as_an_offer() -> None:
    # The original parser read `2만원 빼주세요` as an offer of 20,000.
    assert parse_price("2만원 빼주세요", list_price=100_000) == 80_000


@pytest.mark.parametrize(
    "text", ["무료 나눔", "무료나눔 안되나요?", "나눔 가능할까요", "공짜", "0원에 주세요"]
)
def test_free_requests_are_zero(text: str) -> None:
    assert parse_price(text, list_price=20000) == 0


@pytest.mark.parametrize("text", ["무료배송인가요?", "배송비 무료인가요?", "반값택배 가능한가요?"])
def test_free_shipping_is_not_a_free_request(text: str) -> None:
    assert parse_price(text, list_price=20000) is None


SEVERAL = [
    ("4만원은 비싸고 3만원 어때요?", 50000, 30000),
    ("배송비 3000원 포함해서 35000원", 40000, 35000),
    ("3만원에 주시면 배송비 3000원은 제가 낼게요", 40000, 30000),
    ("새거 5만원이던데 3만원에 주세요", 40000, 30000),
    ("3만원 어때요? 새거가 5만원이던데", 40000, 30000),
    ("4만원 말고 3만5천원 어때요", 40000, 35000),
    ("5천원 빼고 4만5천원에 주세요", 50000, 45000),
]


@pytest.mark.parametrize(("text", "list_price", "expected"), SEVERAL)
def test_several_prices_give_the_proposed_one(text: str, list_price: int, expected: int) -> None:
    assert parse_price(text, list_price=list_price) == expected


NOT_PRICES = [
    "2019년식",
    "2019년에 샀어요",
    "2개",
    "3번",
    "3시",
    "30분",
    "3월 5일",
    "270",
    "270mm",
    "95사이즈",
    "128GB",
    "RTX 3080",
    "아이폰13",
    "010-1234-5678",
    "배터리 85%",
    "그럼 이만 가볼게요",
    "이만하면 괜찮네요",
    "만약 내일 가면",
    "-5000원",
    "1000000000원",
    "5만원은 좀 비싸요",
    "배송비 3000원인가요?",
    "몇 만원까지 생각하세요?",
]


@pytest.mark.parametrize("text", NOT_PRICES)
def test_not_prices_give_none(text: str) -> None:
    assert parse_price(text, list_price=150_000) is None


def test_more_than_twenty_times_the_list_price_is_absurd() -> None:
    assert parse_price("100만원에 살게요", list_price=40000) is None
    assert parse_price("100만원에 살게요", list_price=400_000) == 1_000_000


@pytest.mark.parametrize(
    ("text", "list_price", "expected"),
    [
        ("35000에 돼요?", 50000, 35000),
        ("3.5 가능?", 50000, 35000),
        ("35에 되나요", 50000, 35000),
        ("80에 가능?", 1_000_000, 800_000),
        ("8 가능?", 1_000_000, None),  # 8,000 and 80,000 are both far from 1,000,000
        ("3.5 가능?", None, None),  # no list price, no scale
        ("270 있나요?", 150_000, None),
    ],
)
def test_bare_numbers_take_their_scale_from_the_list_price(
    text: str, list_price: int | None, expected: int | None
) -> None:
    assert parse_price(text, list_price=list_price) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0원"),
        (500, "500원"),
        (35000, "35,000원"),
        (1_234_567, "1,234,567원"),
        (100_000_000, "100,000,000원"),
    ],
)
def test_format_won(value: int, text: str) -> None:
    assert format_won(value) == text


SELLER_REPLIES = [
    ("35,000원에 드릴게요", [35000]),
    ("삼만오천원까지는 가능해요", [35000]),
    ("3.5만원은 어떠세요?", [35000]),
    ("35k 어떠세요", [35000]),
    ("4만원은 어렵고 3만5천원까지 가능합니다", [40000, 35000]),
    ("5천원만 빼드릴게요", [5000]),
    ("2019년식이고 128GB 모델이라 30만원은 받아야 해요", [300000]),
    ("만원 할인해서 4만원에 드릴게요", [10000, 40000]),
    ("삼만 오천 원이 최선이에요", [35000]),
    ("3만원이요? 3만 2천원 어떠세요", [30000, 32000]),
    # 만 ending a word (하지만, 그만, 오랜만) or the particle "only" is no 10,000.
    ("죄송하지만 42만원이 최저예요", [420000]),
    ("죄송하지만 5천원은 어려워요", [5000]),
    ("아쉽지만 이번만 3만원에 드릴게요", [30000]),
    ("오랜만 5천원 할인해 드려요", [5000]),
    ("좀만 기다려 주세요 2만원 맞춰 드릴게요", [20000]),
    ("하지만 만오천원은 어려워요", [15000]),
    ("3 만 5 천원", [35000]),
    ("반값은 어렵고요, 10% 할인은 가능해요", []),
]


@pytest.mark.parametrize(("text", "values"), SELLER_REPLIES)
def test_find_amounts_in_seller_replies(text: str, values: list[int]) -> None:
    assert [a.value for a in find_amounts(text)] == values


@pytest.mark.parametrize(
    ("text", "list_price", "expected"),
    [
        # A buyer naming a range proposes its lower end.
        ("3~4만원 생각중이에요", 50000, 30000),
        ("3만~4만원 사이면 살게요", 50000, 30000),
        ("2,3만원이면 좋겠어요", 30000, 20000),
        ("4만원에서 3만원으로 내려주세요", 50000, 30000),
        # `한 장` is 1만 (or 100만 for dear items) only where a price would stand.
        ("한 장 가능?", 15000, 10000),
        ("두장에 주세요", 25000, 20000),
        ("한장반 ㄱㄴ?", 20000, 15000),
        ("폰 한 장에 팔아요?", 1_200_000, 1_000_000),
        ("사진 한 장 더 보내주세요", 20000, None),
        # An upward adjustment has no base without the dialogue history.
        ("5천원 더 드릴게요", 50000, None),
    ],
)
def test_ranges_and_slang(text: str, list_price: int, expected: int | None) -> None:
    assert parse_price(text, list_price=list_price) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [("1만5000원", 15000), ("15.000원", 15000), ("삼 만원", 30000), ("사만 가능하세요?", 40000)],
)
def test_looser_spellings(text: str, value: int) -> None:
    assert [a.value for a in find_amounts(text)] == [value]


@pytest.mark.parametrize(
    "text", ["5/20에 직거래 가능한가요", "그럼 이만", "천만에요", "만약 안팔리면 연락주세요"]
)
def test_more_non_prices(text: str) -> None:
    assert parse_price(text, list_price=50000) is None
