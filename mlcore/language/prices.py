"""Korean price understanding: every money amount in a message, and the price it proposes.

Three layers, each a plain function:

1. `_normalize` folds full-width forms (`３만원`, `￦`) and case, keeping a map back to the
   original offsets so spans point into the text the caller gave.
2. `_scan_numbers` reads number phrases with a small grammar over Arabic digits, Sino-Korean
   digits and the units 십/백/천/만/억/k (`3만5천`, `4만 9천 9백`, `삼만오천`, `1,050만`, `3.5만`).
3. A classifier looks at the words around each phrase (원/₩/won, counters such as 개/년/GB,
   model numbers, discount verbs, shipping fees, rejected prices) to decide what it is.

`find_amounts` returns every absolute amount; `parse_price` picks the one the speaker proposes
and resolves relative forms (`5천원만 빼주세요`, `10% 할인`, `반값`, `3분의 1`) against the
list price.

Readings chosen where a message is ambiguous (each pinned by a test):
- a range (`3~4만원`, `3만~4만원`, `2,3만원`) proposes its lower end: that is what a buyer asks for;
- `한 장` / `두 장` is 1만 / 2만 원 in 중고거래 slang (100만 for dear items), only where a price
  would stand, with the list price choosing the scale;
- `5천원 더 드릴게요` adjusts an earlier offer that one message does not show, so it gives None;
- fractions (`3분의 1`) resolve to the nearest won, not to a rounder amount: the Advisor rounds
  its own counters, and the parser should report what was said.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from dataclasses import dataclass

from mlcore.schema import MAX_PRICE

# An offer this many times the list price is not an offer either.
MAX_LIST_MULTIPLE = 20
# Window, as fractions of the list price, where a unit-less small number such as `3.5` or `35`
# is read as 만 or 천: only when exactly one reading falls inside it.
SCALE_WINDOW = (0.2, 1.25)


@dataclass(frozen=True)
class Amount:
    value: int  # won
    start: int  # span in the original text
    end: int


def format_won(value: int) -> str:
    """`35000` -> `"35,000원"`."""
    return f"{value:,}원"


# --------------------------------------------------------------------------------------------
# 1. Normalisation


def _normalize(text: str) -> tuple[str, list[int]]:
    """Fold full-width forms and case; return the text and, per character, its original index."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        code = ord(char)
        if 0xFF01 <= code <= 0xFFEF or char == "\u3000":
            # Only the full-width block: NFKC elsewhere would turn ㄱㄴ into conjoining jamo.
            folded = unicodedata.normalize("NFKC", char)
        elif char in "\u2212\u2013\u2014":
            folded = "-"
        elif char == "\u301c":
            folded = "~"
        else:
            folded = char
        for piece in folded.lower():
            chars.append(piece)
            origin.append(index)
    origin.append(len(text))
    normalized = "".join(chars)
    # Slang spellings of 만원 with the same length, so offsets stay put.
    normalized = _SLANG_RE.sub("만원", normalized)
    return normalized, origin


_SLANG_RE = re.compile(r"마넌|만냥")

# Spans that contain digits but are never prices; they are blanked before number scanning.
_MASK_RES = (
    re.compile(r"##\s*<[^<>#]{0,30}>\s*##"),  # the final-offer token, read separately
    re.compile(r"(?<![\d,])01[016789][- .]?\d{3,4}[- .]?\d{4}(?!\d)"),  # mobile numbers
    re.compile(r"(?<![\d,])0\d{1,2}-\d{3,4}-\d{4}(?!\d)"),  # land lines
    re.compile(r"(?<![\d,.])\d{2,4}[./-]\d{1,2}[./-]\d{1,2}(?![\d.])"),  # dates
    re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)"),  # clock times
    # Month/day; `1/3 가격` stays, it is a fraction.
    re.compile(
        r"(?<![\d/.])\d{1,2}/(?:\d(?![\d/.])(?!\s?(?:가격|값|할인|에|로|으로|정도|만))|\d{2}(?![\d/.]))"
    ),
    # Model and part numbers: letters and digits joined by hyphens (SM-G991N, A-1234).
    re.compile(r"[a-z0-9]*[a-z][a-z0-9]*(?:-[a-z0-9]+)+|[a-z0-9]+(?:-[a-z0-9]*[a-z][a-z0-9]*)+"),
)


def _masked(normalized: str) -> str:
    for pattern in _MASK_RES:
        normalized = pattern.sub(lambda m: "_" * len(m.group()), normalized)
    return normalized


# --------------------------------------------------------------------------------------------
# 2. The number grammar

_LATIN_RE = re.compile(r"[a-z]")
_ARABIC_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?")
_DOT_THOUSANDS_RE = re.compile(r"\d{1,3}(?:\.\d{3})+(?=\s?원)")
_HANGUL_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "륙": 6, "칠": 7, "팔": 8, "구": 9}
_SMALL_UNITS = {"십": 10, "백": 100, "천": 1000}
_BIG_UNITS = {"만": 10_000, "억": 100_000_000}
_UNITS = set(_SMALL_UNITS) | set(_BIG_UNITS)
# `삼 만원`: a spaced Hangul digit, only as a word of its own before 만원/천원 (이 and 일 are also
# "this" and "work", so they stay glued).
_SPACED_DIGIT_RE = re.compile(r"(?<![가-힣])[삼사오육칠팔구] (?=[만천]\s?원)")
_START_RE = re.compile(r"\d|[일이삼사오육륙칠팔구](?=[십백천만억])|[십백천만억]|" + _SPACED_DIGIT_RE.pattern)


@dataclass(frozen=True)
class _Number:
    value: float
    start: int
    end: int
    has_unit: bool  # any of 십/백/천/만/억/k
    has_arabic: bool
    last_unit: str  # the last unit character read, "" for none
    text: str


def _unit_after(s: str, i: int) -> bool:
    """A unit at i, or after one space at i (`3 만원`); k only glued to the digits."""
    if i < len(s) and (s[i] in _UNITS or (s[i] == "k" and not _LATIN_RE.match(s, i + 1))):
        return True
    return i + 1 < len(s) and s[i] == " " and s[i + 1] in _UNITS


def _read_number(s: str, pos: int) -> _Number | None:
    """Read the longest well-formed number phrase at `pos` (units strictly decreasing)."""
    n = len(s)
    total = 0.0
    section = 0.0
    current: float | None = None
    last_small = 10**9
    last_big = 10**13
    has_unit = has_arabic = pending_arabic = False
    last_unit = ""
    i = pos
    end = pos  # end of the last complete phrase
    bare: _Number | None = None
    while i < n:
        char = s[i]
        arabic = _ARABIC_RE.match(s, i) if char.isdigit() else None
        if arabic and current is None:
            dotted = _DOT_THOUSANDS_RE.match(s, i)
            if dotted:
                arabic = dotted  # `15.000원`: dots as thousands separators
            digits_only = arabic.group().replace(",", "")
            value = float(digits_only.replace(".", "") if dotted else digits_only)
            j = arabic.end()
            if i == pos and not _unit_after(s, j):
                bare = _Number(value, pos, j, False, True, "", s[pos:j])
                break
            if i != pos and not _unit_after(s, j):
                # `3만5` is 35,000 and `3천5` 3,500 in chat shorthand, but only glued.
                digits = arabic.group()
                if i == end and digits.isdigit() and len(digits) == 1 and last_unit in "만천":
                    section += value * (1000 if last_unit == "만" else 100)
                    end = j
                    has_arabic = True
                elif i == end and digits.isdigit() and len(digits) == 4 and last_unit == "만":
                    section += value  # `1만5000원`
                    end = j
                    has_arabic = True
                break
            current = value
            # Only digits that a unit then closes belong to the phrase: in `만 42만원` the
            # 42 starts the next phrase and must not make the lone 만 look Arabic.
            pending_arabic = True
            i = j + 1 if s[j] == " " else j
            continue
        if char in _HANGUL_DIGITS and current is None and i + 1 < n and s[i + 1] in _UNITS:
            current = float(_HANGUL_DIGITS[char])
            i += 1
            continue
        if i == pos and _SPACED_DIGIT_RE.match(s, i):
            current = float(_HANGUL_DIGITS[char])
            i += 2
            continue
        k_unit = char == "k" and pending_arabic and current is not None
        unit = _SMALL_UNITS.get(char) or (1000 if k_unit else 0)
        if unit:
            if unit >= last_small:
                break
            section += (current if current is not None else 1) * unit
            current = None
            last_small = unit
            has_unit = True
            has_arabic = has_arabic or pending_arabic
            last_unit = "천" if char == "k" else char
            i += 1
            end = i
            continue
        if char in _BIG_UNITS:
            unit = _BIG_UNITS[char]
            if unit >= last_big:
                break
            chunk = section + (current or 0)
            total += (chunk or 1) * unit
            section = 0.0
            current = None
            last_small = unit
            last_big = unit
            has_unit = True
            has_arabic = has_arabic or pending_arabic
            last_unit = char
            i += 1
            end = i
            continue
        if char == " " and i == end and i > pos and i + 1 < n and _START_RE.match(s, i + 1):
            i += 1  # `3만 5천`: a single space between components
            continue
        break
    if bare is not None:
        return bare
    if end == pos:
        return None
    value = total + section
    return _Number(value, pos, end, has_unit, has_arabic, last_unit, s[pos:end])


# A 만 glued to the end of a word is that word's syllable (하지만, 그만, 오랜만) or the particle
# "only" (좀만, 이번만) when a space follows it; `만 오천원` or `택포만원` stay amounts.
_WORD_MAN_BEFORE_RE = re.compile(r"(?:지|그|랜|얼마|좀|조금|요|번|것|걸|거기|하나|둘|셋)$")


def _word_syllable_man(s: str, i: int) -> bool:
    if s[i] != "만" or i == 0 or not ("가" <= s[i - 1] <= "힣"):
        return False
    following = s[i + 1 : i + 2]
    if not following or not (following in "원천백십" or following.isdigit() or following in _HANGUL_DIGITS):
        return True  # `하지만 42만원`, `오랜만에`: nothing an amount could continue with
    return bool(_WORD_MAN_BEFORE_RE.search(s, 0, i))


def _scan_numbers(s: str) -> list[_Number]:
    numbers: list[_Number] = []
    i = 0
    while True:
        match = _START_RE.search(s, i)
        if match is None:
            return numbers
        if _word_syllable_man(s, match.start()):
            i = match.start() + 1
            continue
        number = _read_number(s, match.start())
        if number is None:
            i = match.start() + 1
            continue
        numbers.append(number)
        i = number.end


# --------------------------------------------------------------------------------------------
# 3. Context

_WON_AFTER_RE = re.compile(
    r"\s?(?:원(?!래|룸|본|작|격|피스|두|숭|석|하시는|하는|하시면|하신)|won(?![a-z])|krw(?![a-z])|₩)"
)
_WON_BEFORE_RE = re.compile(r"(?:₩|\\|krw|won)\s?$")
# Words right after a number that make it a count, a size, a date, a spec — not money.
_COUNTER_RE = re.compile(
    r"\s?(?:년|연식|살\b|살이|세\b|세대|개월|개|번|회|시간|시(?!세|죠|면)|분(?!의)|초(?!반)|"
    r"일(?![단시반괄])|주(?:일|차|간|년)|월|명|층|동\b|호(?!가|구)|등|위\b|점|장|권|벌|켤레|병|박스|세트|팩|"
    r"알|평|배|단|도\b|기\b|형\b|인치|인용|인분|학년|km|키로|킬로|kg|mm|cm|ml|mah|cc|gb|tb|mb|g\b|l\b|m\b|"
    r"w\b|hz|v\b|p\b|fps|mp|인치|사이즈|size|%|퍼|프로|미터|리터|그램|보\b|페이지|쪽|매\b|통\b|명|줄|차(?!이)|"
    r"등급|포인트|pro|max|plus|mini|ultra|se\b|ti\b|s\b|인\b|대(?!략|충|박|에|로|면))"
)
# After a 만/천 phrase only a few counters remain plausible (`3만 km`, `5천개`, `1만 명`).
_UNIT_COUNTER_RE = re.compile(
    r"\s?(?:개|번|회|명|km|키로|킬로|마일|보\b|장|건|mah|cc|점|포인트|p\b|뷰|조회|팔로|시간|원화|"
    r"컷|마리|곡|잔|켤레|발\b|판\b)"
)
_FRACTION_PART_BEFORE_RE = re.compile(r"분\s?의\s?$")
_LETTER_BEFORE_RE = re.compile(r"[a-z가-힣]$")
_LATIN_WORD_BEFORE_RE = re.compile(r"[a-z]+\s$")
_ENGLISH_OFFER_BEFORE_RE = re.compile(r"\b(?:do|for|at|pay|offer|give|take|accept|sell\s?it\s?for)\s$")
_SPEC_BEFORE_RE = re.compile(
    r"(?:모델|모델명|품번|번호|사이즈|size|연식|배터리|용량|효율|색상|호수|버전|ver|no\.?|시리즈|"
    r"아이폰|갤럭시|노트|아이패드|맥북|에어팟|플스|rtx|gtx|rx|갤탭|갤럭시탭|워치|버즈)\s?$"
)
_PRICE_WORD_BEFORE_RE = re.compile(
    r"(?:택포|택배\s?포함|가격|금액|네고|정가|판매가|희망가|제시|총|₩|krw|won)\s?(?:은|는|이|가|:|=|으로|로)?\s?$"
)
# What follows a number that someone is naming as a price (`35000에 돼요?`, `3.5 가능?`).
_BARE_CONTEXT_RE = re.compile(
    r"\s?(?:에(?!서\s?(?:산|샀|구매))|이면|면|까지|으로|로|정도|쯤|선에|선에서|선이면|선으로|이나|이요|요\s*[?.!~]*\s*$|"
    r"에요|이에요|입니다|이하|이상|이라도|라도|콜|가능|어때|어떠|되나|될까|돼|되죠|되요|되면|안될|안되|"
    r"해주|해 주|주세|주실|주시|주면|드릴|드려|받으|받을|받고|ㄱㄴ|ㄱㄱ|ok|오케|ㅇㅋ|"
    r"직거래|쿨거래|택포|현금|\?|$)"
)
_HANGUL_CONTEXT_RE = re.compile(
    r"\s?(?:에(?!요)|이면|면|까지|으로|로|정도|쯤|선|이나|이요|요\b|요[?.!~]|이에요|입니다|이라도|라도|콜|"
    r"가능|어때|어떠|되|돼|안될|안돼|해주|주세|주실|주시|드릴|받으|ㄱㄴ|택포|\?|$)"
)
_RESOLUTION_RE = re.compile(r"\s?(?:모니터|tv|티비|해상도|영상|화질|uhd|hdr|지원|60|120|144|hz)")
_VAGUE_BEFORE_RE = re.compile(r"(?:몇|수|여러|십수)\s?$")
# Words such as 사만 or 오만 are amounts only where an offer plainly follows (`사만 가능?`).
_STRONG_CONTEXT_RE = re.compile(
    r"\s?(?:에\s?(?:주|가능|팔|해|되|돼|안|살|사|구매|거래|ㄱㄴ)|이면|이요|가능|어때|어떠|콜|ㄱㄴ|ㄱㄱ|정도|쯤|\?)"
)
_HANGUL_NOT_MONEY = {"이만", "천만", "만만", "일만", "구만", "오만", "사만", "일천"}


@dataclass(frozen=True)
class _Money:
    """A number phrase judged to be an absolute amount of money."""

    value: int
    start: int  # normalized offsets
    end: int
    explicit: bool  # 원/₩/won, or inside the final-offer token
    number: _Number


def _is_money(s: str, number: _Number) -> tuple[bool, int, bool]:
    """(money?, end including the currency word, explicit?) for one number phrase."""
    before = s[max(0, number.start - 12) : number.start]
    after = s[number.end : number.end + 12]
    if before.endswith(".") and before[-2:-1].isdigit():
        return False, number.end, False
    if after.startswith(".") and after[1:2].isdigit():
        return False, number.end, False
    if _VAGUE_BEFORE_RE.search(before):
        return False, number.end, False  # `몇 만원`, `수십만원`: no amount at all
    won = _WON_AFTER_RE.match(after)
    explicit = bool(won) or bool(_WON_BEFORE_RE.search(before))
    end = number.end + (won.end() if won else 0)
    if explicit:
        return number.has_unit or number.has_arabic, end, True
    if number.has_unit:
        if _UNIT_COUNTER_RE.match(after):
            return False, end, False
        if number.has_arabic:
            # `4k 모니터`: a resolution, not 4,000원.
            if number.text.endswith("k") and (
                _RESOLUTION_RE.match(after)
                or (number.value in (4000, 8000) and not _BARE_CONTEXT_RE.match(after))
            ):
                return False, end, False
            return True, end, False
        compact = number.text.replace(" ", "")
        if len(compact) < 2 or (compact in _HANGUL_NOT_MONEY and not _STRONG_CONTEXT_RE.match(after)):
            return False, end, False
        if _LETTER_BEFORE_RE.search(before):
            return False, end, False  # `그렇구만`
        return bool(_HANGUL_CONTEXT_RE.match(after)), end, False
    return _bare_is_money(s, number, before, after), end, False


def _bare_is_money(s: str, number: _Number, before: str, after: str) -> bool:
    """A unit-less Arabic number that is at least 1,000 and sits where a price would."""
    value = number.value
    if value < 1000 or value != int(value) or int(value) % 10:
        return False
    if 1900 <= value <= 2039 and int(value) % 100:
        return False  # a year
    return _bare_context_ok(number, before, after)


def _bare_context_ok(number: _Number, before: str, after: str) -> bool:
    if _COUNTER_RE.match(after) or _LATIN_RE.match(after):
        return False
    if _SPEC_BEFORE_RE.search(before):
        return False
    if _PRICE_WORD_BEFORE_RE.search(before):
        return True
    if _ENGLISH_OFFER_BEFORE_RE.search(before):
        return True  # `can you do 40000?`
    if _LETTER_BEFORE_RE.search(before) or _LATIN_WORD_BEFORE_RE.search(before):
        return False
    if "," in number.text:
        return True
    return bool(_BARE_CONTEXT_RE.match(after))


def _final_offer(normalized: str) -> tuple[int, int, int] | None:
    """(value, start, end) of the number inside a `##<…>##` token, if any."""
    for token in _MASK_RES[0].finditer(normalized):
        inner_start = normalized.index("<", token.start()) + 1
        inner_end = normalized.index(">", inner_start)
        inner = normalized[inner_start:inner_end]
        for number in _scan_numbers(inner):
            if number.has_arabic or number.has_unit:
                value = round(number.value)
                negative = inner[: number.start].strip().endswith("-")
                return (-value if negative else value), inner_start + number.start, inner_start + number.end
    return None


def _money_in(normalized: str) -> list[_Money]:
    s = _masked(normalized)
    found: list[_Money] = []
    token = _final_offer(normalized)
    if token is not None:
        value, start, end = token
        number = _Number(float(value), start, end, False, True, "", normalized[start:end])
        found.append(_Money(value, start, end, True, number))
    for number in _scan_numbers(s):
        money, end, explicit = _is_money(s, number)
        if money:
            found.append(_Money(round(number.value), number.start, end, explicit, number))
    found.sort(key=lambda m: m.start)
    return found


def find_amounts(text: str) -> list[Amount]:
    """Every absolute money amount written in `text`, in order, with spans into `text`."""
    normalized, origin = _normalize(text)
    return [Amount(m.value, origin[m.start], origin[m.end - 1] + 1) for m in _money_in(normalized)]


# --------------------------------------------------------------------------------------------
# 4. The proposed price

_DISCOUNT_VERBS = r"(?:할인|디씨|dc|d\.c|깎|깍|빼|빠지|에누리|싸게|저렴|낮춰|낮게|내려|다운|down|off|후려)"
# Between an amount and its discount verb: `만원만`, `만원은`, `5천원 정도만 더`, `천원씩`.
_DISCOUNT_GAP = (
    r"\s?(?:만|정도|쯤|씩|가량|만\s?더|더|정도만|만이라도|이라도|라도|정도\s?더|은|는|을|를|이|가|도|"
    r"만은|정도는|이나|이라도\s?더|만\s?좀|좀|만\s?더\s?좀)?\s?(?:만\s?)?(?:좀\s?|더\s?|조금\s?|쫌\s?)?"
)
_DISCOUNT_AFTER_RE = re.compile(_DISCOUNT_GAP + r"(?:" + _DISCOUNT_VERBS[3:-1] + r"|(?P<nego>네고|에눌))")
_DISCOUNT_BEFORE_RE = re.compile(
    r"(?:할인|디씨|dc|에누리|(?P<nego>네고|에눌))\s?(?:은|는|을|를|으로|로)?\s?$"
)
_SHIPPING_BEFORE_RE = re.compile(
    r"(?:배송비|택배비|배달비|운송비|운임|퀵비|착불비|반택비|편택비)\s?(?:는|은|이|가|도|만|로|으로)?\s?(?:약\s?)?$"
)
_SHIPPING_AFTER_RE = re.compile(
    r"\s?(?:은|는|의)?\s?(?:배송비|택배비|배달비|운송비|운임)(?!\s?(?:포함|별도|따로|제외|빼고|미포함))"
)
_REFERENCE_BEFORE_RE = re.compile(
    r"(?:정가|원가|새상품|새\s?제품|새거|새것|신품|출시가|발매가|구매가|구입가|시세|공홈|매장가|원래|원래는|"
    r"리셀가|다른\s?곳|다른\s?데|딴\s?데|다른\s?분)\s?(?:은|는|이|가|도|에서|에|로)?\s?(?:거의\s?|약\s?|한\s?)?$"
)
_REFERENCE_AFTER_RE = re.compile(
    r"\s?(?:에|을|를|주고|에서)?\s?(?:샀|사셨|사신|산\s?(?:거|건|것|제품|물건)|구매|구입|산\s?거|산거|줬|결제했|결제한|이던|였는|이었|하던|이라던|짜리인|"
    r"에\s?팔(?:던|더|리|고\s?있|았)|에\s?올라|에\s?나와|로\s?나와|에\s?파는|에\s?판매(?:하|중|되)|대\b|대[가는로의]|정도\s?하던|정도\s?하는|하는\s?거|하는데|차이|단위)"
)
_REJECTED_AFTER_RE = re.compile(
    r"\s?(?:은|는|이|가|도|까지는|은\s?좀|는\s?좀)?\s?(?:좀|너무|넘|조금|약간|많이|살짝|쫌|진짜|넘나|꽤|좀\s?많이)?\s?"
    r"(?:비싸|비쌈|비싼|아깝|아까|부담|힘들|어렵|무리|오버|쎄|쌔|높|말고|보다)"
)
_EXTRA_AFTER_RE = re.compile(r"\s?(?:만\s?)?(?:더\s?(?:드릴|얹|줄|낼|올려|쳐)|추가로?\s?(?:드릴|낼)|올려)")
_NEGATIVE_BEFORE_RE = re.compile(r"(?:^|[^\w])-\s?$|마이너스\s?$")
_DISCOUNT_NEAR_RE = re.compile(_DISCOUNT_GAP + _DISCOUNT_VERBS)
_PERCENT_RE = re.compile(
    r"(?<![\d.])(\d{1,2}(?:\.\d+)?|(?<![가-힣])[이삼사오]?십[일이삼사오육칠팔구]?)\s?"
    r"(?P<unit>%|퍼센트|퍼(?!스|펙|블|즐|플)|프로(?!필|그램|모|젝|세|모션))"
)
_HAL_RE = re.compile(r"(?<![\d.])([1-5]|[일이삼사오])\s?할(?!부|게|께|까|거|지|수|래|인|만한|말|일|머|때|려)")
_FRACTION_RE = re.compile(
    r"(?<![\d.])(\d|[이삼사오육칠팔구십])\s?분\s?의\s?(\d|[일이삼사오육칠팔구])(?![\d])"
    r"|(?<![\d./])([1-9])\s?/\s?([2-9])(?![\d/.])(?=\s?(?:가격|값|할인|에|로|정도|만))"
)
_QUARTER_RE = re.compile(r"반의\s?반")
_HALF_RE = re.compile(
    r"(?<!반의\s)(?<!반의)(?:반\s?값(?!\s?택배)|반\s?가격|반액|절반|반\s?토막|반만\s?(?:받|주|해)|하프\s?가격)"
)
_FREE_RE = re.compile(
    r"무료\s?나눔|나눔|공짜|무료(?!\s?(?:배송|택배|배달|반품|교환|증정|as|a/s|수리))|프리\s?나눔|그냥\s?주"
)
_FREE_EXCLUDED_BEFORE_RE = re.compile(r"(?:배송|택배|배달|반품|교환)비?\s?(?:는|은|이|가|도)?\s?$")
_ATTRIBUTE_WORDS_RE = re.compile(
    r"배터리|밧데리|효율|성능|충전|잔량|용량|수명|상태|확률|습도|밝기|정확|할부|이자|수수료|적립|포인트|"
    r"남았|남음|남아|사용량|진행|완료|정품|싱크|승률|지분|세일\s?중|행사"
)
_PERCENT_REQUEST_RE = re.compile(r"가능|될까|되나|안될|안되|돼요|해주|해 주|부탁|ㄱㄴ|\?|만|정도|쯤")
_OF_PRICE_RE = re.compile(r"\s?(?:의\s?)?(?:가격|값|금액)")
_OF_PRICE_BEFORE_RE = re.compile(r"(?:정가|원가|가격|판매가|금액)\s?(?:의|에서)\s?$")


@dataclass(frozen=True)
class _Offer:
    value: int | None  # None: relative with no list price to resolve it
    start: int
    end: int
    role: str  # offer, shipping, reference, rejected, extra


def _percent_value(token: str) -> float:
    if token[0].isdigit():
        return float(token)
    tens, _, ones = token.partition("십")
    return 10 * (_HANGUL_DIGITS[tens] if tens else 1) + (_HANGUL_DIGITS[ones] if ones else 0)


def _hangul_or_int(token: str) -> int:
    if token.isdigit():
        return int(token)
    return 10 if token == "십" else _HANGUL_DIGITS[token]


def _discount_verb_near(after: str) -> bool:
    return bool(_DISCOUNT_NEAR_RE.match(after))


def _relative_offers(s: str, list_price: int | None, taken: list[tuple[int, int]]) -> list[_Offer]:
    """Percentages, 할, fractions, halves and free requests, resolved against the list price."""
    offers: list[_Offer] = []

    def resolve(fraction_of_price: float) -> int | None:
        return round(list_price * fraction_of_price) if list_price else None

    for match in _PERCENT_RE.finditer(s):
        percent = _percent_value(match.group(1))
        after = s[match.end() : match.end() + 15]
        before = s[max(0, match.start() - 10) : match.start()]
        if _OF_PRICE_RE.match(after) or _OF_PRICE_BEFORE_RE.search(before):
            offers.append(_Offer(resolve(percent / 100), match.start(), match.end(), "offer"))
            continue
        discount = _discount_verb_near(after)
        if not discount and not _ATTRIBUTE_WORDS_RE.search(s):
            # `10퍼 가능?`, `10%만요`: a bare percentage in a haggle is a discount, but
            # `아이폰 13 프로` is a model, so 프로 needs a discount verb.
            discount = match.group("unit") != "프로" and bool(
                _PERCENT_REQUEST_RE.search(after) or not after.strip()
            )
        if discount and 0 < percent < 100:
            offers.append(_Offer(resolve(1 - percent / 100), match.start(), match.end(), "offer"))
    for match in _HAL_RE.finditer(s):
        tenths = _hangul_or_int(match.group(1))
        offers.append(_Offer(resolve(1 - tenths / 10), match.start(), match.end(), "offer"))
    for match in _FRACTION_RE.finditer(s):
        if match.group(1):
            denominator, numerator = _hangul_or_int(match.group(1)), _hangul_or_int(match.group(2))
        else:
            numerator, denominator = int(match.group(3)), int(match.group(4))
        if not 0 < numerator < denominator:
            continue
        after = s[match.end() : match.end() + 15]
        share = numerator / denominator
        if _discount_verb_near(after) and not _OF_PRICE_RE.match(after):
            share = 1 - share
        offers.append(_Offer(resolve(share), match.start(), match.end(), "offer"))
    for match in _QUARTER_RE.finditer(s):
        offers.append(_Offer(resolve(0.25), match.start(), match.end(), "offer"))
    for match in _HALF_RE.finditer(s):
        offers.append(_Offer(resolve(0.5), match.start(), match.end(), "offer"))
    for match in _FREE_RE.finditer(s):
        if _FREE_EXCLUDED_BEFORE_RE.search(s[max(0, match.start() - 8) : match.start()]):
            continue
        offers.append(_Offer(0, match.start(), match.end(), "offer"))
    # Drop relative forms that overlap an amount already read (`1할` inside nothing, but
    # `3분의 1` must not also count as a bare 1).
    return [o for o in offers if not any(a < o.end and o.start < b for a, b in taken)]


def _role(s: str, money: _Money) -> str:
    before = s[max(0, money.start - 14) : money.start]
    after = s[money.end : money.end + 16]
    if _SHIPPING_BEFORE_RE.search(before) or _SHIPPING_AFTER_RE.match(after):
        return "shipping"
    if _EXTRA_AFTER_RE.match(after):
        return "extra"
    if _REFERENCE_BEFORE_RE.search(before) or _REFERENCE_AFTER_RE.match(after):
        return "reference"
    if _REJECTED_AFTER_RE.match(after):
        return "rejected"
    return "offer"


def _scaled_bare(number: _Number, list_price: int) -> int | None:
    """`3.5` or `35` next to a list price of 50,000: the one reading of 만/천 that fits."""
    low, high = (list_price * f for f in SCALE_WINDOW)
    fits = {round(number.value * scale) for scale in (1, 1000, 10_000) if low <= number.value * scale <= high}
    fits = {v for v in fits if v % 10 == 0}
    return fits.pop() if len(fits) == 1 else None


def _plausible(value: int | None, list_price: int | None) -> bool:
    if value is None or value < 0 or value > MAX_PRICE:
        return False
    return not (list_price and value > list_price * MAX_LIST_MULTIPLE)


def parse_price(text: str, *, list_price: int | None = None, standing: int | None = None) -> int | None:
    """The price the speaker proposes in `text`, in won, or None when it proposes none.

    A discount in won ("5천원만 빼주세요") comes off `standing`, the seller's offer now, when
    given: after the seller came down to 410,000원 it asks for 405,000원, not list - 5,000원."""
    list_price = list_price if list_price and list_price > 0 else None
    normalized, _ = _normalize(text)
    token = _final_offer(normalized)
    if token is not None:
        return token[0] if _plausible(token[0], list_price) else None
    s = _masked(normalized)
    offers: list[_Offer] = []
    taken: list[tuple[int, int]] = []
    monies = _money_in(normalized)
    money_starts = {m.start for m in monies}
    previous: _Money | None = None
    for money in monies:
        taken.append((money.start, money.end))
        before = s[max(0, money.start - 10) : money.start]
        after = s[money.end : money.end + 16]
        value: int | None = money.value
        negative = bool(_NEGATIVE_BEFORE_RE.search(before))
        number = money.number
        # `5천만 빼주세요`: 만 is the particle "only", not ten thousand.
        if (
            not money.explicit
            and number.text.endswith("만")
            and number.value >= 10_000_000
            and (_discount_verb_near(after) or (list_price and number.value > list_price * MAX_LIST_MULTIPLE))
        ):
            value = round(number.value / 10_000)
            after = "만" + after
        nego = _DISCOUNT_AFTER_RE.match(after) or _DISCOUNT_BEFORE_RE.search(before)
        is_discount = bool(nego)
        if nego and nego.group("nego") and list_price and value >= list_price * 0.5:
            is_discount = False  # `3만 네고 가능?` names the price, `5천원 네고` a discount
        if is_discount and not negative:
            base = standing if standing and list_price and standing <= list_price else list_price
            if previous is not None and s[previous.end : previous.end + 3].startswith("에서"):
                base = previous.value  # `3만원에서 5천원만 빼주세요`
            offers.append(_Offer(base - value if base else None, money.start, money.end, "offer"))
        else:
            role = _role(s, money)
            if negative:
                value = -1
            elif role == "offer":
                value = _range_low(s, money, previous, value)
            offers.append(_Offer(value, money.start, money.end, role))
        previous = money
    if list_price:
        offers.extend(_bare_scaled_offers(s, list_price, money_starts))
    offers.extend(_sheet_offers(s, list_price))
    offers.extend(_relative_offers(s, list_price, taken))
    offers.sort(key=lambda o: o.start)
    proposed = [o for o in offers if o.role == "offer"]
    if not proposed:
        return None
    value = proposed[-1].value
    return value if _plausible(value, list_price) else None


# A relative form the speaker turns down in the same clause (`반값은 어려워요`) is no offer.
_CLAUSE_END = re.compile(r"[.!?~,\n]")
_REFUSED_IN_CLAUSE = re.compile(
    r"어렵|어려|힘들|안\s?(?:돼|되|해|하|드려|드릴)|못\s?(?:해|하|드려|드릴)|불가|곤란|무리"
)


def implied_prices(text: str, *, list_price: int) -> list[int]:
    """Every price `text` offers relative to the list price, in won: 반값, `20% 할인`, `3분의 2
    가격`, `1할`, 무료 — the forms `parse_price` resolves for buyers, read here in every place
    they occur (a guard must see them all, not only the last), except where the same clause
    turns them down. Amounts written out (`5만원 빼드릴게요`) are `find_amounts`' business."""
    normalized, _ = _normalize(text)
    s = _masked(normalized)
    taken = [(m.start, m.end) for m in _money_in(normalized)]
    prices = []
    for offer in sorted(_relative_offers(s, list_price, taken), key=lambda o: o.start):
        rest = s[offer.end : offer.end + 24]
        end = _CLAUSE_END.search(rest)
        clause = rest[: end.start()] if end else rest
        if offer.value is not None and not _REFUSED_IN_CLAUSE.search(clause):
            prices.append(offer.value)
    return prices


_RANGE_SEP = r"\s?(?:~|-|에서|,)\s?"
_RANGE_BARE_BEFORE_RE = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d)?)\s?(?:~|-|,)\s?$")
_RANGE_AFTER_MONEY_RE = re.compile(_RANGE_SEP + "$")
_UNIT_SCALE = {"만": 10_000, "천": 1000, "백": 100, "십": 10, "억": 100_000_000}


def _range_low(s: str, money: _Money, previous: _Money | None, value: int) -> int:
    """`3~4만원`, `3만~4만원`, `2,3만원`: a buyer naming a range proposes its lower end."""
    low: float | None = None
    if previous is not None and _RANGE_AFTER_MONEY_RE.match(s, previous.end, money.start):
        low = previous.value
    else:
        match = _RANGE_BARE_BEFORE_RE.search(s, max(0, money.start - 8), money.start)
        scale = _UNIT_SCALE.get(money.number.last_unit)
        if match and scale:
            low = float(match.group(1)) * scale
    if low is not None and 0.4 * value <= low < value:
        return round(low)
    return value


# `한 장` / `두 장`: 1만 / 2만 원 in 중고거래 slang (100만 for dear items), only where a price
# would stand; the list price picks the scale.
_SHEET_RE = re.compile(
    r"(?<![가-힣\d])(한|두|세|네|다섯|[1-5])\s?장(\s?반)?(?=\s?(?:에|이면|면|정도|쯤|까지|으로|로|만|콜|가능|어때|어떠|"
    r"되|돼|해주|주세|주시|주면|드릴|ㄱㄴ|ㄱㄱ|ok|오케|ㅇㅋ|택포|\?|$))"
)
_SHEET_COUNT = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5}
_SHEET_OBJECT_BEFORE_RE = re.compile(r"(?:사진|티켓|표|카드|장수|몇|앨범|포카|스티커|종이|매|씩)\s?$")


def _sheet_offers(s: str, list_price: int | None) -> list[_Offer]:
    offers = []
    for match in _SHEET_RE.finditer(s):
        if _SHEET_OBJECT_BEFORE_RE.search(s, max(0, match.start() - 6), match.start()):
            continue
        count = _SHEET_COUNT.get(match.group(1)) or int(match.group(1))
        sheets = count + (0.5 if match.group(2) else 0)
        value = round(sheets * 10_000)
        if list_price:
            low, high = (list_price * f for f in SCALE_WINDOW)
            fits = [round(sheets * scale) for scale in (10_000, 1_000_000) if low <= sheets * scale <= high]
            if len(fits) != 1:
                continue
            value = fits[0]
        offers.append(_Offer(value, match.start(), match.end(), "offer"))
    return offers


def _bare_scaled_offers(s: str, list_price: int, skip: set[int]) -> list[_Offer]:
    offers = []
    for number in _scan_numbers(s):
        if number.start in skip or number.has_unit or number.value >= 1000:
            continue
        if "." in number.text and len(number.text.split(".")[1]) > 1:
            continue  # `3.15` is a date more often than 31,500원
        before = s[max(0, number.start - 12) : number.start]
        after = s[number.end : number.end + 12]
        if before.endswith(".") or (after.startswith(".") and after[1:2].isdigit()):
            continue
        if not _bare_context_ok(number, before, after) or _UNIT_COUNTER_RE.match(after):
            continue
        if _FRACTION_PART_BEFORE_RE.search(before):
            continue  # the `1` of a bare `3분의 1` is a fraction, not 1만원
        value = _scaled_bare(number, list_price)
        if value is not None:
            offers.append(_Offer(value, number.start, number.end, "offer"))
    return offers


# --------------------------------------------------------------------------------------------
# CLI: python -m mlcore parse-price "TEXT" --list-price N


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", help="one chat message, in Korean")
    parser.add_argument("--list-price", type=int, default=None, help="the listing's price in won")


def run(args: argparse.Namespace) -> int:
    print(json.dumps({"price": parse_price(args.text, list_price=args.list_price)}))
    return 0
