"""What a listing's description says: selling points a seller may cite, and answers to buyers'
questions about the item.

Rules over clauses of the description, no model. A clause is a piece of a sentence cut at commas
and at connectives ("…있고", "…깨끗하고"). Only what the description states is said back,
rephrased in 해요체; a clause carrying an amount is never used (it could state a price the Advisor
did not decide), and a defect is never turned into a selling point: points come only from
patterns that are positive by construction (a battery at 85% or more, "기스 없음", "미개봉", …).
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass

from mlcore.language.prices import find_amounts

# --- clauses and 해요체 -------------------------------------------------------------------------

_CONNECTIVE = r"(?:있|없|좋|깨끗하|했|샀|됐|않|같|괜찮|이|였|었)고"
_CONNECTIVE_END = re.compile("(" + _CONNECTIVE + r"|이며|으며|는데|지만)\s+")
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?。])\s*|\n+|\s*[,，/·]\s*")
_TRAILING = re.compile(r"[\s.!?~^;:ㅎㅋㅠㅜ]+$")  # brackets apart: `_trim`
# "유효기간 넉넉해요 (3개월 이상)": an aside at the end stays whole, never cut to "(3개월 이상".
_ASIDE = re.compile(r"\s*\([^()]+\)$")


def _trim(text: str) -> str:
    """`text` without trailing punctuation, laughter or a stray bracket (":)"); a closed aside at
    the end stays."""
    text = _TRAILING.sub("", text.strip())
    while text.endswith(("(", ")")) and not _ASIDE.search(text):
        text = _TRAILING.sub("", text[:-1])
    return text


_HANGUL = re.compile(r"[가-힣]")


@functools.lru_cache(maxsize=1024)  # a listing's description is read on every turn
def clauses(description: str) -> tuple[str, ...]:
    out = []
    marked = _CONNECTIVE_END.sub("\\1\n", description or "")
    for piece in _CLAUSE_SPLIT.split(marked):
        piece = _trim(piece)
        if len(piece) >= 2:
            out.append(piece)
    return tuple(out)


def has_batchim(text: str) -> bool:
    """Whether the spoken form of `text` ends in a consonant (picks 이에요 / 예요, 은 / 는)."""
    text = text.rstrip()
    if not text:
        return False
    last = text[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    if last.isdigit():
        return last in "013678"  # 영 일 삼 육 칠 팔
    if last == "%":
        return False  # 퍼센트
    if re.search(r"\d\s*(?:mm|cm|km|kg|g|ml|GB|TB|MB|W|V)$", text, re.IGNORECASE):
        return False  # 밀리, 센티, 킬로, 그램, 기가, 와트, 볼트: units are read in Korean
    return last.isalpha() and last.lower() in "lmnr"


def copula(noun: str) -> str:
    return noun + ("이에요" if has_batchim(noun) else "예요")


# Ending rewrites into 해요체, longest first; the first that matches wins.
_ENDINGS: list[tuple[str, str]] = [
    ("포함입니다", "포함돼 있어요"),
    ("포함이에요", "포함돼 있어요"),
    ("포함", "포함돼 있어요"),
    ("있습니다", "있어요"),
    ("없습니다", "없어요"),
    ("좋습니다", "좋아요"),
    ("합니다", "해요"),
    ("됩니다", "돼요"),
    ("드립니다", "드려요"),
    ("드림", "드려요"),
    ("했습니다", "했어요"),
    ("했고", "했어요"),
    ("샀고", "샀어요"),
    ("됐고", "됐어요"),
    ("있고", "있어요"),
    ("없고", "없어요"),
    ("좋고", "좋아요"),
    ("않고", "않아요"),
    ("같고", "같아요"),
    ("괜찮고", "괜찮아요"),
    ("하고", "해요"),
    ("있음", "있어요"),
    ("없음", "없어요"),
    ("했음", "했어요"),
    ("됨", "돼요"),
    ("함", "해요"),
    ("있다", "있어요"),
    ("없다", "없어요"),
    ("했다", "했어요"),
    ("불가능", "어려워요"),
    ("불가", "어려워요"),
    ("가능", "가능해요"),
    ("구매", "구매했어요"),
    ("구입", "구입했어요"),
    ("사용", "사용했어요"),
]
_VERBAL_END = set("고서라며면게지니데도만는은을를가에의로와과랑다")
# "몇 번 안 썼는데", "잘 됐지만", "작년에 샀고": a past or 있/없 stem cut at a connective.
_STEM_CUT = re.compile(r"(았|었|였|했|썼|샀|됐|갔|왔|봤|있|없)(?:는데|지만|고|음|다)$")
# "배터리 효율 90%": a noun and its measure, said as "배터리 효율은 90%예요".
_MEASURE = re.compile(
    r"^(?P<noun>[가-힣A-Za-z][가-힣A-Za-z ]*?)\s+(?P<value>\d[\d.,]*\s*(?:%|[A-Za-z]{1,3}|[가-힣]{1,2})?)$"
)


def polite(clause: str) -> str:
    """`clause` as a whole 해요체 sentence ending in a full stop."""
    text = _trim(clause)
    # The ending is the sentence's before its aside: "넉넉해요 (3개월 이상)." stays as it is.
    aside = m.group(0) if (m := _ASIDE.search(text)) and m.start() else ""
    text = text[: len(text) - len(aside)]
    if not text:
        return ""
    if text.endswith("입니다"):
        text = copula(text[: -len("입니다")].rstrip())
    elif text.endswith("이고") and len(text) > 2:
        text = text[:-2] + "이에요"
    elif text.endswith("요"):
        pass
    elif m := _STEM_CUT.search(text):
        text = text[: m.end(1)] + "어요"
    elif text.endswith(("하지만", "하는데")):
        text = text[:-3] + "해요"
    elif m := _MEASURE.match(text):
        noun = m.group("noun").rstrip()
        text = f"{noun}{'은' if has_batchim(noun) else '는'} {copula(m.group('value'))}"
    else:
        for old, new in _ENDINGS:
            if text.endswith(old):
                text = text[: -len(old)] + new
                break
        else:
            if (_HANGUL.match(text[-1]) and text[-1] not in _VERBAL_END) or text[-1].isdigit():
                text = copula(text)
    return text + aside + "."


def usable(clause: str) -> bool:
    """A clause that may be said back: no amount, no haggling terms, not too long."""
    return 2 <= len(clause) <= 60 and not find_amounts(clause) and not _NEGO_TERMS.search(clause)


_NEGO_TERMS = re.compile(r"네고|에눌|가격|원\b|제안")


# --- topics: what a buyer asks about, and where the description says it --------------------------


@dataclass(frozen=True)
class Topic:
    name: str  # how a seller names it: "배터리 성능"
    question: re.Pattern[str]
    description: re.Pattern[str]


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_DEFECT_WORDS = (
    r"기스|흠집|스크래치|찍힘|긁힘|긁|까짐|까진|파손|깨짐|금\s*감|오염|얼룩|변색|누렇|색\s*바램|바랬|보풀|"
    r"닳|헤짐|들뜸|눌림|눌린|뜯|찢|늘어난|늘어짐|휘었|헐거|찌그러|접힘|구김|자국|먼지|벗겨|"
    r"사용감|하자|고장|불량|멀쩡|깨끗|들떴|쏠림|뻑뻑|소음|크랙"
)

TOPICS: dict[str, Topic] = {
    "battery": Topic(
        "배터리",
        _re(r"배터리|밧데리|배터리\s*효율|성능\s*몇|광탈|사이클|충전\s*(?:잘|상태|오래)"),
        _re(r"배터리|밧데리|효율|사이클|광탈"),
    ),
    "condition": Topic(
        "상태",
        _re(
            r"상태|기스|흠집|스크래치|찍힘|긁힘|파손|깨진|깨짐|사용감|오염|얼룩|변색|깨끗|외관|컨디션|까진|벗겨"
        ),
        # A question about the state is answered with what the description says of defects too.
        _re(r"상태|외관|[SA]급|새것|새\s*상품|미개봉|미사용|신품|" + _DEFECT_WORDS),
    ),
    "defect": Topic(
        "하자 여부",
        _re(
            r"하자|고장|문제\s*(?:있|없)|이상\s*(?:있|없)|불량|수리|교체|작동|오작동|잘\s*(?:되|돼)|정상|"
            r"쏠림|쏠려|드리프트|번인|잔상|소음|유격|뻑뻑|헐거"
        ),
        _re(
            r"하자|고장|문제|이상\s*없|불량|수리|교체|작동|정상|멀쩡|소음|뻑뻑|헐거|쏠림|드리프트|번인|잔상|유격|잘\s*(?:돼|되)"
        ),
    ),
    "components": Topic(
        "구성품",
        _re(
            r"박스|상자|구성|풀박|포함|충전기|케이블|어댑터|펜슬|케이스|필름|설명서|부속|악세|액세서리|"
            r"같이\s*(?:주|줘|드리)|뭐(?:가|뭐)\s*(?:들어|있)"
        ),
        _re(r"풀\s*박|풀\s*구성|구성|포함|드려요|드립니다|드림|증정|같이|함께|동봉|보관"),
    ),
    "purchase": Topic(
        "구매 시기",
        _re(
            r"언제(?!\s*(?:거래|만나|가능|시간|직거래|택배|보내|발송|받))|구매\s*(?:시기|일|날|하신)|구입|사셨|샀|"
            r"산\s*지|몇\s*년|연식|년식|사용\s*기간|몇\s*개월|"
            r"얼마나\s*(?:쓰|사용)"
        ),
        _re(r"20\d\d\s*년|작년|올해|재작년|구매|구입|샀|개월|연식|년식"),
    ),
    "trade": Topic(
        "거래 방법",
        _re(
            r"직거래|택배|반택|반값\s*택배|편의점|배송|거래\s*(?:장소|지역|방법|방식)|어디|지역|동네|(?<![가-힣])위치|"
            r"만나|퀵|사시는\s*곳"
        ),
        _re(r"직거래|택배|반택|반값|편의점|배송|역\b|역에서|근처|지역|퀵|택포"),
    ),
    "schedule": Topic(
        "거래 시간",
        _re(
            r"언제\s*(?:거래|만나|가능|시간|직거래|택배|보내|발송|받)|몇\s*시|시간\s*(?:되|괜찮|가능|언제)|"
            r"(?:오늘|내일|모레|주말|평일|저녁|오전|오후)\s*(?:에\s*)?(?:거래|가능|되|돼|만나|직거래|괜찮|시간)|발송\s*(?:언제|일)"
        ),
        _re(r"평일|주말|저녁|오전|오후|퇴근|\d\s*시\s*(?:이후|이전|전|후)|시간\s*(?:협의|조율)|당일\s*발송"),
    ),
    "size": Topic(
        "사이즈",
        # Units alone are no question: "요가매트 10mm 매입 문의" repeats the title.
        _re(
            r"사이즈|크기|치수|몇\s*호|호수|기장|총장|어깨\s*(?:너비|단면)|가슴\s*단면|허리|발볼|두께|길이|무게|"
            r"몇\s*(?:cm|mm|센치|센티|미리|인치|kg|키로|기가)|용량"
        ),
        _re(
            r"사이즈|크기|치수|\d\s*호|기장|총장|두께|길이|무게|\dcm|\d\s*mm|인치|"
            r"\b(?:XS|S|M|L|XL|XXL)\b|프리\s*사이즈|GB|TB|기가"
        ),
    ),
    "color": Topic(
        "색상",
        _re(r"색상|색깔|컬러|무슨\s*색|어떤\s*색|색\s*(?:이|은|감)"),
        _re(
            r"색상|색깔|컬러|블랙|화이트|실버|그레이|네이비|베이지|핑크|레드|블루|그린|골드|퍼플|[가-힣]색\b"
        ),
    ),
    "authenticity": Topic(
        "정품 여부",
        _re(r"정품|가품|짝퉁|진품|레플|영수증|보증서|개런티|인증"),
        _re(r"정품|영수증|보증서|개런티|백화점|공홈|공식|매장|구매\s*내역"),
    ),
    "warranty": Topic(
        "보증",
        _re(r"보증|\bAS\b|A/S|에이에스|애플\s*케어|리퍼|무상"),
        _re(r"보증|\bAS\b|A/S|애플\s*케어|리퍼|무상"),
    ),
    "usage": Topic(
        "사용 횟수",
        _re(r"몇\s*번|사용\s*횟수|얼마나\s*(?:쓰|썼|사용)|많이\s*(?:쓰|썼|사용)|착용|실착|사용감"),
        _re(r"\d+\s*(?:번|회)|(?:한|두|세|네|몇)\s*번|착용|실착|사용감|거의\s*안|개월|사용했|썼"),
    ),
}
# Where to look when the description says nothing under the topic asked: how long an item was
# used is told by when it was bought and how often it was used, and the other way round; with
# no word on its condition, how little it was used is the honest answer ("3~4번 써 봤어요").
RELATED: dict[str, tuple[str, ...]] = {
    "purchase": ("usage",),
    "usage": ("purchase",),
    "defect": ("condition",),
    "condition": ("usage",),
}

# Parts a buyer may ask for by name: (name, how it is written). A clause counts for a part only
# when it says the part is there or not ("박스 있어요", "케이블 포함"), not "케이스에 잔기스".
ITEMS: tuple[tuple[str, str], ...] = (
    ("박스", r"박스|상자|풀\s*박"),
    ("충전기", r"충전기|어댑터"),
    ("케이블", r"케이블|선\b"),
    ("케이스", r"케이스"),
    ("펜슬", r"펜슬"),
    ("필름", r"필름"),
    ("설명서", r"설명서"),
    ("보증서", r"보증서|개런티"),
    ("영수증", r"영수증"),
    ("더스트백", r"더스트\s*백"),
    ("리모컨", r"리모컨"),
)
_PRESENT = (
    r"(?:\s+[^\s,.]*\d[^\s,.]*)?"  # a model or size between: "애플펜슬 2세대 포함"
    r"\s*(?:도|까지|은|는|이|가|다|모두|전부)?\s*(?:있|없|보관|포함|드려|드립|드림|증정|같이|함께|동봉|붙|부착|O\b|X\b)"
)


_ALL_PARTS = re.compile(r"구성|부속|악세|액세서리|뭐|전부|모두|다\s*(?:있|들어|포함|주|드)")


def _asked_items(question: str) -> list[tuple[str, str]]:
    """Parts asked for by name, unless the question asks about everything in the box."""
    if _ALL_PARTS.search(question):
        return []
    return [(name, pattern) for name, pattern in ITEMS if re.search(pattern, question)]


_ANY_ITEM = "|".join(pattern for _, pattern in ITEMS)
# "박스, 충전기 다 있어요": parts listed before the verb they share.
_LISTED = rf"(?:\s*(?:,|랑|하고|와|과|및)?\s*(?:{_ANY_ITEM}))*"
_BARE_ITEM = re.compile(rf"^(?:[가-힣A-Za-z0-9]+\s+)?(?:{_ANY_ITEM})$")


def _joined_lists(usable_clauses: list[str]) -> list[str]:
    """Clauses with a bare part ("박스") joined to the clause after it ("충전기 다 있어요"):
    cutting at commas split the list from its verb."""
    out: list[str] = []
    for clause in usable_clauses:
        if out and _BARE_ITEM.match(out[-1].split(", ")[-1]):
            out[-1] = f"{out[-1]}, {clause}"
        else:
            out.append(clause)
    return out


def question_topics(message: str) -> list[str]:
    """Every topic the message asks about, most keyword hits first, ties by position."""
    found = []
    for key, topic in TOPICS.items():
        hits = list(topic.question.finditer(message))
        if hits:
            found.append((-len(hits), hits[0].start(), key))
    return [key for _, _, key in sorted(found)]


def question_topic(message: str) -> str:
    """The topic a buyer's question is mostly about ("" when none)."""
    topics = question_topics(message)
    return topics[0] if topics else ""


def _topic_clauses(topic: str, usable_clauses: list[str], *, question: str, limit: int) -> list[str]:
    if topic == "components" and (items := _asked_items(question)):
        found = [
            c
            for c in _joined_lists(usable_clauses)
            if any(
                re.search(f"(?:{p}){_LISTED}{_PRESENT}", c) or (name == "박스" and _FULL_BOX.search(c))
                for name, p in items
            )
        ]
        return found[:limit]
    pattern = TOPICS[topic].description
    scored = [(len(pattern.findall(c)), i, c) for i, c in enumerate(usable_clauses)]
    # The thing asked about by name comes first: "스틱 쏠림 있나요?" is answered by "쏠림 없고".
    named = [w for w in _asked_words(question) if any(w in c for _, _, c in scored if _)]
    if named:
        scored = [(n + 10 * (n > 0 and any(w in c for w in named)), i, c) for n, i, c in scored]
    if topic == "components":  # named parts said to be there count as much as "포함"
        scored = [
            (n + sum(bool(re.search(f"(?:{p}){_PRESENT}", c)) for _, p in ITEMS), i, c) for n, i, c in scored
        ]
    picked = sorted((s for s in scored if s[0]), key=lambda s: (-s[0], s[1]))[:limit]
    return [c for _, _, c in sorted(picked, key=lambda s: s[1])]  # in the description's order


_QUESTION_WORD = re.compile(r"[가-힣]{2,}")
_ASK_ENDING = re.compile(r"(?:은|는|이|가|도|요|에|랑|하고)$")


def _asked_words(question: str) -> list[str]:
    """The question's own nouns ("스틱", "쏠림"), endings cut; verbs and fillers drop out by
    not occurring in the description."""
    words = (_ASK_ENDING.sub("", w) for w in _QUESTION_WORD.findall(question))
    return [w for w in words if len(w) >= 2 and not w.endswith(("나요", "까요", "세요", "어요", "있나"))]


def answer(topic: str, description: str, *, question: str = "", limit: int = 2) -> str:
    """The description's words on `topic`, rephrased in 해요체; "" when it says nothing on it.
    Without a topic, the clause sharing most syllable pairs with the question."""
    usable_clauses = [c for c in clauses(description) if usable(c)]
    if topic in TOPICS:
        chosen = _topic_clauses(topic, usable_clauses, question=question, limit=limit)
        for other in RELATED.get(topic, ()):
            chosen = chosen or _topic_clauses(other, usable_clauses, question=question, limit=limit)
    else:
        grams = _bigrams(question)
        scored = [(len(grams & _bigrams(c)), c) for c in usable_clauses]
        best = max(scored, default=(0, ""))
        chosen = [best[1]] if best[0] >= 2 else []
    return " ".join(polite(c) for c in chosen)


@dataclass(frozen=True)
class Reply:
    """An answer to a buyer's question: what it is about, what the description says (in 해요체),
    and what was asked that the description does not say (a name to be honest about)."""

    topic: str
    detail: str
    missing: str = ""


def reply(question: str, description: str) -> Reply:
    """Answer every topic the question asks about (at most two), each from its own clauses."""
    topics = question_topics(question)[:2]
    if not topics:
        return Reply("", answer("", description, question=question))
    details: list[str] = []
    missing: list[str] = []
    for topic in topics:
        items = _asked_items(question) if topic == "components" else []
        # Parts asked for by name are answered one by one: "충전기랑 케이블 있나요?"
        for name, pattern in items or [(TOPICS[topic].name, "")]:
            asked = name if pattern else question
            text = answer(topic, description, question=asked)
            if not text and topic == "trade":
                text = trade_detail(description)
            if text and text not in details:
                details.append(text)
            elif not text:
                missing.append(name)
    return Reply(topics[0], " ".join(details), "나 ".join(missing) if missing else "")


_WORD = re.compile(r"[가-힣A-Za-z0-9]+")


def _bigrams(text: str) -> set[str]:
    out: set[str] = set()
    for word in _WORD.findall(text.lower()):
        out.update(word[i : i + 2] for i in range(max(1, len(word) - 1)))
    return out


# --- selling points -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One selling point, in the two forms a seller strings points together with."""

    kind: str
    and_form: str  # "배터리 성능도 89%로 아직 좋고"
    because_form: str  # "배터리 성능도 89%로 아직 좋아서"


_NEGATED = re.compile(r"아니|아닙|않|안\s*(?:깨끗|좋)|지만|는데")
# A battery's health as a percentage: "배터리 성능 87%", "효율 81%" (the one pattern for it).
BATTERY = re.compile(r"(?:배터리|밧데리|효율|성능|최대\s*용량)[^,.\d%]{0,10}?(\d{2,3})\s*%")
_UNOPENED = re.compile(r"미개봉")
_UNUSED = re.compile(r"미사용|새\s*상품|새상품(?!급)")
_LIKE_NEW = re.compile(r"새상품급|새\s*것\s*같|새것\s*같|거의\s*새|신품급|새\s*제품\s*같")
_GRADE = re.compile(r"(?<![A-Za-z])(S|A\+?)\s*급")
_CLEAN = re.compile(
    r"(?:상태|외관)\s*(?:가|도|는)?\s*(?:아주|매우|정말|엄청|완전|너무)?\s*(깨끗|좋|최상|양호)|깨끗"
)
_NO_FLAW = re.compile(
    r"(생활\s*기스|잔기스|기스|흠집|스크래치|찍힘|하자)\s*(?:도|는|가|이|나)?\s*(거의\s*)?(?:없|X\b|x\b)"
)
_FULL_BOX = re.compile(r"풀\s*박스|풀박|풀구성|풀\s*구성")
_BOX = re.compile(r"박스\s*(?:도|까지)?\s*(?:있|보관|포함|같이)")
_EXTRA = re.compile(
    r"^(?P<what>[^,.]{1,24}?)\s*(?:도|까지|다|전부|모두)?\s*"
    r"(?:포함|같이\s*드|함께\s*드|(?:(?<=\s)|(?<=도)|(?<=까지))(?:드려요|드립니다|드림)|증정|서비스로?\s*드|"
    r"챙겨\s*드|같이\s*보내)"
)
_WHEN = re.compile(
    r"((?:올해|작년|(20\d\d)\s*년)(?:\s*(?:초|말|봄|여름|가을|겨울|\d{1,2}\s*월))?)\s*(?:에\s*)?"
    r"(?:구매|구입|샀|산\s|새로|정품\s*구매)"
)
_MONTHS = re.compile(r"(\d{1,2})\s*개월\s*(?:정도\s*|밖에\s*)?(?:사용|썼|쓴|됐)")
_FEW_USES = re.compile(
    r"(\d{1,2}|한|두|세|네|몇)\s*(?:번|회)\s*(?:만|밖에\s*안|정도)?\s*(?:사용|썼|쓴|착용|입|신)"
)
_BARELY = re.compile(r"거의\s*(?:안|사용\s*안)\s*(?:썼|쓴|사용|입|신)")
_WARRANTY = re.compile(r"(보증|\bAS\b|A/S|애플\s*케어)[^.]{0,16}?(남|가능)", re.IGNORECASE)
_GENUINE = re.compile(r"정품")
_HANGUL_COUNT = {"한": 1, "두": 2, "세": 3, "네": 4, "몇": 3}


def selling_points(description: str, *, today: datetime.date | None = None) -> list[Point]:
    """Positive facts the description states, strongest first, each kind once."""
    return list(_selling_points(description, (today or datetime.date.today()).year))


@functools.lru_cache(maxsize=1024)
def _selling_points(description: str, year: int) -> tuple[Point, ...]:
    points: dict[str, Point] = {}

    def add(kind: str, and_form: str, because_form: str) -> None:
        points.setdefault(kind, Point(kind, and_form, because_form))

    for clause in clauses(description):
        if find_amounts(clause) or _NEGO_TERMS.search(clause):
            continue
        negated = bool(_NEGATED.search(clause))
        if not negated and _UNOPENED.search(clause):
            add("new", "미개봉 새 제품이고", "미개봉 새 제품이라")
        elif not negated and _LIKE_NEW.search(clause):
            add("new", "거의 새것 같은 상태고", "거의 새것 같은 상태라")
        elif not negated and _UNUSED.search(clause):
            add("new", "사용하지 않은 새 제품이고", "사용하지 않은 새 제품이라")
        if (m := BATTERY.search(clause)) and 85 <= int(m.group(1)) <= 100:
            add(
                "battery",
                f"배터리 성능도 {m.group(1)}%로 아직 좋고",
                f"배터리 성능도 {m.group(1)}%로 아직 좋아서",
            )
        if (m := _GRADE.search(clause)) and not negated:
            add("grade", f"상태도 {m.group(1)}급이고", f"상태가 {m.group(1)}급이라")
        if m := _NO_FLAW.search(clause):
            flaw = re.sub(r"\s+", "", m.group(1))
            almost = "거의 " if m.group(2) else ""
            # Where the description says it: "화면에 기스 없고" is no word on the corners.
            spot = f"{where}에 " if (where := _spot(clause[: m.start()])) else ""
            add("clean", f"{spot}{flaw}도 {almost}없고", f"{spot}{flaw}도 {almost}없어서")
        elif not negated and (m := _CLEAN.search(clause)):
            where = _spot(clause[: m.start()])
            if m.group(1) and m.group(1) != "깨끗":  # "액정 상태 좋아요" is good, not spotless
                spot = f"{where} " if where else ""
                add("clean", f"{spot}상태도 좋고", f"{spot}상태가 좋아서")
            elif where:
                add("clean", f"{where}도 깨끗하고", f"{copula_stem(where)} 깨끗해서")
            else:
                add("clean", "상태도 깨끗하고", "상태가 깨끗해서")
        if _FULL_BOX.search(clause):
            add("box", "풀박스 구성이고", "풀박스 구성이라")
        elif (m := _EXTRA.search(clause)) and _HANGUL.search(m.group("what")):
            what = re.sub(r"\s*(?:은|는|이|가|을|를|도|다|전부|모두)$", "", m.group("what").strip())
            if what in {"박스", "정품 박스"}:
                add("box", "박스도 있고", "박스까지 있어서")
            elif what and len(what) <= 20 and not _NEGATED.search(what):
                add("extra", f"{what}까지 같이 드리고", f"{what}까지 같이 드리는 거라")
        elif _BOX.search(clause):
            add("box", "박스도 있고", "박스까지 있어서")
        if m := _WARRANTY.search(clause):
            if m.group(2) == "남":
                add("warranty", "보증 기간도 남아 있고", "보증 기간도 남아 있어서")
            else:
                add("warranty", f"{m.group(1)}도 받을 수 있고", f"{m.group(1)}도 받을 수 있어서")
        if m := _WHEN.search(clause):
            recent = m.group(2) is None or int(m.group(2)) >= year - 1
            when = re.sub(r"\s+", " ", m.group(1))
            if recent:
                add("recent", f"{when}에 산 거고", f"{when}에 산 거라")
        if (m := _MONTHS.search(clause)) and int(m.group(1)) <= 12:
            add("recent", f"{m.group(1)}개월밖에 안 썼고", f"{m.group(1)}개월밖에 안 써서")
        if m := _FEW_USES.search(clause):
            count = _HANGUL_COUNT.get(m.group(1)) or int(m.group(1))
            if count <= 5:
                times = (
                    "몇 번"
                    if m.group(1) == "몇"
                    else f"{m.group(1)} 번"
                    if m.group(1) in _HANGUL_COUNT
                    else f"{count}번"
                )
                add("uses", f"{times}밖에 안 썼고", f"{times}밖에 안 써서")
        elif _BARELY.search(clause):
            add("uses", "거의 안 썼고", "거의 안 써서")
        if not negated and _GENUINE.search(clause) and not re.search(r"가품|정품\s*(?:인지|여부)", clause):
            add("genuine", "정품이고", "정품이라")
    order = ["new", "battery", "grade", "clean", "extra", "box", "warranty", "recent", "uses", "genuine"]
    return tuple(sorted(points.values(), key=lambda p: order.index(p.kind)))


_SPOT_WORD = re.compile(r"([가-힣]{1,6}?)(?:에는|에서|에|은|는|이|가|도)?\s*$")


def _spot(before: str) -> str:
    """The part of the item a clause is about, just before its fact: "화면에 기스 없고" → "화면"."""
    m = _SPOT_WORD.search(before.strip())
    word = m.group(1) if m else ""
    return "" if word in _NO_SPOT else word


_NO_SPOT = frozenset({"", "상태", "외관", "전체", "전체적으로", "아주", "정말", "매우", "완전", "너무"})


def copula_stem(noun: str) -> str:
    """The noun with its subject particle: "액정이", "화면이", "케이스가"."""
    return noun + ("이" if has_batchim(noun) else "가")


def because(points: list[Point]) -> str:
    """Up to two points as one reason clause: "A고, B라"."""
    if not points:
        return ""
    *first, last = points[:2]
    return ", ".join([p.and_form for p in first] + [last.because_form])


_PLACE = re.compile(
    r"([가-힣A-Za-z0-9]{1,10}(?:역|동|구청|시청|터미널))(?:\s*(?:에서|근처|부근|쪽|앞))*\s*(?:직거래|직접\s*거래)|"
    r"직거래\s*(?:는|은|장소는?|가능\s*(?:장소|지역)\s*:?)?\s*([가-힣A-Za-z0-9]{1,10}(?:역|동|구청|시청|터미널))"
)


@functools.lru_cache(maxsize=1024)
def meeting_place(description: str) -> str:
    """Where the seller meets for 직거래, when the description says so ("잠실역")."""
    match = _PLACE.search(description or "")
    if not match:
        return ""
    place = match.group(1) or match.group(2)
    return "" if find_amounts(place) else place


_FREE_SHIPPING = re.compile(r"택포|무료\s*배송|배송비\s*(?:포함|무료)|무배")


def ships_free(description: str) -> bool:
    """Whether the listing price includes shipping (택포), as the description says."""
    return bool(_FREE_SHIPPING.search(description or ""))


# --- trade methods -------------------------------------------------------------------------------

TRADE: dict[str, str] = {
    "택배": r"택배|반택|반값\s*택배|택포|배송|부쳐|(?:포장|소독|세탁|정리)\S*\s*보내\s*드",
    "직거래": r"직거래|직접\s*(?:만나|거래|가지러)|만나서",
    "퀵": r"퀵",
    "전송": r"모바일|전송|바코드|(?:카톡|문자)\S*\s*보내",
}
TRADE_NO = re.compile(r"^[^,.!?]{0,8}?(?:불가|안\s*(?:돼|되|해)|어려|X\b|없|제외|만\s*가능)")
_TRADE_ONLY = {kind: re.compile(rf"(?:{pattern})\s*만") for kind, pattern in TRADE.items()}
_ONLY_THIS = re.compile(r"\s*만\s*(?:가능|돼|되|해요|합니다)")
_TRADE_WORDS = {"택배": "택배", "직거래": "직거래", "퀵": "퀵", "전송": "모바일 전송"}


@functools.lru_cache(maxsize=1024)
def trade_methods(listing_text: str) -> dict[str, bool]:
    """The trade methods a listing names, each as possible (True) or ruled out (False); a method
    not named is not in the dict. "직거래만" rules the others out."""
    named: dict[str, bool] = {}
    for clause in clauses(listing_text):
        for kind, pattern in TRADE.items():
            for m in re.finditer(pattern, clause):
                after = clause[m.end() :]
                # "반택만 가능해요" names the one method; "택배 직거래만 가능" rules 택배 out.
                possible = bool(_ONLY_THIS.match(after)) or not TRADE_NO.match(after)
                named[kind] = named.get(kind, False) or possible
        for kind, only in _TRADE_ONLY.items():
            if only.search(clause):
                for other in TRADE:
                    named.setdefault(other, other == kind)
    return named


def trade_detail(description: str) -> str:
    """The trade methods the description names, said back ("거래는 택배, 직거래(잠실역) 가능해요."),
    for descriptions that name them only in clauses that cannot be said back ("반택 포함 가격")."""
    named = trade_methods(description)
    possible = [kind for kind, ok in named.items() if ok]
    if not possible:
        return ""
    place = meeting_place(description)
    words = [_TRADE_WORDS[k] + (f"({place})" if k == "직거래" and place else "") for k in possible]
    only = "만" if len(possible) < len(named) else ""
    return f"거래는 {', '.join(words)}{only} 가능해요."
