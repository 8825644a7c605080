"""Property tests: any amount, written in any of the usual forms, reads back as itself."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mlcore.language.prices import MAX_PRICE, find_amounts, format_won, parse_price

DIGITS = "일이삼사오육칠팔구"


def _hangul_below_10000(n: int) -> str:
    out = []
    for unit, size in (("천", 1000), ("백", 100), ("십", 10)):
        digit, n = divmod(n, size)
        if digit:
            out.append(("" if digit == 1 else DIGITS[digit - 1]) + unit)
    if n:
        out.append(DIGITS[n - 1])
    return "".join(out)


def hangul(value: int) -> str:
    """35000 -> 삼만오천, 12000 -> 만이천 (as people write them, no 일 before a unit)."""
    man, rest = divmod(value, 10_000)
    head = "" if not man else ("" if man == 1 else _hangul_below_10000(man)) + "만"
    return head + _hangul_below_10000(rest)


def mixed(value: int, sep: str = "") -> str:
    """35000 -> 3만5천, 49900 -> 4만9천9백 (value a multiple of 100)."""
    man, rest = divmod(value, 10_000)
    parts = [f"{man}만"] if man else []
    thousands, rest = divmod(rest, 1000)
    hundreds = rest // 100
    if thousands:
        parts.append(f"{thousands}천")
    if hundreds:
        parts.append(f"{hundreds}백")
    return sep.join(parts)


prices = st.integers(min_value=100, max_value=MAX_PRICE // 10).map(lambda v: v - v % 100)
any_prices = st.integers(min_value=1, max_value=MAX_PRICE)


def written_forms(value: int) -> list[str]:
    forms = [format_won(value), f"{value}원", f"₩{value:,}", f"{value}won", hangul(value) + "원"]
    if value % 100 == 0 and value >= 1000:
        forms += [mixed(value) + "원", mixed(value, " ") + "원", mixed(value)]
    if value % 1000 == 0 and value >= 10_000:
        forms.append(f"{value // 1000}k")
    if value % 1000 == 0 and value >= 10_000 and value % 10_000:
        forms.append(f"{value / 10_000:g}만")
    forms.append(format_won(value).translate(str.maketrans("0123456789,", "０１２３４５６７８９，")))
    return forms


@settings(max_examples=300, deadline=None)
@given(any_prices)
def test_format_won_round_trips(value: int) -> None:
    text = format_won(value)
    assert [(a.value, a.start, a.end) for a in find_amounts(text)] == [(value, 0, len(text))]
    assert parse_price(text) == value


@settings(max_examples=300, deadline=None)
@given(
    prices.filter(lambda v: v >= 100),
    st.sampled_from(["{}", "{}에 가능할까요?", "택포 {} 어떠세요", "혹시 {}이면 바로 살게요"]),
)
def test_every_written_form_round_trips(value: int, template: str) -> None:
    for form in written_forms(value):
        text = template.format(form)
        assert [a.value for a in find_amounts(text)] == [value], text
        assert parse_price(text, list_price=value + value // 4) == value, text


@settings(max_examples=200, deadline=None)
@given(prices.filter(lambda v: v >= 10_000), st.data())
def test_the_last_proposed_price_wins(first: int, data: st.DataObject) -> None:
    second = data.draw(st.integers(min_value=1000, max_value=first).map(lambda v: v - v % 100))
    text = f"{format_won(first)}은 비싸고 {mixed(second) or format_won(second)} 어때요?"
    assert parse_price(text, list_price=first) == second


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=10, max_value=2000).map(lambda v: v * 1000), st.data())
def test_discounts_subtract_from_the_list_price(list_price: int, data: st.DataObject) -> None:
    discount = data.draw(st.integers(min_value=1, max_value=list_price // 1000 - 1).map(lambda v: v * 1000))
    for verb in ("만 빼주세요", " 할인 가능할까요?", "만 깎아주세요"):
        text = f"{format_won(discount)}{verb}"
        assert parse_price(text, list_price=list_price) == list_price - discount, text
    percent = data.draw(st.integers(min_value=1, max_value=50))
    expected = round(list_price * (100 - percent) / 100)
    assert parse_price(f"{percent}% 할인 가능할까요?", list_price=list_price) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=9999),
    st.sampled_from(
        ["개", "번", "년식", "년에 샀어요", "시", "분", "mm", "GB", "사이즈", "% 남았어요", "명"]
    ),
    st.integers(min_value=1000, max_value=10_000_000),
)
def test_counts_sizes_and_dates_are_not_prices(number: int, unit: str, list_price: int) -> None:
    text = f"{number}{unit}"
    assert find_amounts(text) == []
    assert parse_price(text, list_price=list_price) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.one_of(st.none(), st.integers(min_value=1, max_value=MAX_PRICE)))
def test_arbitrary_text_never_breaks_the_parser(text: str, list_price: int | None) -> None:
    price = parse_price(text, list_price=list_price)
    assert price is None or 0 <= price <= MAX_PRICE
    last_end = 0
    for amount in find_amounts(text):
        assert 0 <= amount.start < amount.end <= len(text)
        assert amount.start >= last_end
        last_end = amount.end
