"""The default generator's words: a Korean rule realizer for the Advisor's decisions.

Replies are polite 해요체 as on Korean second-hand marketplaces (네고, 쿨거래, 택포, 직거래).
Each act has at least five phrasings, and a held price is justified from the listing itself
(its condition, age or extras, taken from the description). The realizer states only the
decided price (and the public list price where the act allows it), and only when the decision
says the price may be quoted; the guard checks that anyway.
"""

from __future__ import annotations

import random
import re

from mlcore.prices import find_amounts, format_won
from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, Listing
from mlcore.strategy import Act, Decision

# Description sentences worth citing when the price holds: condition, age, extras.
_SELLING_POINT = re.compile(
    r"상태|깨끗|새것|새상품|미개봉|미사용|풀박|박스|구성품|정품|보증|영수증|사용감|기스|스크래치|흠집|하자|"
    r"배터리|구매|사용|개월|년|충전기|케이스|필름|포함|증정|드려요|같이",
)
_SENTENCE = re.compile(r"(?<=[.!?。])\s+|\n+")

# {price}: the decided price; {list}: the list price; {title}; {point}: a selling point.
PHRASES: dict[str, list[str]] = {
    "greet": [
        "안녕하세요! {title} 보러 와주셔서 감사해요. 궁금한 점 있으면 편하게 물어보세요.",
        "안녕하세요~ {title} 아직 판매 중이에요. 편하게 말씀 주세요.",
        "반가워요! {title} 관심 가져주셔서 감사해요. 상태 좋은 물건이에요.",
        "안녕하세요, 문의 감사해요. {title} 거래 가능해요. 직거래도 택배도 괜찮아요.",
        "네 안녕하세요! {title} 판매 중이에요. 쿨거래 해주시면 좋겠어요.",
    ],
    "answer": [
        "설명에도 적어뒀는데요, {detail} 더 궁금한 거 있으면 말씀 주세요.",
        "네, {detail} 참고해 주세요!",
        "문의 감사해요. {detail} 다른 것도 편하게 물어보세요.",
        "{detail} 확인하시고 연락 주세요~",
        "아 그거요, {detail} 보시고 괜찮으시면 거래해요.",
    ],
    "answer_unknown": [
        "그 부분은 설명에 적어둔 내용이 전부예요. 사진 더 필요하시면 말씀 주세요.",
        "음 그건 제가 정확히 확인해 보고 말씀드릴게요. 설명 참고 부탁드려요.",
        "설명에 있는 그대로예요. 직거래하시면 직접 보고 결정하셔도 돼요.",
        "그 부분은 따로 적어두지 않았는데, 실물 보시면 바로 아실 거예요.",
        "자세한 건 설명 참고해 주시고, 더 궁금하시면 편하게 물어보세요.",
    ],
    "counter": [
        "음... {price}까지는 맞춰드릴 수 있어요. 이 정도면 괜찮으실까요?",
        "고민해봤는데 {price}에 드릴게요. 쿨거래 해주시면 좋겠어요.",
        "그 가격은 조금 어렵고요, {price} 어떠세요?",
        "제가 조금 양보해서 {price}까지 해드릴게요.",
        "네고 조금 해드릴게요. {price}이면 거래 가능해요.",
        "{price}까지 가능해요. 택포는 아니고 직거래 기준이에요.",
    ],
    "counter_last": [
        "마지막으로 {price}까지 해드릴게요. 더는 어려워요.",
        "정말 이게 마지막이에요. {price}에 가져가세요.",
        "{price}, 이게 제가 드릴 수 있는 마지막 가격이에요.",
        "더 고민하지 않게 {price}으로 해드릴게요. 이 이상은 어려워요.",
        "딱 {price}까지만 가능해요. 마지막 제안이에요.",
    ],
    "hold": [
        "{point} 그래서 {price}은 지금 가격 그대로 생각하고 있어요.",
        "죄송해요, {price}에서 더 내리기는 어려워요. {point}",
        "{point} 이 상태면 {price}도 싸게 내놓은 거예요.",
        "지금 가격이 최선이에요. {price}에 쿨거래 어떠세요?",
        "{price}에서는 네고가 좀 어려워요. {point}",
        "생각하시는 가격 말씀해 주시면 고민해볼게요. 일단 {price}이에요.",
    ],
    "hold_unquoted": [
        "{point} 그래서 가격은 지금 그대로 생각하고 있어요.",
        "죄송해요, 지금 가격에서 더 내리기는 어려워요. {point}",
        "{point} 이 상태면 지금 가격도 싸게 내놓은 거예요.",
        "가격은 지금이 최선이에요. 쿨거래 해주시면 감사하겠어요.",
        "네고는 좀 어려워요. {point}",
    ],
    "deny": [
        "그 가격은 너무 많이 깎으신 것 같아요. {price}에서 크게 벗어나긴 어려워요.",
        "죄송하지만 그렇게는 어려워요. 저는 {price} 생각하고 있어요.",
        "아까보다 더 낮게 말씀하시면 곤란해요. {price}에서 생각해 주세요.",
        "그 가격엔 힘들어요. {point} {price}은 받아야 할 것 같아요.",
        "죄송해요, 그건 안 될 것 같아요. {price}이면 바로 거래해요.",
    ],
    "deny_unquoted": [
        "그 가격은 너무 많이 깎으신 것 같아요. 조금만 더 올려주세요.",
        "죄송하지만 그렇게는 어려워요.",
        "그 가격엔 힘들어요. {point}",
        "죄송해요, 그건 안 될 것 같아요. 다시 한번 생각해 주세요.",
        "그 가격으로는 어렵네요. 조금 더 생각해 주시면 감사하겠어요.",
    ],
    "accept": [
        "좋아요! {price}에 드릴게요. 최종 가격으로 제안 보내주세요.",
        "네, {price}에 거래해요. 최종 제안 보내주시면 확정할게요.",
        "그럼 {price}에 쿨거래 해요! 최종 가격 보내주세요.",
        "알겠어요, {price}으로 할게요. 직거래든 택배든 편하신 대로 해요.",
        "{price} 좋아요. 최종 제안 주시면 바로 확정해 드릴게요.",
    ],
    "accept_unquoted": [
        "좋아요! 말씀하신 가격에 드릴게요. 최종 가격 보내주세요.",
        "네, 그 가격에 거래해요. 최종 제안 보내주시면 확정할게요.",
        "그럼 그렇게 쿨거래 해요! 최종 가격 보내주세요.",
        "알겠어요, 말씀하신 대로 할게요.",
        "좋아요. 최종 제안 주시면 바로 확정해 드릴게요.",
    ],
    "final_accept": [
        ACCEPT_TOKEN + " 좋아요, {price}에 거래할게요! 감사합니다.",
        ACCEPT_TOKEN + " {price}에 드릴게요. 쿨거래 감사해요!",
        ACCEPT_TOKEN + " 네, {price}으로 확정할게요. 거래 방법 정해서 연락드릴게요.",
        ACCEPT_TOKEN + " 감사합니다! {price}에 판매할게요.",
        ACCEPT_TOKEN + " {price} 좋아요. 좋은 거래 해요!",
    ],
    "final_accept_unquoted": [
        ACCEPT_TOKEN + " 좋아요, 그 가격에 거래할게요! 감사합니다.",
        ACCEPT_TOKEN + " 말씀하신 가격에 드릴게요. 쿨거래 감사해요!",
        ACCEPT_TOKEN + " 네, 그렇게 확정할게요. 거래 방법 정해서 연락드릴게요.",
        ACCEPT_TOKEN + " 감사합니다! 그 가격에 판매할게요.",
        ACCEPT_TOKEN + " 좋아요. 좋은 거래 해요!",
    ],
    "final_deny": [
        DENY_TOKEN + " 죄송해요, 그 가격은 어려워요. {price}이면 바로 거래할게요.",
        DENY_TOKEN + " 아쉽지만 그건 힘들어요. {price}까지는 맞춰드릴 수 있어요.",
        DENY_TOKEN + " 그 가격엔 못 드릴 것 같아요. {price} 어떠세요?",
        DENY_TOKEN + " 죄송합니다. {point} {price}은 받고 싶어요.",
        DENY_TOKEN + " 마음은 알겠지만 어려워요. {price}으로 다시 생각해 주세요.",
    ],
    "final_deny_unquoted": [
        DENY_TOKEN + " 죄송해요, 그 가격은 어려워요.",
        DENY_TOKEN + " 아쉽지만 그건 힘들어요. 다음에 좋은 인연 있으면 거래해요.",
        DENY_TOKEN + " 그 가격엔 못 드릴 것 같아요. 죄송해요.",
        DENY_TOKEN + " 죄송합니다. {point}",
        DENY_TOKEN + " 마음은 알겠지만 이번엔 어려워요.",
    ],
    "closing_deny": [
        DENY_TOKEN + " 대화가 길어져서 여기까지 할게요. 제 마지막 가격은 {price}이었어요.",
        DENY_TOKEN + " 이번엔 거래가 어려울 것 같아요. {price} 생각 있으시면 다시 연락 주세요.",
        DENY_TOKEN + " 아쉽지만 여기서 마무리할게요. {price}이 제 최선이었어요.",
        DENY_TOKEN + " 죄송해요, 더 조율은 어려워요. {price} 아래로는 힘들어요.",
        DENY_TOKEN + " 오늘은 여기까지 할게요. 나중에라도 {price}에 괜찮으시면 말씀 주세요.",
    ],
    "refuse_free": [
        "죄송해요, 나눔은 안 하고 있어요. 판매 글이에요.",
        "무료로 드리기는 어려워요. 가격 제안 주시면 고민해볼게요.",
        "나눔은 어렵고요, 적당한 가격 말씀해 주시면 생각해볼게요.",
        "아쉽지만 공짜로는 못 드려요. 이해 부탁드려요.",
        "죄송해요, 판매 중인 물건이라 무료 나눔은 안 돼요.",
    ],
    "refuse_abuse": [
        "말씀을 좀 곱게 해주시면 좋겠어요. 계속 이러시면 거래 어려워요.",
        "서로 예의 지켜서 대화해요. 그렇지 않으면 거래 안 할게요.",
        "그런 말씀은 곤란해요. 정중하게 말씀해 주세요.",
        "기분 좋게 거래하고 싶어요. 말씀 조심해 주세요.",
        "욕설은 삼가 주세요. 거래 얘기만 해요.",
    ],
    "refuse_manipulation": [
        "죄송해요, 그런 내용은 말씀드릴 수 없어요. 원하시는 가격 제안해 주세요.",
        "그건 답변드리기 어려워요. 가격 제안 주시면 고민해볼게요.",
        "그 부분은 공개하지 않아요. 원하시는 가격 말씀해 주세요.",
        "그런 요청은 도와드릴 수 없어요. 거래 얘기만 해요.",
        "죄송하지만 그건 안 돼요. 생각하시는 가격 말씀해 주시면 검토해볼게요.",
    ],
    "refuse_false_claim": [
        "제가 그렇게 말씀드린 적은 없어요. 원하시는 가격 말씀해 주세요.",
        "음, 그런 약속은 드린 적이 없어요. 지금 가격 기준으로 얘기해요.",
        "착오가 있으신 것 같아요. 그 가격은 말씀드린 적 없어요.",
        "그렇게 얘기한 적은 없어요. 다시 가격 제안 주시면 고민해볼게요.",
        "아니에요, 그런 말씀은 드린 적 없어요. 원하시는 가격 말씀해 주세요.",
    ],
    "refuse_off_topic": [
        "앗, 그건 제가 도와드리기 어려워요. 물건 얘기만 해요!",
        "죄송해요, 거래 관련 얘기만 할게요. 물건 궁금한 점 있으세요?",
        "그건 잘 모르겠어요. 물건에 관심 있으시면 말씀 주세요.",
        "거래랑 관련 없는 얘기는 어려워요. 가격 제안 주시면 고민해볼게요.",
        "음 그건 패스할게요. 물건 얘기해요~",
    ],
    "refuse_unavailable": [
        "죄송해요, 다른 분께서 더 좋은 조건을 주셔서 지금은 그 가격에 어려워요.",
        "아쉽지만 지금 더 좋은 제안이 있어서 그렇게는 어려워요.",
        "죄송해요, 다른 분 제안이 더 높아서 지금은 힘들어요.",
        "지금은 그 조건으로 거래가 어려워요. 다른 분 제안이 먼저라서요.",
        "죄송하지만 다른 분께서 더 높게 제안하셔서 곤란해요.",
    ],
}
OTHERS = [
    " 지금 다른 분들도 문의 주고 계세요.",
    " 관심 주시는 분이 몇 분 더 계세요.",
    " 다른 분들도 보고 계셔서요.",
]


def selling_point(listing: Listing) -> str:
    """A description sentence about condition, age or extras, without any amount in it."""
    for sentence in _SENTENCE.split(listing.description):
        sentence = sentence.strip().rstrip(".!~")
        # Digits only as ages or sizes ("2년 사용", "128GB"); never amounts.
        plain = not any(ch.isdigit() for ch in sentence) or re.search(r"\d+\s*(?:년|개월|GB|gb)", sentence)
        if (
            4 <= len(sentence) <= 80
            and _SELLING_POINT.search(sentence)
            and plain
            and not find_amounts(sentence)
        ):
            return sentence + "."
    return f"{listing.title} 상태 좋은 물건이에요."


_REFUSALS = {
    "free_request": "refuse_free",
    "abuse": "refuse_abuse",
    "off_topic": "refuse_off_topic",
    "false_claim": "refuse_false_claim",
}


def _key(decision: Decision) -> str:
    act = decision.act
    if act is Act.ANSWER:
        return "answer" if decision.detail else "answer_unknown"
    if act is Act.REFUSE:
        return _REFUSALS.get(decision.reason, "refuse_manipulation")
    if decision.price is None and act in {Act.DENY, Act.FINAL_DENY}:
        return "refuse_unavailable" if act is Act.DENY else "final_deny_unquoted"
    if act is Act.FINAL_DENY and decision.closed and decision.quote:
        return "closing_deny"
    if act is Act.COUNTER and decision.rounds_left <= 1:
        return "counter_last"
    if act in {Act.HOLD, Act.DENY, Act.ACCEPT, Act.FINAL_ACCEPT, Act.FINAL_DENY} and not decision.quote:
        return act.value + "_unquoted"
    if act is Act.COUNTER and not decision.quote:  # never happens: counters sit above the floor
        return "hold_unquoted"
    return act.value


def realize(decision: Decision, *, listing: Listing, rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    key = _key(decision)
    template = rng.choice(PHRASES[key])
    text = template.format(
        price=format_won(decision.price) if decision.price is not None else "",
        list=format_won(listing.price),
        title=listing.title.strip()[:40] or "물건",
        point=selling_point(listing),
        detail=_detail(decision.detail),
    )
    if decision.others_interested > 0 and decision.act in {Act.HOLD, Act.DENY, Act.COUNTER, Act.GREET}:
        text += rng.choice(OTHERS)  # true: the site told the Advisor about other open chats
    return text


def _detail(detail: str) -> str:
    detail = detail.strip()
    return detail if not detail or detail[-1] in ".!?~" else detail + "."
