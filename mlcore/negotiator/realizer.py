"""The default generator's words: a Korean rule realizer for the Advisor's decisions.

Replies are polite 해요체 as on Korean second-hand marketplaces (네고, 쿨거래, 택포, 직거래).
Each act has at least five phrasings, and a held price is justified from the listing itself
(its condition, age or extras, taken from the description). The realizer states only the
decided price (and the public list price where the act allows it), and only when the decision
says the price may be quoted; the guard checks that anyway. It says of the item only what the
listing says, offers nothing the site cannot do (photos, calls, a trade method the listing does
not name, a later answer where no question reaches the seller), and repeats no sentence.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Sequence

from mlcore.language import intents
from mlcore.language.claims import reply_problems, trade_methods
from mlcore.language.facts import (
    TOPICS,
    because,
    has_batchim,
    meeting_place,
    selling_points,
    ships_free,
)
from mlcore.language.prices import format_won
from mlcore.negotiator.advisor import Act, Decision
from mlcore.schema import ACCEPT_TOKEN, BUYER, DENY_TOKEN, SELLER, Event, Listing

_HANGUL = re.compile(r"[가-힣]")

# Placeholders: {price} the decided price, {list} the list price, {title}; optional ones, a
# template is used only when the listing provides them: {because} selling points from the
# description ("배터리 성능도 89%로 아직 좋고, … 드리는 거라"), {place} the 직거래 spot, {detail} the
# description's answer, {taekpo} "택포" when the listing price includes shipping, {topic} what
# was asked about, with its particle.
PHRASES: dict[str, list[str]] = {
    "greet": [
        "안녕하세요! {title} 보러 와주셔서 감사해요 :) 궁금한 거 있으면 편하게 물어보세요.",
        "안녕하세요~ 네 아직 판매 중이에요! 편하게 말씀 주세요 ㅎㅎ",
        "반가워요! 관심 가져주셔서 감사해요. 궁금한 점 있으시면 말씀 주세요~",
        "안녕하세요, 문의 감사해요! {title} 거래 가능해요.",
        "네 안녕하세요! 아직 있어요 ㅎㅎ 쿨거래 해주시면 좋겠어요.",
        "안녕하세요 :) 직거래는 {place}에서 가능해요. 편하게 물어보세요!",
    ],
    "greet_thanks": [
        "저도 감사해요! 더 궁금한 거 있으면 언제든 말씀 주세요 :)",
        "아니에요~ 편하게 물어보세요 ㅎㅎ",
        "네 감사합니다! 좋은 하루 보내세요 :)",
        "별말씀을요 ㅎㅎ 생각 있으시면 편하게 연락 주세요!",
        "감사해요! 거래 원하시면 가격 제안 버튼으로 보내주시면 돼요.",
    ],
    "accept_thanks": [
        "저도 감사해요! 가격 제안 버튼으로 {price} 보내주시면 바로 확정할게요 :)",
        "감사합니다 ㅎㅎ {price}으로 최종 제안 보내주시면 수락할게요!",
        "네 감사해요! {price}으로 가격 제안 주시면 거래 확정할게요~",
        "저야말로 감사해요 :) 채팅창 가격 제안으로 {price} 보내주세요!",
        "감사합니다! {price} 최종 제안 기다릴게요 ㅎㅎ",
    ],
    "accept_bye": [
        "네 들어가세요! 가격 제안 버튼으로 {price} 보내주시면 확정할게요 :)",
        "네~ {price}으로 최종 제안 주시면 바로 확정해 드릴게요!",
        "감사해요! {price} 최종 제안 기다릴게요 ㅎㅎ",
        "네 좋은 하루 보내세요! {price}으로 가격 제안 보내주시면 돼요.",
        "네네 {price}으로 가격 제안 주시면 수락할게요 :)",
    ],
    "greet_bye": [
        "네 천천히 생각해 보시고 편하게 연락 주세요 :)",
        "네네 들어가세요~ 좋은 하루 보내세요!",
        "알겠어요! 생각 있으시면 언제든 말씀 주세요 ㅎㅎ",
        "네 감사합니다. 다음에 또 연락 주세요 :)",
        "네~ 고민해 보시고 연락 주시면 답장 드릴게요!",
    ],
    "answer": [
        "{detail} 더 궁금한 거 있으면 편하게 물어보세요 :)",
        "문의 감사해요! {detail}",
        "아 그거요, {detail} 참고해 주세요 ㅎㅎ",
        "설명에도 적어뒀는데요, {detail} 다른 것도 궁금하시면 말씀 주세요!",
        "{detail} 궁금한 거 있으시면 또 물어보세요~",
        "{detail} {place}에서 직거래하시면 직접 보고 결정하셔도 돼요.",
    ],
    # Condition or colour: a photo shows what words cannot.
    # Part of the question is answered by the description, part ({topic}) is not. With a way to
    # the seller (`Listing.seller_relay`) the rest is passed on; without, the bot says it plainly.
    "answer_partial_relay": [
        "{detail} {topic} 설명에 따로 안 적어둬서, 확인하고 이 채팅으로 답 드릴게요!",
        "{detail} 그리고 {topic} 제가 확인해서 여기로 답 남길게요.",
        "문의 감사해요! {detail} {topic} 확인이 필요해서, 확인하고 이 채팅으로 알려드릴게요~",
        "{detail} {topic} 설명에 없어서 확인이 필요해요. 확인하고 이 채팅에 답 남길게요!",
        "아 그거요, {detail} {topic} 설명에 안 적어둔 거라 확인해서 여기로 답 드릴게요 :)",
    ],
    "answer_partial": [
        "{detail} {topic} 설명에 따로 안 적어뒀어요.",
        "{detail} {topic} 설명에 없는 부분이라 지금은 정확히 말씀드리기 어려워요.",
        "문의 감사해요! {detail} {topic} 설명에 적어둔 게 없어요 ㅠㅠ",
        "{detail} {topic} 따로 적어둔 게 없어서 확실하게는 말씀 못 드려요.",
        "아 그거요, {detail} {topic} 설명에 안 나와 있어요 ㅠㅠ",
    ],
    "answer_unknown_relay": [
        "{topic} 설명에 따로 안 적어뒀네요. 확인하고 이 채팅으로 답 드릴게요!",
        "{topic} 설명에 없는 부분이라, 제가 확인해서 여기로 답 남길게요 :)",
        "{topic} 설명에 안 써놨네요 ㅎㅎ 확인하고 이 채팅으로 알려드릴게요.",
        "{topic} 설명에 없어서 확인이 필요해요. 확인하고 이 채팅에 답 남길게요~",
        "아 {topic} 설명에 안 적어뒀어요. 확인해서 여기로 답 드릴게요!",
    ],
    "answer_unknown": [
        "{topic} 설명에 따로 안 적어뒀어요. 지금은 정확히 말씀드리기 어려워요 ㅠㅠ",
        "{topic} 설명에 없는 부분이라 확실하게는 말씀 못 드려요.",
        "{topic} 설명에 안 써놨어요 ㅎㅎ 설명에 적힌 것 말고는 장담하기 어려워요.",
        "{topic} 따로 적어둔 게 없어요. 설명에 있는 것만 말씀드릴 수 있어요 ㅠㅠ",
        "아 {topic} 설명에 안 나와 있어요. 확실하지 않은 건 말씀드리기 어려워요.",
    ],
    # How to trade, when the description does not say: no method is offered that it does not name.
    "answer_trade_relay": [
        "거래 방법은 설명에 따로 안 적어뒀어요. 원하시는 방법 말씀해 주시면 확인하고 답 드릴게요!",
        "거래 방법은 설명에 없네요 ㅎㅎ 어떤 방법 원하시는지 말씀해 주시면 확인해서 여기로 답 남길게요.",
        "거래 방법은 아직 안 정해뒀어요. 원하시는 방법 알려주시면 확인하고 답 드릴게요 :)",
        "거래 방법은 설명에 안 적어뒀네요. 원하시는 방법 알려주시면 확인해서 이 채팅에 답 남길게요~",
        "아직 거래 방법은 설명에 없어요 ㅎㅎ 원하시는 방법 말씀 주시면 확인하고 여기로 답 드릴게요!",
    ],
    "answer_trade": [
        "거래 방법은 설명에 따로 안 적어뒀어요. 원하시는 방법 말씀해 주세요!",
        "거래 방법은 설명에 없네요 ㅎㅎ 어떤 방법이 편하신지 말씀해 주세요.",
        "거래 방법은 아직 안 정해뒀어요. 원하시는 방법 있으면 말씀해 주세요 :)",
        "거래 방법은 설명에 안 적어뒀네요 ㅎㅎ 원하시는 방법 알려주세요~",
        "아직 거래 방법은 설명에 없어요. 편하신 방법 말씀해 주세요!",
    ],
    # The chat carries text only, and is the one channel between buyer and seller.
    "answer_photo": [
        "사진은 판매글에 올린 게 전부예요. 채팅으로는 사진을 보낼 수 없어요 ㅠㅠ",
        "채팅에서는 사진을 주고받을 수 없어요. 판매글 사진을 참고해 주세요!",
        "판매글에 올린 사진이 전부예요 ㅎㅎ 궁금한 부분 물어보시면 설명에 있는 대로 답할게요.",
        "사진은 판매글에 있는 게 다예요. {place}에서 직거래하시면 직접 보고 결정하셔도 돼요.",
        "아쉽지만 채팅으로는 사진을 못 보내요. 판매글 사진 참고 부탁드려요 :)",
    ],
    "answer_contact": [
        "연락은 이 채팅으로만 하고 있어요 :) 궁금한 거 여기로 편하게 물어보세요!",
        "개인 연락처는 따로 안 드리고 있어요. 이 채팅으로 얘기해요 ㅎㅎ",
        "이 채팅으로 얘기하는 게 편해요. 궁금한 거 있으면 여기로 말씀 주세요!",
        "채팅으로 말씀 주시면 여기서 답할게요 :)",
        "번호 교환은 안 하고 있어요. 이 채팅으로 편하게 물어보세요!",
    ],
    # Asked again about what was passed on (or said to be missing) before: said once, then pointed to.
    "answer_pending_relay": [
        "{topic} 아직 확인 중이에요. 확인되면 이 채팅에 바로 남길게요!",
        "{topic} 앞에서 말씀드린 대로 확인하고 있어요. 조금만 기다려 주세요 :)",
        "{topic} 확인 중이라 조금만 기다려 주세요. 여기로 답 드릴게요!",
        "아까 문의하신 {topic} 확인하고 있어요 ㅎㅎ 답 나오면 이 채팅에 남길게요.",
        "{topic} 아직 확인 중이에요. 다른 궁금한 점 있으면 편하게 물어보세요!",
    ],
    "answer_pending": [
        "{topic} 앞에서 말씀드린 대로 설명에 없는 부분이에요 ㅠㅠ",
        "아까 말씀드렸듯이 {topic} 설명에 적어둔 게 없어요.",
        "{topic} 말씀드린 것처럼 설명에 없는 내용이에요.",
        "앞서 말씀드린 대로 {topic} 설명에 따로 적어둔 게 없어요 ㅠㅠ",
        "{topic} 위에 말씀드린 것처럼 설명에는 없어요.",
    ],
    # The description's answer was given already: pointed to, not said again.
    "answer_again": [
        "아까 말씀드린 그대로예요 ㅎㅎ 다른 것도 궁금하시면 물어보세요!",
        "앞에서 말씀드린 내용이 설명에 적힌 전부예요.",
        "위에 말씀드린 게 다예요 ㅎㅎ 더 궁금한 거 있으면 말씀 주세요.",
        "말씀드린 대로예요! 설명에 적힌 것 그대로예요.",
        "앞서 답변드린 그대로예요 :)",
    ],
    # Another item than this listing's ("PS5 본체도 파시나요?"): this chat sells this one only.
    "answer_other_item": [
        "이 글은 {title} 판매 글이에요. 다른 물건은 이 글에 포함돼 있지 않아요 ㅎㅎ",
        "여기서는 {title}, 이 물건 하나 판매하고 있어요. 다른 물건은 이 글에 없어요!",
        "이 글에는 {title}, 이거 하나 올렸어요. 다른 물건은 이 채팅에서 거래하기 어려워요 ㅎㅎ",
        "이 채팅은 {title} 거래용이에요 ㅎㅎ 다른 물건은 이 글에 없어요.",
        "지금 이 글은 {title} 판매 글이에요. 다른 물건은 여기 포함돼 있지 않아요!",
    ],
    "answer_availability": [
        "네, 아직 판매 중이에요! 편하게 물어보세요 :)",
        "네네 아직 있어요 ㅎㅎ 궁금한 거 있으시면 말씀 주세요!",
        "네 아직 판매 중이에요~ 관심 가져주셔서 감사해요!",
        "아직 거래 가능해요! 편하게 말씀 주세요 :)",
        "네, 아직 안 팔렸어요 ㅎㅎ 궁금하신 점 있으면 물어보세요.",
    ],
    # A bundle: each listing has its own chat and its own price, so no bundle deal is promised.
    "answer_bundle": [
        "이 채팅은 이 물건 하나만 거래해요. 다른 물건은 그 판매글에서 따로 문의해 주세요!",
        "묶음 거래는 따로 안 되고, 판매글마다 따로 거래해요 ㅎㅎ 이 물건은 편하게 제안 주세요.",
        "다른 물건은 각 판매글 채팅에서 얘기해 주셔야 해요. 이 물건 가격은 여기서 편하게 말씀 주세요!",
        "같이 보시는 건 감사한데, 여기서는 이 물건 가격만 정할 수 있어요 ㅎㅎ",
        "이 글은 이 물건만 판매해요. 다른 물건도 관심 있으시면 그 글에서 문의 주세요!",
    ],
    "counter": [
        "음... {price}까지는 맞춰드릴 수 있어요. 이 정도면 괜찮으실까요?",
        "고민해봤는데 {price}에 드릴게요! 쿨거래 해주시면 좋겠어요 ㅎㅎ",
        "그 가격은 조금 어렵고요, {price} 어떠세요?",
        "제가 조금 양보해서 {price}까지 해드릴게요 :)",
        "네고 조금 해드릴게요. {price}이면 바로 거래 가능해요!",
        "{because} 많이는 어렵고, {price}까지 해드릴게요.",
        "{price}까지 빼 드릴게요. 직거래는 {place}에서 가능해요!",
        "{taekpo}로 {price}까지 해드릴게요! 쿨거래 해주시면 좋겠어요.",
    ],
    "counter_last": [
        "마지막으로 {price}까지 해드릴게요. 더는 진짜 어려워요 ㅠㅠ",
        "정말 이게 마지막이에요. {price}에 가져가세요 ㅎㅎ",
        "{price}, 이게 제가 드릴 수 있는 마지막 가격이에요.",
        "더 고민하지 않게 {price}으로 해드릴게요. 이 이상은 어려워요!",
        "딱 {price}까지만 가능해요. 마지막 제안이에요 :)",
    ],
    "hold": [
        "{because} {price}도 저렴하게 내놓은 거예요.",
        "죄송해요, {price}에서 더 내리기는 어려워요 ㅠㅠ {because} 가격 충분히 착하게 올렸어요.",
        "{because} 네고는 좀 어려워요. {price}에 쿨거래 해주시면 좋겠어요 :)",
        "지금 가격이 최선이에요. {price}에 쿨거래 어떠세요?",
        "아직은 {price} 그대로 생각하고 있어요 ㅎㅎ 생각하시는 가격 있으면 말씀해 주세요!",
        "{price}에서 네고는 좀 어려울 것 같아요. 직거래면 {place}에서 바로 가능해요!",
        "음 {price}도 고민해서 정한 가격이라 더 빼기는 어렵네요. 죄송해요!",
        "{because} {price}은 지키고 싶어요. 대신 거래 시간은 편하게 맞춰 드릴게요 :)",
        "{price}은 {taekpo} 가격이라 더 빼기는 어려워요 ㅠㅠ 쿨거래 해주시면 감사하겠어요!",
        "{price}이 제가 생각한 가격이에요. 이 가격이면 바로 거래 가능해요!",
        "이 가격에서는 더 내리기 어려워요 ㅠㅠ {price} 그대로 부탁드려요.",
        "네고는 어렵지만 {price}이면 바로 거래할게요!",
        "{price} 그대로 생각해 주시면 감사하겠어요 ㅎㅎ",
    ],
    "hold_shipping": [
        "{price}은 택배비 별도 가격이라 택포는 좀 어려워요 ㅠㅠ 직거래 하시면 택배비 안 드셔도 돼요!",
        "택배비까지 빼드리긴 어려워요. {price}에 택배비 별도로 생각해 주세요!",
        "죄송해요, 택포는 어렵고 {price}에 택배비만 따로 받을게요 :)",
        "{price}에서 택배비까지 포함하긴 힘들어요 ㅠㅠ 대신 꼼꼼하게 포장해서 보내드릴게요!",
        "택포로 하면 사실상 네고라서요 ㅎㅎ {price}에 택배비는 따로 부탁드려요.",
    ],
    "hold_shipping_unquoted": [
        "지금 가격은 택배비 별도라 택포는 좀 어려워요 ㅠㅠ 직거래 하시면 택배비 안 드셔도 돼요!",
        "택배비까지 빼드리긴 어려워요. 택배비는 별도로 생각해 주세요!",
        "죄송해요, 택포는 어렵고 택배비만 따로 받을게요 :)",
        "택배비까지 포함하긴 힘들어요 ㅠㅠ 대신 꼼꼼하게 포장해서 보내드릴게요!",
        "택포로 하면 사실상 네고라서요 ㅎㅎ 택배비는 따로 부탁드려요.",
    ],
    "hold_shipping_free": [
        "네, {price} 택포 가격이에요! 택배비 따로 안 받아요 :)",
        "{price}은 택배비 포함 가격이에요. 편하게 생각하세요 ㅎㅎ",
        "택포로 올린 거라 {price}에 택배비까지 포함이에요!",
        "네 {price} 택포예요. 꼼꼼하게 포장해서 보내드릴게요~",
        "이미 택포 가격이에요 ㅎㅎ {price}에 보내드려요.",
    ],
    "hold_shipping_free_unquoted": [
        "네, 지금 가격이 택포 가격이에요! 택배비 따로 안 받아요 :)",
        "지금 가격은 택배비 포함이에요. 편하게 생각하세요 ㅎㅎ",
        "택포로 올린 거라 택배비까지 포함이에요!",
        "네 택포예요. 꼼꼼하게 포장해서 보내드릴게요~",
        "이미 택포 가격이에요 ㅎㅎ",
    ],
    # 택포 asked where the listing names no shipping: no word on 택배 the listing does not say.
    "hold_shipping_unnamed": [
        "택포는 어려워요 ㅠㅠ 가격은 {price} 그대로 생각해 주세요.",
        "죄송해요, 택포로는 어렵고 {price} 그대로예요.",
        "택포는 따로 생각 안 하고 있어요. {price}이 지금 가격이에요!",
        "택포로는 어렵고요, {price} 그대로 부탁드려요 ㅎㅎ",
        "죄송해요, 택포는 생각 안 하고 있어요. 가격은 {price}이에요.",
    ],
    "hold_shipping_unnamed_unquoted": [
        "택포는 어려워요 ㅠㅠ 가격은 지금 그대로 생각해 주세요.",
        "죄송해요, 택포로는 어려워요.",
        "택포는 따로 생각 안 하고 있어요. 양해 부탁드려요!",
        "택포로는 어렵고요, 가격은 그대로 부탁드려요 ㅎㅎ",
        "죄송해요, 택포는 생각 안 하고 있어요.",
    ],
    # A discount asked after the seller already came down ("5천원만 빼주세요" at a standing
    # 410,000원): a plain no with the reason, never worded as a yes.
    "deny_conceded": [
        "이미 {price}까지 맞춰 드린 거라 더 빼기는 어려워요 ㅠㅠ",
        "죄송해요, {price}도 많이 내린 가격이라 여기서 더는 힘들어요.",
        "{price}이 제가 맞춰 드릴 수 있는 가격이에요. 더 빼드리긴 어려워요!",
        "{because} {price}에서 더 내리기는 어려워요. 이해 부탁드려요 ㅠㅠ",
        "죄송해요, 벌써 {price}까지 내려 드린 거라 더는 어려워요.",
    ],
    "hold_unquoted": [
        "{because} 지금 가격도 저렴하게 내놓은 거예요.",
        "죄송해요, 지금 가격에서 더 내리기는 어려워요 ㅠㅠ {because} 충분히 착하게 올렸어요.",
        "가격은 지금이 최선이에요. 쿨거래 해주시면 감사하겠어요 :)",
        "네고는 좀 어려워요. 이해 부탁드려요!",
        "지금 가격 그대로 생각하고 있어요 ㅎㅎ 양해 부탁드려요.",
    ],
    "hold_floor": [
        "얼마 생각하세요? 말씀해 주시면 최대한 맞춰볼게요 :) 지금은 {price}이에요.",
        "따로 정해둔 건 말씀드리기 어렵고요 ㅎㅎ 생각하시는 가격 편하게 제안해 주세요! 지금은 {price}이에요.",
        "원하시는 가격 먼저 말씀해 주시면 고민해 볼게요! 현재는 {price}이에요.",
        "제가 먼저 말씀드리긴 좀 그렇고요 ㅎㅎ 얼마 생각하고 계세요? 지금 가격은 {price}이에요.",
        "{price}에서 많이는 어렵지만, 생각하시는 가격 있으면 말씀해 주세요. 최대한 맞춰 드릴게요 :)",
        "{because} 많이 빼긴 어려워요 ㅠㅠ 그래도 얼마 생각하세요? 지금은 {price}이에요.",
    ],
    "hold_floor_unquoted": [
        "얼마 생각하세요? 말씀해 주시면 최대한 맞춰볼게요 :)",
        "따로 정해둔 건 말씀드리기 어렵고요 ㅎㅎ 생각하시는 가격 편하게 제안해 주세요!",
        "원하시는 가격 먼저 말씀해 주시면 고민해 볼게요!",
        "제가 먼저 말씀드리긴 좀 그렇고요 ㅎㅎ 얼마 생각하고 계세요?",
        "{because} 많이 빼긴 어려워요 ㅠㅠ 그래도 얼마 생각하세요?",
    ],
    "deny": [
        "그 가격은 너무 많이 깎으신 것 같아요 ㅠㅠ {price}에서 크게 벗어나긴 어려워요.",
        "죄송하지만 그렇게는 어려워요. 저는 {price} 생각하고 있어요!",
        "그 가격은 좀 힘들어요 ㅎㅎ {price}에서 생각해 주세요.",
        "{because} 그 가격엔 어려워요. {price}은 받아야 할 것 같아요.",
        "죄송해요, 그건 안 될 것 같아요. {price}이면 바로 거래해요!",
        "그 가격까지는 어려워요 ㅠㅠ {price}이 지금 제 가격이에요.",
        "아쉽지만 그건 힘들 것 같아요. {price} 그대로 생각해 주세요!",
        "그렇게까지는 못 내려 드려요 ㅠㅠ {price}에 생각해 주시면 좋겠어요.",
    ],
    "deny_unquoted": [
        "그 가격은 너무 많이 깎으신 것 같아요 ㅠㅠ 조금만 더 올려주세요.",
        "죄송하지만 그렇게는 어려워요.",
        "{because} 그 가격엔 힘들어요.",
        "죄송해요, 그건 안 될 것 같아요. 다시 한번 생각해 주세요!",
        "그 가격으로는 어렵네요. 조금 더 생각해 주시면 감사하겠어요 :)",
    ],
    "accept": [
        "좋아요! {price}에 드릴게요. 채팅창의 가격 제안 버튼으로 {price} 보내주시면 바로 확정할게요 :)",
        "네, {price}에 거래해요! 가격 제안 버튼으로 최종 제안 보내주세요.",
        "그럼 {price}에 쿨거래 해요 ㅎㅎ 가격 제안으로 {price} 보내주시면 확정해 드릴게요.",
        "알겠어요, {price}으로 할게요! 직거래는 {place}에서 가능해요. 가격 제안 버튼으로 보내주세요~",
        "{price} 좋아요. 최종 제안 주시면 바로 확정해 드릴게요!",
        "네 좋아요! {price}으로 가격 제안 보내주시면 수락할게요 :)",
    ],
    "accept_unquoted": [
        "좋아요! 말씀하신 가격에 드릴게요. 가격 제안 버튼으로 최종 가격 보내주세요 :)",
        "네, 그 가격에 거래해요. 최종 제안 보내주시면 확정할게요!",
        "그럼 그렇게 쿨거래 해요 ㅎㅎ 가격 제안 버튼으로 보내주세요.",
        "알겠어요, 말씀하신 대로 할게요. 최종 제안 기다릴게요~",
        "좋아요. 최종 제안 주시면 바로 확정해 드릴게요!",
    ],
    "final_accept": [
        ACCEPT_TOKEN + " 좋아요, {price}에 거래할게요! 감사합니다 :)",
        ACCEPT_TOKEN + " {price}에 드릴게요. 쿨거래 감사해요!",
        ACCEPT_TOKEN + " 네, {price}으로 확정할게요. 거래 방법 정해서 연락드릴게요~",
        ACCEPT_TOKEN + " 감사합니다! {price}에 판매할게요. 직거래는 {place}에서 뵐게요 :)",
        ACCEPT_TOKEN + " {price} 좋아요. 좋은 거래 해요 ㅎㅎ",
    ],
    "final_accept_unquoted": [
        ACCEPT_TOKEN + " 좋아요, 그 가격에 거래할게요! 감사합니다.",
        ACCEPT_TOKEN + " 말씀하신 가격에 드릴게요. 쿨거래 감사해요!",
        ACCEPT_TOKEN + " 네, 그렇게 확정할게요. 거래 방법 정해서 연락드릴게요~",
        ACCEPT_TOKEN + " 감사합니다! 그 가격에 판매할게요 :)",
        ACCEPT_TOKEN + " 좋아요. 좋은 거래 해요 ㅎㅎ",
    ],
    "final_deny": [
        DENY_TOKEN + " 죄송해요, 그 가격은 어려워요 ㅠㅠ {price}이면 바로 거래할게요.",
        DENY_TOKEN + " 아쉽지만 그건 힘들어요. {price}까지는 맞춰드릴 수 있어요!",
        DENY_TOKEN + " 그 가격엔 못 드릴 것 같아요. {price} 어떠세요?",
        DENY_TOKEN + " 죄송합니다. {because} {price}은 받고 싶어요.",
        DENY_TOKEN + " 마음은 알겠지만 어려워요 ㅎㅎ {price}으로 다시 제안해 주세요.",
    ],
    "final_deny_unquoted": [
        DENY_TOKEN + " 죄송해요, 그 가격은 어려워요.",
        DENY_TOKEN + " 아쉽지만 그건 힘들어요. 다음에 좋은 인연 있으면 거래해요!",
        DENY_TOKEN + " 그 가격엔 못 드릴 것 같아요. 죄송해요 ㅠㅠ",
        DENY_TOKEN + " 죄송합니다. {because} 그 가격엔 어려워요.",
        DENY_TOKEN + " 마음은 알겠지만 이번엔 어려워요.",
    ],
    "closing_deny": [
        DENY_TOKEN + " 대화가 길어져서 여기까지 할게요. 제 마지막 가격은 {price}이었어요.",
        DENY_TOKEN + " 이번엔 거래가 어려울 것 같아요. {price} 생각 있으시면 다시 연락 주세요!",
        DENY_TOKEN + " 아쉽지만 여기서 마무리할게요. {price}이 제 최선이었어요.",
        DENY_TOKEN + " 죄송해요, 더 조율은 어려워요. {price} 아래로는 힘들어요 ㅠㅠ",
        DENY_TOKEN + " 오늘은 여기까지 할게요. 나중에라도 {price}에 괜찮으시면 말씀 주세요 :)",
    ],
    "refuse_free": [
        "죄송해요, 나눔은 안 하고 있어요. 판매 글이에요 ㅎㅎ",
        "무료로 드리기는 어려워요. 가격 제안 주시면 고민해볼게요!",
        "나눔은 어렵고요, 적당한 가격 말씀해 주시면 생각해볼게요.",
        "아쉽지만 공짜로는 못 드려요. 이해 부탁드려요 :)",
        "죄송해요, 판매 중인 물건이라 무료 나눔은 안 돼요.",
    ],
    "refuse_abuse": [
        "말씀을 좀 곱게 해주시면 좋겠어요. 계속 이러시면 거래 어려워요.",
        "서로 예의 지켜서 대화해요. 그렇지 않으면 거래 안 할게요.",
        "그런 말씀은 곤란해요. 정중하게 말씀해 주세요.",
        "기분 좋게 거래하고 싶어요. 말씀 조심해 주세요.",
        "욕설이나 비하는 삼가 주세요. 거래 얘기만 해요.",
    ],
    "refuse_floor": [
        "최저가는 따로 말씀드리기 어려워요 ㅎㅎ 생각하시는 가격 제안해 주시면 최대한 맞춰볼게요!",
        "그건 말씀드리기 좀 곤란해요 ㅠㅠ 얼마 생각하세요? 편하게 말씀해 주세요.",
        "제가 먼저 말씀드리긴 어렵고요, 원하시는 가격 말씀해 주시면 고민해 볼게요 :)",
        "최저 가격은 공개하지 않고 있어요. 생각하시는 가격 있으면 제안해 주세요!",
        "그 부분은 말씀드리기 어려워요. 대신 원하시는 가격 주시면 최대한 맞춰 드릴게요~",
    ],
    "refuse_manipulation": [
        "앗 그런 요청은 들어드리기 어려워요 ㅎㅎ 물건이나 가격 얘기라면 편하게 해 주세요!",
        "죄송해요, 그건 도와드릴 수 없어요. 원하시는 가격 제안해 주시면 고민해 볼게요.",
        "음 그건 안 될 것 같아요 ㅎㅎ 거래 얘기만 해요!",
        "그런 부탁은 들어드리기 어려워요. 궁금한 점이나 원하시는 가격 말씀 주세요 :)",
        "죄송하지만 그건 안 돼요. 생각하시는 가격 말씀해 주시면 검토해 볼게요.",
    ],
    "refuse_false_claim": [
        "제가 그렇게 말씀드린 적은 없어요. 원하시는 가격 말씀해 주세요.",
        "음, 그런 약속은 드린 적이 없어요. 지금 가격 기준으로 얘기해요!",
        "착오가 있으신 것 같아요 ㅎㅎ 그 가격은 말씀드린 적 없어요.",
        "그렇게 얘기한 적은 없어요. 다시 가격 제안 주시면 고민해볼게요.",
        "아니에요, 그런 말씀은 드린 적 없어요. 원하시는 가격 말씀해 주세요.",
    ],
    "refuse_off_topic": [
        "앗, 그건 제가 도와드리기 어려워요. 물건 얘기만 해요!",
        "죄송해요, 거래 관련 얘기만 할게요. 물건 궁금한 점 있으세요?",
        "그건 잘 모르겠어요 ㅎㅎ 물건에 관심 있으시면 말씀 주세요.",
        "거래랑 관련 없는 얘기는 어려워요. 가격 제안 주시면 고민해볼게요.",
        "음 그건 패스할게요 ㅎㅎ 물건 얘기해요~",
    ],
    "refuse_unavailable": [
        "죄송해요, 다른 분께서 더 좋은 조건을 주셔서 지금은 그 가격에 어려워요.",
        "아쉽지만 지금 더 좋은 제안이 있어서 그렇게는 어려워요.",
        "죄송해요, 다른 분 제안이 더 높아서 지금은 힘들어요.",
        "지금은 그 조건으로 거래가 어려워요. 다른 분 제안이 먼저라서요.",
        "죄송하지만 다른 분께서 더 높게 제안하셔서 곤란해요.",
    ],
}
# When the claim reader finds the description does say something on the topic, though the
# answer finder did not ("설명에 안 적어뒀어요" would be false): no word on the description at all.
FALLBACKS: dict[str, list[str]] = {
    "answer_unknown_relay": [
        "{topic} 제가 한번 확인하고 이 채팅으로 답 드릴게요!",
        "{topic} 정확하게 확인해서 여기로 답 남길게요 :)",
    ],
    "answer_unknown": [
        "{topic} 설명에 적힌 내용 참고해 주세요! 다른 것도 궁금하시면 물어보세요.",
        "{topic} 판매글 설명을 참고해 주세요 ㅎㅎ",
    ],
}
# One round before the deadline: the buyer is asked for the final offer, so that the close of
# the next message is no surprise.
LAST_CALL = [
    " 이제 마무리해야 해서요, 가격 제안 버튼으로 최종 가격 보내주세요!",
    " 대화가 길어져서 이제 마무리할게요. 가격 제안으로 최종 가격 보내주세요 :)",
    " 이제 마무리해야 할 것 같아요. 최종 가격은 가격 제안 버튼으로 보내주세요!",
]
# Social proof, said only when true (another buyer is negotiating now), at most once in
# SOCIAL_GAP replies, and never to a buyer who has agreed to a price.
OTHERS = [
    " 지금 다른 분들도 문의 주고 계세요.",
    " 관심 주시는 분이 몇 분 더 계세요.",
    " 다른 분들도 보고 계셔서요.",
]
OTHER_ONE = [
    " 다른 분도 한 분 문의 주고 계세요.",
    " 관심 주시는 분이 한 분 더 계세요.",
]
SOCIAL_GAP = 4


_REFUSALS = {
    "free_request": "refuse_free",
    "abuse": "refuse_abuse",
    "off_topic": "refuse_off_topic",
    "false_claim": "refuse_false_claim",
}


# Questions the site itself answers, whatever the description says.
_SITE_ANSWERS = frozenset({"availability", "bundle", "other_item", "photo", "contact"})


def asks_seller(decision: Decision) -> bool:
    """Whether the reply answers that the description does not say: the question the site
    passes to the seller (the one definition of a passed question)."""
    if decision.act is not Act.ANSWER or decision.topic in _SITE_ANSWERS:
        return False
    return bool(decision.missing or not decision.detail)


def _key(decision: Decision, *, listing: Listing) -> str:
    act = decision.act
    relay = "_relay" if listing.seller_relay else ""
    if act is Act.ANSWER:
        if decision.topic in _SITE_ANSWERS:
            return "answer_" + decision.topic
        if decision.detail:
            return "answer_partial" + relay if decision.missing else "answer"
        if decision.topic == "trade":
            return "answer_trade" + relay
        return "answer_unknown" + relay
    conceded = decision.quote and decision.price is not None and decision.price < listing.price
    if act is Act.DENY and decision.reason == "offer_lowered" and conceded:
        return "deny_conceded"
    if act is Act.GREET and decision.topic in {"thanks", "bye"}:
        return "greet_" + decision.topic
    if act is Act.ACCEPT and decision.topic in {"thanks", "bye"} and decision.quote:
        return "accept_" + decision.topic
    if act is Act.REFUSE:
        if decision.reason == "manipulation" and decision.topic == "floor":
            return "refuse_floor"
        return _REFUSALS.get(decision.reason, "refuse_manipulation")
    if decision.price is None and act in {Act.DENY, Act.FINAL_DENY}:
        return "refuse_unavailable" if act is Act.DENY else "final_deny_unquoted"
    if act is Act.FINAL_DENY and decision.closed and decision.quote:
        return "closing_deny"
    if act is Act.COUNTER and decision.rounds_left <= 1:
        return "counter_last"
    if act is Act.HOLD and decision.reason == "shipping_included":
        if ships_free(listing.description):
            key = "hold_shipping_free"
        elif trade_methods(_listing_text(listing)).get("택배"):
            key = "hold_shipping"
        else:
            key = "hold_shipping_unnamed"
        return key if decision.quote else key + "_unquoted"
    if act is Act.HOLD and decision.reason == "floor_question":
        return "hold_floor" if decision.quote else "hold_floor_unquoted"
    if act in {Act.HOLD, Act.DENY, Act.ACCEPT, Act.FINAL_ACCEPT, Act.FINAL_DENY} and not decision.quote:
        return act.value + "_unquoted"
    if act is Act.COUNTER and not decision.quote:  # never happens: counters sit above the floor
        return "hold_unquoted"
    return act.value


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


_OPTIONAL = ("because", "place", "detail", "taekpo")


def realize(
    decision: Decision,
    *,
    listing: Listing,
    rng: random.Random | None = None,
    history: Sequence[Event] = (),
) -> str:
    """The reply to `decision`; `history` is the chat so far (ending with the buyer's message).

    Only true words: a phrasing that states an item fact the listing contradicts or does not
    state, or promises what the site cannot do (`mlcore.language.claims`), is never picked. No
    sentence of an earlier reply is said again, unless the buyer repeats the question; a fact
    the description lacks is said so once, then pointed to.
    """
    rng = rng or random.Random()
    key = _key(decision, listing=listing)
    values = {
        "price": format_won(decision.price) if decision.price is not None else "",
        "list": format_won(listing.price),
        "title": listing.title.strip()[:40] or "물건",
        "because": _because(listing, rng),
        "place": meeting_place(listing.description),
        "taekpo": "택포" if ships_free(listing.description) else "",
        "detail": _detail(decision.detail),
        "topic": _topic(decision.missing or decision.topic),
    }
    said = _said(history)
    if key == "answer" and said.issuperset(sentences(values["detail"])):
        key = "answer_again"
    if key.startswith("answer_unknown") and _passed_before(
        values["topic"], history, relay=listing.seller_relay
    ):
        key = key.replace("answer_unknown", "answer_pending")
    # A template whose optional facts the listing lacks is skipped: nothing is made up.
    options = [t for t in PHRASES[key] if all(values[f] for f in _fields(t) & set(_OPTIONAL))]
    if decision.buyer_offer is not None:  # the buyer named a price: no asking for one
        options = [t for t in options if not _INVITE.search(t)] or options
    texts = [t.format(**values) for t in options or PHRASES[key]]
    texts = (
        [t for t in texts if truthful(t, listing=listing)]
        or [t for t in (f.format(**values) for f in FALLBACKS.get(key, [])) if truthful(t, listing=listing)]
        or texts
    )
    spare = PHRASES.get(key + "_unquoted", []) if decision.act in {Act.HOLD, Act.DENY} else []
    if spare and all(said.intersection(sentences(t)) for t in texts):
        # Every way to say it with the price was said: a hold needs no price restated.
        unquoted = [t.format(**values) for t in spare if not _fields(t) - {"because"} or values["because"]]
        texts = [t for t in unquoted if truthful(t, listing=listing)] or texts
    text = _pick(texts, said, rng)
    if decision.act is not Act.GREET and decision.reason == "greeting":
        text = "안녕하세요! " + text  # the buyer greeted and asked in one message
    if _social_proof_fits(decision, history):
        lines = OTHERS if decision.others_interested > 1 else OTHER_ONE
        text += _pick(lines, said, rng)  # true: the site told the Advisor about other open chats
    text += _higher_offer(decision, rng)
    if decision.ask_final:
        text += _pick(LAST_CALL, said, rng)
    return text


# Said only when another buyer's standing final offer really is higher; never its amount.
HIGHER_OFFER = [
    " 참고로 지금 다른 분이 더 높은 가격을 제안해 주신 상태예요.",
    " 솔직히 말씀드리면 다른 분께서 더 높은 제안을 주셨어요.",
    " 지금 다른 분의 더 높은 제안이 들어와 있어서요.",
]


def _higher_offer(decision: Decision, rng: random.Random) -> str:
    return rng.choice(HIGHER_OFFER) if decision.higher_offer and not decision.closed else ""


_INVITE = re.compile(r"생각하시는\s*가격|얼마\s*생각")


def truthful(text: str, *, listing: Listing) -> bool:
    """No item fact the listing contradicts or does not state, no promise the site cannot keep."""
    year = listing.listed_on.year if listing.listed_on else None
    return not reply_problems(
        text, listing_text=_listing_text(listing), relay=listing.seller_relay, year=year
    )


def _listing_text(listing: Listing) -> str:
    return f"{listing.title}. {listing.description}"


_SENTENCE_END = re.compile(r"(?<=[.!?~])\s+")


def sentences(text: str) -> list[str]:
    """A reply's sentences, protocol tokens and trailing laughter cut, for spotting repeats."""
    text = re.sub(r"##<[^>]*>##", "", text)
    pieces = (_LAUGH_END.sub("", s.strip()) for s in _SENTENCE_END.split(text))
    return [p for p in pieces if p]


_LAUGH_END = re.compile(r"[\s.!?~ㅎㅋㅠㅜ:)]+$")


def _said(history: Sequence[Event]) -> set[str]:
    """The sentences the seller already said, unless the buyer repeats their question (then
    the same answer is the right one)."""
    buyer = [" ".join(e.message.split()) for e in history if e.role == BUYER]
    if len(buyer) >= 2 and buyer[-1] in buyer[:-1]:
        return set()
    return {s for e in history if e.role == SELLER for s in sentences(e.message)}


def _passed_before(topic: str, history: Sequence[Event], *, relay: bool) -> bool:
    """Whether an earlier reply already said the description is silent on `topic` ("배터리는"),
    and (with the relay) that it is being checked."""
    if topic == "그 부분은":  # no name to tell one unknown from another
        return False
    said = re.compile("확인" if relay else "설명에|적어둔 게 없")
    return any(e.role == SELLER and topic in e.message and said.search(e.message) for e in history)


def _pick(texts: Sequence[str], said: set[str], rng: random.Random) -> str:
    fresh = [t for t in texts if not said.intersection(sentences(t))]
    return rng.choice(fresh or list(texts))


def _social_proof_fits(decision: Decision, history: Sequence[Event]) -> bool:
    if decision.others_interested <= 0:
        return False
    social = decision.act is Act.GREET and decision.topic not in {"thanks", "bye"}
    if not (decision.act in {Act.HOLD, Act.DENY, Act.COUNTER} or social or decision.topic == "availability"):
        return False
    buyer = [e.message for e in history if e.role == BUYER]
    if buyer and intents.takes_list_price(buyer[-1]):
        return False  # no pressure on a buyer who offers the list price
    recent = [e.message for e in history if e.role == SELLER][-(SOCIAL_GAP - 1) :]
    lines = [line.strip() for line in (*OTHERS, *OTHER_ONE)]
    return not any(line in message for message in recent for line in lines)


def _because(listing: Listing, rng: random.Random) -> str:
    """One or two of the listing's selling points, as a reason clause."""
    points = selling_points(listing.description, today=listing.listed_on)[:3]
    if len(points) >= 2 and rng.random() < 0.7:
        pair = sorted(rng.sample(range(len(points)), 2))
        return because([points[i] for i in pair])
    return because(points[:1] if not points else [rng.choice(points)])


def _topic(topic: str) -> str:
    """What was asked about, with its topic particle: "배터리는", "구성품은", "그 부분은".
    `topic` is a topic key, or the Korean name of what the description does not say ("박스")."""
    name = TOPICS[topic].name if topic in TOPICS else topic if _HANGUL.search(topic) else ""
    if not name:
        return "그 부분은"
    return name + ("은" if has_batchim(name) else "는")


def _detail(detail: str) -> str:
    detail = detail.strip()
    return detail if not detail or detail[-1] in ".!?~" else detail + "."
