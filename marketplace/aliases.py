"""English and romanised names people type for brands and products sold under Korean names.

"ipad" must find "아이패드": each query word is widened to the Korean spellings listed here (and
a Korean word to its English ones), so a search matches either way of writing it.
"""

from __future__ import annotations

ALIASES: dict[str, tuple[str, ...]] = {
    "ipad": ("아이패드",),
    "iphone": ("아이폰",),
    "airpods": ("에어팟",),
    "macbook": ("맥북",),
    "imac": ("아이맥",),
    "apple": ("애플",),
    "watch": ("워치",),
    "galaxy": ("갤럭시",),
    "samsung": ("삼성",),
    "buds": ("버즈",),
    "lg": ("엘지",),
    "gram": ("그램",),
    "switch": ("스위치",),
    "nintendo": ("닌텐도",),
    "playstation": ("플레이스테이션", "플스"),
    "ps5": ("플스5", "플레이스테이션5"),
    "xbox": ("엑스박스",),
    "sony": ("소니",),
    "dyson": ("다이슨",),
    "ikea": ("이케아",),
    "lego": ("레고",),
    "nike": ("나이키",),
    "adidas": ("아디다스",),
    "newbalance": ("뉴발란스",),
    "northface": ("노스페이스",),
    "camera": ("카메라",),
    "canon": ("캐논",),
    "nikon": ("니콘",),
    "fujifilm": ("후지필름",),
    "monitor": ("모니터",),
    "keyboard": ("키보드",),
    "mouse": ("마우스",),
    "laptop": ("노트북",),
    "notebook": ("노트북",),
    "tablet": ("태블릿",),
    "bike": ("자전거",),
    "stroller": ("유모차",),
    "chair": ("의자",),
    "desk": ("책상",),
    "sofa": ("소파",),
    "tent": ("텐트",),
    "coffee": ("커피",),
    "bag": ("가방",),
}

_REVERSE: dict[str, tuple[str, ...]] = {}
for _english, _koreans in ALIASES.items():
    for _korean in _koreans:
        _REVERSE[_korean] = (*_REVERSE.get(_korean, ()), _english)


def search_terms(word: str) -> tuple[str, ...]:
    """`word` and the other spellings of it a listing may use (case-insensitive for English)."""
    key = word.lower()
    return (word, *ALIASES.get(key, ()), *_REVERSE.get(word, ()))
