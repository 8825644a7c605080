"""Personal data in chat messages: found and masked before a chat becomes training data.

Buyers and sellers trade contact details to arrange the hand-over (phone numbers, 카카오톡 ids,
e-mail, bank accounts for the transfer, the address to ship to). None of it may reach a training
run: a model that saw it can repeat it. Each kind is masked by its placeholder, so the dialogue
still reads as the negotiation it was ("연락은 [전화번호]로 주세요").

Prices, model numbers and sizes must survive untouched ("아이폰 13 128GB", "27인치", "3만5천원",
"가로 120 세로 60"): they are what the seller model learns from. So every pattern needs a signal
no price has — a 01x prefix and 10+ digits, an `@`, a 카톡 label, a road or lot number with a
district or 번지/호 — rather than "a long number".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

PHONE = "[전화번호]"
ACCOUNT = "[계좌번호]"
EMAIL = "[이메일]"
KAKAO = "[카카오톡]"
ADDRESS = "[주소]"
PLACEHOLDERS = (PHONE, ACCOUNT, EMAIL, KAKAO, ADDRESS)

# A digit as people type it: ASCII, full-width (\d covers both) or read out in Korean.
_KO_DIGIT = "[공영일이삼사오육륙칠팔구]"
_DIGIT = rf"(?:\d|{_KO_DIGIT})"
_SEP = r"[\s.\-·]{0,2}"
# After a number, a Korean digit glued to it is still a digit; after a space it is a word ("이나").
_KO_DIGIT_AFTER = rf"(?!{_KO_DIGIT})"
# Full-width forms ("０１０－１２３４") are read as ASCII; one character for one, so spans still fit.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# 01x mobile numbers in digits, Korean words or a mix (+82 may drop the leading 0), and 0xx
# landlines in digits.
_PHONE_RE = re.compile(
    rf"(?<!\d)(?:\+\s?82[\s\-]?(?:0|공|영)?|0|공|영){_SEP}(?:1|일){_SEP}[016789공영일육륙칠팔구]{_SEP}"
    rf"(?:{_DIGIT}{_SEP}){{6,7}}{_DIGIT}(?![\s.\-·]{{0,2}}\d){_KO_DIGIT_AFTER}"
    r"|(?<!\d)0(?:2|[3-6][1-5]|70)[\s.\-)]{0,2}\d{3,4}[\s.\-]{0,2}\d{4}(?!\d)"
)
# Accounts: hyphenated groups (110-123-456789, 1002-123-456789), a bare run of 10–16 digits, or
# one read out in Korean. No price reaches 10 digits (MAX_PRICE has 9); a phone is matched first.
_ACCOUNT_RE = re.compile(
    r"(?<![\d\-])\d{2,6}(?:[\-\s]\d{2,7}){1,4}(?![\d\-])|(?<!\d)\d{10,16}(?!\d)"
    rf"|(?<!{_KO_DIGIT})(?:{_KO_DIGIT}[\s.\-]?){{9,15}}{_KO_DIGIT}(?!{_KO_DIGIT})"
)
_ACCOUNT_MIN_DIGITS = 10
# Grouped by spaces, a run of numbers is a price list ("25000 27000"), not an account, unless a
# bank or 계좌 is named nearby.
_BANK_RE = re.compile(
    r"계좌|입금|송금|은행|뱅크|국민|신한|우리|하나|농협|기업|카카오|토스|케이|새마을|우체국|신협|수협|SC|KB|NH|IBK"
)
# ASCII addresses, and the Korean readings of `@` and `.` ("abc 골뱅이 naver 닷컴").
_EMAIL_RE = re.compile(
    r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
    r"|[A-Za-z0-9._\-]+\s*(?:@|골뱅이|앳)\s*"
    r"(?:[A-Za-z0-9\-]+|네이버|다음|한메일|지메일|구글|카카오|네이트|야후)"
    r"(?:\s*(?:\.|닷|점)\s*(?:com|net|co\.kr|kr|org|컴|넷|씨오케이알|케이알))*",
    re.IGNORECASE,
)
_OPEN_CHAT_RE = re.compile(r"(?:https?://)?(?:open|qr)\.kakao\.com/\S+", re.IGNORECASE)
# A 카카오톡 id after its label. With an explicit 아이디/ID the id may be any handle; after a bare
# "카톡" it must look like one (a digit, `_` or `.`), so that "카톡 please" is left alone.
_KAKAO_LABEL = r"(?:카카오\s*톡|카카오|카톡|오픈\s*채팅|오픈\s*톡|kakao\s*talk|kakaotalk|kakao)"
_KAKAO_ID_RE = re.compile(
    rf"{_KAKAO_LABEL}\s*(?:아이디|아뒤|id)\s*(?:는|은|:|：|=)?\s*"
    r"(?P<id>[A-Za-z][A-Za-z0-9._\-]{2,19})(?![A-Za-z0-9._\-])"
    rf"|{_KAKAO_LABEL}\s*(?:는|은|:|：)?\s*"
    r"(?P<bare>[A-Za-z][A-Za-z0-9]*[0-9._][A-Za-z0-9._\-]*)(?![A-Za-z0-9._\-])",
    re.IGNORECASE,
)
_CITY = (
    r"(?:서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주)"
    r"(?:특별시|광역시|특별자치시|특별자치도|시|도)?"
)
_DISTRICT = r"[가-힣]{1,6}(?:시|군|구)"
# A building number, not followed by what makes a number a size, a count or a price.
_NUM = (
    r"\d{1,4}(?:-\d{1,4})?(?!\d|,\d|\.\d)"
    r"(?!\s?(?:개|cm|mm|m\b|만|천|원|인치|kg|g\b|%|시|분|번(?!지|길)|살|명|일|년|월|층|배|장|권|벌|켤레|프로))"
)
_ROAD = rf"[가-힣0-9]{{1,12}}(?:대로|로|길)\s?{_NUM}(?:\s?번?길\s?{_NUM})?"
_LOT = rf"[가-힣]{{1,6}}(?:동|리|가)\s?{_NUM}(?:\s?번지)?"
_UNIT = r"\d{1,4}\s?동\s?\d{1,4}\s?호"
_ADDRESS_RE = re.compile(
    # With a district, any road or lot number: "강남구 테헤란로 123", "수원시 영통구 매탄동 12".
    rf"(?:{_CITY}\s+)?(?:{_DISTRICT}\s+){{1,2}}(?:[가-힣]{{1,6}}(?:동|읍|면)\s+)?(?:{_ROAD}|{_LOT})"
    rf"(?:,?\s*{_UNIT})?"
    # After a label: "주소는 테헤란로 123".
    rf"|주소\s*(?:는|은|가|:|：)?\s*(?P<labelled>(?:{_CITY}\s+)?{_ROAD}(?:,?\s*{_UNIT})?)"
    # Alone, only what no size, count or price looks like: 길 roads, 번지, a lot with a dash, 동/호.
    rf"|(?<![가-힣])[가-힣0-9]{{2,12}}길\s?{_NUM}(?:,?\s*{_UNIT})?"
    rf"|[가-힣]{{1,6}}(?:동|리)\s?\d{{1,4}}(?:-\d{{1,4}}(?:\s?번지)?|\s?번지)(?!\d)(?:,?\s*{_UNIT})?"
    rf"|{_UNIT}"
    # Romanised: "123 Teheran-ro", "Teheran-ro 123".
    r"|(?:\d{1,4}(?:-\d{1,4})?,?\s+[A-Za-z]+-(?:daero|ro|gil)\b|\b[A-Za-z]+-(?:daero|ro|gil)\s+\d{1,4}(?:-\d{1,4})?)"
    r"(?:,?\s*[A-Za-z]+-(?:gu|dong|si|gun)\b)*"
)


@dataclass(frozen=True)
class Found:
    kind: str  # the placeholder, e.g. "[전화번호]"
    start: int
    end: int


def _digits(text: str) -> int:
    return len(re.findall(_DIGIT, text))


def _spans(text: str) -> list[Found]:
    text = text.translate(_FULLWIDTH)
    found: list[Found] = []
    for match in _EMAIL_RE.finditer(text):
        found.append(Found(EMAIL, match.start(), match.end()))
    for match in _OPEN_CHAT_RE.finditer(text):
        found.append(Found(KAKAO, match.start(), match.end()))
    for match in _KAKAO_ID_RE.finditer(text):
        group = "id" if match.group("id") else "bare"
        found.append(Found(KAKAO, match.start(group), match.end(group)))
    for match in _PHONE_RE.finditer(text):
        found.append(Found(PHONE, match.start(), match.end()))
    for match in _ADDRESS_RE.finditer(text):
        group = "labelled" if match.group("labelled") else 0
        found.append(Found(ADDRESS, match.start(group), match.end(group)))
    for match in _ACCOUNT_RE.finditer(text):
        if _digits(match.group()) < _ACCOUNT_MIN_DIGITS:
            continue
        near = text[max(0, match.start() - 20) : match.end() + 10]
        if " " in match.group() and not _BANK_RE.search(near):
            continue
        found.append(Found(ACCOUNT, match.start(), match.end()))
    return found


def find_pii(text: str) -> list[Found]:
    """Non-overlapping spans of personal data in `text`, in order; the first kind listed in
    `_spans` wins an overlap (an e-mail's digits are not also an account)."""
    chosen: list[Found] = []
    for span in _spans(text):
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def has_pii(text: str) -> bool:
    return bool(find_pii(text))


def mask(text: str, counts: Counter[str] | None = None) -> str:
    """`text` with each piece of personal data replaced by its placeholder; `counts` (if given)
    is incremented per placeholder."""
    out: list[str] = []
    position = 0
    for span in find_pii(text):
        out.append(text[position : span.start])
        out.append(span.kind)
        position = span.end
        if counts is not None:
            counts[span.kind] += 1
    out.append(text[position:])
    return "".join(out)
