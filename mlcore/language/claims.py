"""What a text states about the item, and whether a reply states anything the listing does not.

A seller answers for every word the bot says in their name, so a reply is checked against the
listing (title and description) before a buyer sees it. Both sides are read the same way, into
`Claim`s: a defect or a part said to be there or not ("모서리에 생활기스 있어요", "쏠림 없습니다",
"박스는 없어요"), with where it is ("화면", "모서리"), and values (a battery at 87%, bought in
2021년 3월, used 6개월, 의자 4개). A reply's claim is fine when the listing states it; it
contradicts the listing when the listing states the opposite (or another value) and nothing that
agrees; it is unsupported when the listing says nothing of it. Promises the product cannot keep
(sending photos, calls, a trade method the listing does not name, "확인해 보고 알려드릴게요" where
no question reaches the seller) are checked here too, by `promises`.

Rules, no model: the words are those of Korean second-hand listings.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass

from mlcore.language.facts import BATTERY, TRADE, TRADE_NO, clauses, trade_methods

# Defects by kind, as sellers write them. A mention is "present" unless a negation follows it
# in the same clause ("쏠림 없습니다", "기스 X", "하자 하나 없이").
DEFECTS: dict[str, str] = {
    "scratch": r"생활\s*기스|잔\s*기스|기스|흠집|스크래치|긁힘|긁힌",
    "dent": r"찍힘|찍힌\s*(?:자국|부분|곳|데)|까짐|까진|찌그러",
    "crack": r"파손|깨짐|깨진|금\s*(?:감|갔|이\s*갔)|크랙",
    "stain": r"얼룩|오염|변색|황변|누렇",
    "drift": r"쏠림|드리프트",
    "burn_in": r"번인|잔상",
    "dead_pixel": r"불량\s*화소|데드\s*픽셀",
    "noise": r"소음|잡음",
    "fault": r"하자|고장|기능\s*이상|이상\s*(?=없|있)|문제\s*(?=없|있)",
    "wear": r"사용감|닳음|닳은|헤짐|보풀|벗겨|들뜸|들떴|뻑뻑|헐거",
}
COSMETIC = frozenset({"scratch", "dent", "crack", "stain", "wear"})
# Parts a listing includes or not, by how they are written.
PARTS: dict[str, str] = {
    "box": r"박스|상자|풀\s*박|풀\s*구성",
    "charger": r"충전기|어댑터",
    "cable": r"케이블|충전\s*선",
    "case": r"케이스",
    "pencil": r"펜슬",
    "film": r"보호\s*필름|필름",
    "manual": r"설명서",
    "warranty_card": r"보증서|개런티\s*카드",
    "receipt": r"영수증",
    "dust_bag": r"더스트\s*백",
    "remote": r"리모컨",
    "dock": r"(?<![가-힣])독(?![가-힣])|거치대",
}
_PART_PRESENT = re.compile(
    r"^\s*(?:[A-Za-z0-9가-힣]*\d[A-Za-z0-9가-힣]*\s*)?(?:도|까지|은|는|이|가|다|모두|전부|랑|하고|,|\s)*"
    r"(?:있|포함|드려|드립|드림|증정|같이|함께|동봉|보관|붙|부착|챙겨|O\b|o\b)"
)
_PART_ABSENT = re.compile(
    r"^\s*(?:도|까지|은|는|이|가|다|모두|전부|\s)*(?:없|미포함|제외|빠져|분실|버렸|X\b|x\b)"
)
_FULL = re.compile(r"풀\s*박|풀\s*구성")
_ABSENT = re.compile(r"^[^,.!?]{0,10}?(?:없|X\b|x\b|無|전혀\s*안|아니|안\s*(?:보|나|생|쏠|남))")
_FEW = re.compile(r"^[^,.!?]{0,8}?거의\s*(?:없|안)")
# A mention that asks or defers is no claim: "하자 여부는 확인해 볼게요", "기스 있나요?", nor one
# said to be missing from the description ("화면 기스는 설명에 따로 안 적어뒀어요": `unstated_claims`
# holds that to the listing).
_OPEN = re.compile(
    r"^[^,.!]{0,12}?(?:여부|있는지|없는지|인지|나요|까요|\?|궁금|확인|"
    r"설명에\s*(?:따로\s*|는\s*)?(?:안|없|적혀\s*있지\s*않))"
)
_FILLER = frozenset(
    re.split(
        r"\s+",
        "아주 약간 살짝 조금 좀 작은 미세한 미세 하나 두 세 몇 군데 정도 거의 전혀 그리고 또 근데 다만 단 딱 "
        "그냥 있고 있는데 없고 있어요 그 이 저 제 화면은 그런 특히 모두 다 전부 같은 쪽",
    )
)
_PARTICLE = re.compile(r"(?:에는|에도|에서|에|은|는|도|이|가|의|쪽|부분|랑|하고)$")
_VERB_FORM = re.compile(r"(?:서|고|며|요|다|데|면|니다|습니다)$")
GENERAL = frozenset({"", "상태", "외관", "전체", "전체적", "전반적", "컨디션", "물건", "제품"})

_YEAR = re.compile(
    r"(?:(20\d\d|\d\d)\s*년|(작년|올해|재작년))\s*(?:(\d{1,2})\s*월)?\s*(?:에|쯤|경)?\s*"
    r"(?:구매|구입|샀|산\b|산\s|사서|새로)"
)
_MONTHS = re.compile(r"(\d{1,2})\s*개월\s*(?:정도\s*|밖에\s*(?:안\s*)?|만\s*)?(?:사용|썼|쓴|써|됐|착용)")
_COUNT = re.compile(r"([가-힣]{1,6})\s*(\d{1,2})\s*(개|대|장|권|벌|켤레|종|짝)")
_CLEAN = re.compile(
    r"깨끗(?!하게\s*(?:포장|담|보내|닦|세탁|정리))|새\s*것\s*같|새것\s*같|흠\s*하나\s*없|"
    r"상태\s*(?:가|도|는)?\s*(?:아주|매우|정말|엄청|완전|너무)?\s*(?:좋|최상|양호)"
)
_SENTENCE = re.compile(r"(?<=[.!?~])\s+|\n+")
_QUESTION_END = re.compile(r"(?:나요|까요|인가요|있어요|\?)\s*$")


@dataclass(frozen=True)
class Claim:
    """One thing a text states about the item."""

    kind: str  # "defect:scratch", "part:box", "clean", "battery", "bought", "months", "count:의자"
    present: bool = True  # for defects and parts: said to be there (True) or not (False)
    value: str = ""  # for values: "87", "2021-3", "6", "4"
    where: frozenset[str] = frozenset()  # where on the item: {"모서리"}
    text: str = ""  # the clause it was read from


def _where(before: str) -> frozenset[str]:
    """The nouns just before a mention, particles and adverbs cut: "케이스 뒷면에" → {케이스, 뒷면}."""
    words = re.findall(r"[가-힣A-Za-z0-9]+", before)[-3:]
    out = set()
    for word in words:
        if _VERB_FORM.search(word):  # "붙여서 써서 액정": only the nouns next to the mention
            out.clear()
            continue
        word = _PARTICLE.sub("", word)
        if word and word not in _FILLER and not re.search(r"\d", word):
            out.add(word)
    return frozenset(out - GENERAL)


def _year(raw: str | None, relative: str | None, today: int) -> str:
    if relative:
        return str({"올해": today, "작년": today - 1, "재작년": today - 2}[relative])
    assert raw is not None
    return raw if len(raw) == 4 else str(2000 + int(raw))


def claims(text: str, *, year: int | None = None) -> tuple[Claim, ...]:
    """Every claim `text` makes about the item; `year` resolves "작년" (default: this year)."""
    return _claims(text or "", year or datetime.date.today().year)


@functools.lru_cache(maxsize=2048)
def _claims(text: str, year: int) -> tuple[Claim, ...]:
    out: list[Claim] = []
    for sentence in _SENTENCE.split(text):  # parts are listed across commas: "박스, 충전기 다 있어요"
        if sentence.strip() and not _QUESTION_END.search(sentence.strip()):
            out.extend(_part_claims(sentence.strip()))
    for clause in clauses(text):
        if _QUESTION_END.search(clause) and "?" in clause:
            continue
        out.extend(_defect_claims(clause))
        if (m := _CLEAN.search(clause)) and not _ABSENT.match(clause[m.end() :]):
            out.append(Claim("clean", where=_where(clause[: m.start()]), text=clause))
        for m in BATTERY.finditer(clause):
            out.append(Claim("battery", value=m.group(1), text=clause))
        for m in _YEAR.finditer(clause):
            value = _year(m.group(1), m.group(2), year) + (f"-{int(m.group(3))}" if m.group(3) else "")
            out.append(Claim("bought", value=value, text=clause))
        for m in _MONTHS.finditer(clause):
            out.append(Claim("months", value=str(int(m.group(1))), text=clause))
        for m in _COUNT.finditer(clause):
            noun = m.group(1)  # "의자 4개"; not "가격에 23권": a word with a particle counts nothing
            if noun not in _FILLER and not _PARTICLE.search(noun):
                out.append(Claim(f"count:{noun}", value=m.group(2), text=clause))
    return tuple(out)


def _mentions(clause: str, table: dict[str, str]) -> list[tuple[str, re.Match[str]]]:
    found = [(kind, m) for kind, pattern in table.items() for m in re.finditer(pattern, clause)]
    found.sort(key=lambda km: (km[1].start(), -km[1].end()))
    kept: list[tuple[str, re.Match[str]]] = []
    for kind, m in found:  # "생활기스" is one mention, not "생활기스" and "기스"
        if not kept or m.start() >= kept[-1][1].end():
            kept.append((kind, m))
    return kept


# "정상 작동", "멀쩡해요": no fault, said in other words.
_WORKS = re.compile(
    r"정상\s*(?:작동|이|입니다|이에요|예요|$)|작동\s*(?:잘|정상|완벽|문제\s*없)|멀쩡|"
    r"잘\s*(?:돼요|됩니다|되고|돼서|작동)"
)


def _defect_claims(clause: str) -> list[Claim]:
    out = []
    for m in _WORKS.finditer(clause):
        out.append(Claim("defect:fault", present=False, where=_where(clause[: m.start()]), text=clause))
    mentions = _mentions(clause, DEFECTS)
    for i, (kind, m) in enumerate(mentions):
        end = mentions[i + 1][1].start() if i + 1 < len(mentions) else len(clause)
        after = clause[m.end() : end]
        if _OPEN.match(after) or _FEW.match(after):
            continue  # a question, a deferral, or "거의 없어요": nothing to hold the listing to
        start = mentions[i - 1][1].end() if i else 0
        where = _where(clause[start : m.start()])
        out.append(Claim(f"defect:{kind}", present=not _ABSENT.match(after), where=where, text=clause))
    return out


def _part_claims(clause: str) -> list[Claim]:
    out = []
    mentions = _mentions(clause, PARTS)
    for i, (kind, m) in enumerate(mentions):
        after = clause[m.end() :]
        if _FULL.match(m.group()):
            out.append(Claim("part:box", text=clause))
            continue
        if _OPEN.match(after):
            continue
        if _PART_ABSENT.match(after):
            out.append(Claim(f"part:{kind}", present=False, text=clause))
            continue
        # "박스, 충전기 다 있어요": a list of parts shares the verb after its last item.
        rest = after
        for _, later in mentions[i + 1 :]:
            if re.fullmatch(r"[\s,랑하고와과이및]*", clause[m.end() : later.start()]):
                rest = clause[later.end() :]
        if _PART_PRESENT.match(rest):
            out.append(Claim(f"part:{kind}", text=clause))
        elif _PART_ABSENT.match(rest):
            out.append(Claim(f"part:{kind}", present=False, text=clause))
    return out


# --- a reply against the listing -------------------------------------------------------------


def _overlaps(a: frozenset[str], b: frozenset[str]) -> bool:
    """Where two claims are about the same place: either is general, or a noun is shared
    (one word containing the other: "화면" and "액정화면")."""
    if not a or not b:
        return True
    return any(x in y or y in x for x in a for y in b)


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    status: str  # "agrees" | "contradicts" | "unsupported"
    why: str = ""  # the listing's clause it contradicts


def judge(reply: str, listing_text: str, *, year: int | None = None) -> list[Verdict]:
    """Each of the reply's claims, judged against what the listing (title + description) says."""
    facts = claims(listing_text, year=year)
    return [_judge(c, facts) for c in claims(reply, year=year)]


def _judge(claim: Claim, facts: tuple[Claim, ...]) -> Verdict:
    if claim.kind == "clean":
        return _judge_clean(claim, facts)
    same = [f for f in facts if f.kind == claim.kind]
    if claim.value:
        if any(f.value == claim.value or f.value.startswith(claim.value + "-") for f in same):
            return Verdict(claim, "agrees")
        return Verdict(claim, "contradicts", same[0].text) if same else Verdict(claim, "unsupported")
    agreeing = [f for f in same if f.present == claim.present and _overlaps(f.where, claim.where)]
    if claim.present:
        if agreeing:
            return Verdict(claim, "agrees")
        # "쏠림 있어요" where the listing says "쏠림 없고" (there, or everywhere).
        against = [f for f in same if not f.present and (not f.where or _overlaps(f.where, claim.where))]
    else:
        # "기스 없어요" (anywhere) where the listing says "모서리에 생활기스": false for the corner.
        against = [f for f in same if f.present and (not claim.where or _overlaps(f.where, claim.where))]
        if agreeing and not against:
            return Verdict(claim, "agrees")
    if against:
        return Verdict(claim, "contradicts", against[0].text)
    return Verdict(claim, "agrees" if agreeing else "unsupported")


def _judge_clean(claim: Claim, facts: tuple[Claim, ...]) -> Verdict:
    """ "깨끗해요" agrees with a listing that says so there; it contradicts a cosmetic defect the
    listing states at the same place (or anywhere, when the reply says the item is clean)."""
    if any(f.kind == "clean" and _overlaps(f.where, claim.where) and f.where >= claim.where for f in facts):
        return Verdict(claim, "agrees")
    against = [
        f
        for f in facts
        if f.kind.removeprefix("defect:") in COSMETIC
        and f.present
        and (not claim.where or _overlaps(f.where, claim.where))
    ]
    if against:
        return Verdict(claim, "contradicts", against[0].text)
    return Verdict(claim, "agrees" if any(f.kind == "clean" for f in facts) else "unsupported")


# "필름은 설명에 안 써놨네요": a claim that the listing is silent on something, false when it is not.
_UNSTATED = re.compile(
    r"([가-힣A-Za-z ]{1,10}?)\s*(?:은|는|이|가)?\s*설명에\s*(?:따로\s*|는\s*)?(?:안|없|적혀\s*있지\s*않)"
)
_NAMED_KINDS: dict[str, tuple[str, ...]] = {
    "배터리": ("battery",),
    "구매 시기": ("bought", "months"),
    "사용 횟수": ("months",),
    "상태": ("clean", *(f"defect:{k}" for k in COSMETIC)),
    "하자 여부": ("defect:fault",),
}


def unstated_claims(reply: str, listing_text: str, *, year: int | None = None) -> list[Verdict]:
    """ "X은 설명에 안 적어뒀어요" where the listing does say something about X."""
    facts = claims(listing_text, year=year)
    out = []
    for m in _UNSTATED.finditer(reply):
        name = m.group(1).strip()
        kinds = set(_NAMED_KINDS.get(name, ()))
        kinds |= {f"part:{k}" for k, pattern in PARTS.items() if re.search(pattern, name)}
        kinds |= {f"defect:{k}" for k, pattern in DEFECTS.items() if re.search(pattern, name)}
        said = [f for f in facts if f.kind in kinds]
        if name == "거래 방법" and (named := trade_methods(listing_text)):
            said.append(Claim("trade", text=", ".join(named)))
        if said:
            out.append(Verdict(Claim(f"unstated:{name}", text=m.group()), "contradicts", said[0].text))
    return out


def contradictions(reply: str, listing_text: str, *, year: int | None = None) -> list[Verdict]:
    found = [v for v in judge(reply, listing_text, year=year) if v.status == "contradicts"]
    return found + unstated_claims(reply, listing_text, year=year)


def reply_problems(reply: str, *, listing_text: str, relay: bool, year: int | None = None) -> list[str]:
    """Everything wrong with what a reply says about the item: facts the listing contradicts or
    does not state ("박스 있어요" where it says nothing of a box is made up, however likely), and
    promises the site cannot keep."""
    found = [f"contradicts:{v.claim.kind}" for v in contradictions(reply, listing_text, year=year)]
    found += [
        f"unsupported:{v.claim.kind}"
        for v in judge(reply, listing_text, year=year)
        if v.status == "unsupported"
    ]
    return found + promises(reply, listing_text=listing_text, relay=relay)


# --- promises ------------------------------------------------------------------------------------

_PHOTO = re.compile(r"사진[^.!?~]{0,14}?(?:보내|찍어|보여\s*드|올려\s*드|드릴|드려)|찍어서\s*(?:보내|드)")
_CONTACT = re.compile(
    r"(?:전화|통화|연락처|번호|카톡|카카오톡|문자|오픈\s*채팅)[^.!?~]{0,10}?"
    r"(?:드릴|드려|알려\s*드|주세요|주시면|주셔도|가능해요|하셔도|할게요|남겨|보내)"
)
# "사진은 보낼 수 없어요", "연락처는 따로 안 드려요": a refusal, not an offer.
_REFUSED = re.compile(r"안\s|않|없|못|어렵|말고|보다는|대신|\s수\s*없")
_FOLLOW_UP = re.compile(
    r"(?:확인|알아|여쭤|물어)\s*(?:해\s*)?(?:보고|봐서|해서|하고|한\s*뒤|한\s*후|하면)[^.!?~]{0,16}?"
    r"(?:알려|말씀|답|연락|전해)|(?:알려|답장|답변)\s*드릴게요|다시\s*말씀드릴게요|확인해\s*볼게요"
)


def _offers(pattern: re.Pattern[str], reply: str) -> bool:
    return any(not _REFUSED.search(reply[m.start() : m.end() + 8]) for m in pattern.finditer(reply))


def promises(reply: str, *, listing_text: str, relay: bool) -> list[str]:
    """What the reply offers that the product cannot do: photos (the chat sends none), calls or
    other contact (the chat is the channel), a trade method the listing does not name or rules
    out, and a later answer ("확인해 보고 알려드릴게요") where no question reaches the seller."""
    problems = []
    if _offers(_PHOTO, reply):
        problems.append("promise:photo")
    if _offers(_CONTACT, reply):
        problems.append("promise:contact")
    if not relay and _FOLLOW_UP.search(reply):
        problems.append("promise:follow_up")
    named = trade_methods(listing_text)
    for clause in clauses(reply):
        for kind, pattern in TRADE.items():
            m = re.search(pattern, clause)
            if m and not TRADE_NO.match(clause[m.end() :]) and not named.get(kind, False):
                problems.append(f"promise:trade:{kind}")
    return sorted(set(problems))
