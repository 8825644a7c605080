"""Personal data is masked in every form people type it; prices, model numbers and sizes never are."""

from __future__ import annotations

from collections import Counter

import pytest

from mlcore.corpus.pii import ACCOUNT, ADDRESS, EMAIL, KAKAO, PHONE, has_pii, mask

MASKED = [
    ("010-1234-5678로 연락주세요", f"{PHONE}로 연락주세요"),
    ("연락처01012345678", f"연락처{PHONE}"),
    ("010 1234 5678 문자 주세요", f"{PHONE} 문자 주세요"),
    ("010.1234.5678", PHONE),
    ("+82 10-1234-5678", PHONE),
    ("０１０－１２３４－５６７８", PHONE),
    ("공일공 일이삼사 오륙칠팔 으로 전화", f"{PHONE} 으로 전화"),
    ("공일공-일이삼사-오육칠팔", PHONE),
    ("영일영일이삼사오육칠팔", PHONE),
    ("010 일이삼사 5678", PHONE),
    ("사무실 02-123-4567", f"사무실 {PHONE}"),
    ("국민은행 123456-78-901234 로 입금", f"국민은행 {ACCOUNT} 로 입금"),
    ("신한 110-123-456789", f"신한 {ACCOUNT}"),
    ("카카오뱅크 3333 01 2345678 입니다", f"카카오뱅크 {ACCOUNT} 입니다"),
    ("계좌는 1002123456789 입니다", f"계좌는 {ACCOUNT} 입니다"),
    ("우리 일공공이 일이삼 사오육칠팔구", f"우리 {ACCOUNT}"),
    ("메일 nellm.seller@naver.com 으로", f"메일 {EMAIL} 으로"),
    ("NELLM_Seller+shop@Gmail.co.kr", EMAIL),
    ("abc123 골뱅이 naver 닷컴", EMAIL),
    ("abc123@네이버", EMAIL),
    ("카톡 아이디 nellm_seller 추가해주세요", f"카톡 아이디 {KAKAO} 추가해주세요"),
    ("카카오톡 ID: seller01", f"카카오톡 ID: {KAKAO}"),
    ("카톡 abc1234 로 주세요", f"카톡 {KAKAO} 로 주세요"),
    ("kakao id nellm", f"kakao id {KAKAO}"),
    ("오픈채팅 https://open.kakao.com/o/sAbCdEf 들어오세요", f"오픈채팅 {KAKAO} 들어오세요"),
    ("open.kakao.com/o/gXyZ123", KAKAO),
    ("서울시 강남구 테헤란로 123 으로 보내주세요", f"{ADDRESS} 으로 보내주세요"),
    ("서울 마포구 연남로1길 23, 101동 1203호", ADDRESS),
    ("수원시 영통구 매탄동 123-4", ADDRESS),
    ("역삼동 736-1번지", ADDRESS),
    ("101동 1203호 문 앞에 두세요", f"{ADDRESS} 문 앞에 두세요"),
    ("주소는 테헤란로 427 이에요", f"주소는 {ADDRESS} 이에요"),
    ("123 Teheran-ro, Gangnam-gu 로 보내주세요", f"{ADDRESS} 로 보내주세요"),
]

KEPT = [
    "아이폰 13 128GB 3만5천원에 주세요",
    "27인치 모니터 25000 27000 중에 골라요",
    "가로 120 세로 60 이고 35,000원이에요",
    "택배로 28000 가능할까요?",
    "그대로 250에 해주세요",
    "잠실역 8번 출구에서 봬요",
    "SM-G991N 모델 1,200,000원",
    "MQ6J3KH/A 정품이에요",
    "2024-12-25에 샀어요",
    "RTX 3080 10GB 채굴 안 했어요",
    "강남구 역삼동에서 직거래 가능해요",
    "만원으로 2개 주세요",
    "사이즈 270mm, 260 265 270 있어요",
    "1시간 뒤 신촌역 2번 출구",
    "배터리 84%, 충전 사이클 120회",
    "100,000,000원은 너무 비싸요",
    "카톡으로 연락 주세요",
    "카톡 please",
    "##<35000>##",
    "다이슨 V15 디텍트, 27.5인치 자전거, 3단 서랍장 2개",
    "0.5kg 덤벨 10개 세트",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_each_form_of_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected
    assert has_pii(text)
    assert not has_pii(mask(text))  # a placeholder is not itself personal data


@pytest.mark.parametrize("text", KEPT)
def test_prices_model_numbers_and_sizes_are_kept(text: str) -> None:
    assert mask(text) == text
    assert not has_pii(text)


def test_masking_counts_by_kind() -> None:
    counts: Counter[str] = Counter()
    masked = mask("010-1234-5678 이나 카톡 아이디 nellm_01, 메일 a@b.com", counts)
    assert masked == f"{PHONE} 이나 카톡 아이디 {KAKAO}, 메일 {EMAIL}"
    assert counts == Counter({PHONE: 1, KAKAO: 1, EMAIL: 1})
