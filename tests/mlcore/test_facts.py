"""Reading a listing's description: clauses in 해요체, answers by topic, and selling points that
are only ever positive facts the description states."""

from __future__ import annotations

import datetime

import pytest

from mlcore.language.facts import (
    answer,
    because,
    meeting_place,
    polite,
    question_topic,
    selling_points,
    ships_free,
)

IPAD = (
    "2021년 구매, 생활기스 약간 있고 배터리 성능 89%입니다. "
    "애플펜슬 2세대 포함, 박스 있어요. 직거래는 잠실역."
)
TODAY = datetime.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("배터리 성능 89%입니다", "배터리 성능 89%예요."),
        ("생활기스 약간 있고", "생활기스 약간 있어요."),
        ("애플펜슬 2세대 포함", "애플펜슬 2세대 포함돼 있어요."),
        ("직거래는 잠실역", "직거래는 잠실역이에요."),
        ("2021년 구매", "2021년 구매했어요."),
        ("하자 없음", "하자 없어요."),
        ("상태 깨끗합니다", "상태 깨끗해요."),
        ("박스 있어요", "박스 있어요."),
        ("택배 불가", "택배 어려워요."),
        # Before: the aside lost its ")" ("유효기간 넉넉해요 (3개월 이상이에요.").
        ("유효기간 넉넉해요 (3개월 이상).", "유효기간 넉넉해요 (3개월 이상)."),
        ("좋아요 :)", "좋아요."),
    ],
)
def test_clauses_are_said_back_in_haeyo(clause, expected):
    assert polite(clause) == expected


@pytest.mark.parametrize(
    ("question", "topic", "expected"),
    [
        ("배터리는 괜찮나요?", "battery", "배터리 성능 89%예요."),
        ("기스 있나요?", "condition", "생활기스 약간 있어요."),
        ("박스랑 구성품 다 있어요?", "components", "애플펜슬 2세대 포함돼 있어요. 박스 있어요."),
        ("언제 사셨어요?", "purchase", "2021년 구매했어요."),
        ("직거래 어디서 해요?", "trade", "직거래는 잠실역이에요."),
        ("정품인가요?", "authenticity", ""),
        ("사이즈 어떻게 돼요?", "size", ""),
        ("하자 있나요?", "defect", "생활기스 약간 있어요."),  # a defect question finds the condition
        ("AS 남았나요?", "warranty", ""),
    ],
)
def test_questions_are_answered_from_the_matching_clause_or_not_at_all(question, topic, expected):
    assert question_topic(question) == topic
    assert answer(topic, IPAD, question=question) == expected


def test_clauses_with_amounts_or_haggling_are_never_said_back():
    text = "택배비 3000원 별도예요. 네고 불가입니다. 직거래는 강남역."
    assert answer("trade", text) == "직거래는 강남역이에요."


def test_selling_points_of_the_ipad():
    points = selling_points(IPAD, today=TODAY)
    assert [p.kind for p in points] == ["battery", "extra", "box"]
    assert because(points) == "배터리 성능도 89%로 아직 좋고, 애플펜슬 2세대까지 같이 드리는 거라"


@pytest.mark.parametrize(
    ("description", "kinds"),
    [
        ("미개봉 새상품입니다. 보증기간 1년 남았어요.", ["new", "warranty"]),
        ("S급 상태예요. 풀박스입니다.", ["grade", "box"]),
        ("작년 3월에 구매했어요. 생활기스 거의 없어요.", ["clean", "recent"]),
        ("두 번 착용했어요. 정품이에요.", ["uses", "genuine"]),
        ("3개월 사용했어요. 충전기랑 케이스 같이 드려요.", ["extra", "recent"]),
    ],
)
def test_selling_points_by_kind(description, kinds):
    assert [p.kind for p in selling_points(description, today=TODAY)] == kinds


@pytest.mark.parametrize(
    "description",
    [
        "화면에 기스 있어요. 배터리 효율 78%. 모서리 찍힘 있음.",
        "2019년에 샀어요. 새것은 아니지만 쓸만해요.",
        "상태가 깨끗하진 않아요.",
        "정품인지 모르겠어요.",
        # Sending, not a part given with the item (before: "…확인 후 보내까지 같이 드리는 거라").
        "바코드는 입금 확인 후 보내드립니다.",
        "",
    ],
)
def test_defects_and_old_age_are_never_selling_points(description):
    assert selling_points(description, today=TODAY) == []


def test_points_never_carry_an_amount():
    assert selling_points("3만원 상당 케이스 포함. 택배비 4000원.", today=TODAY) == []


def test_meeting_place_and_taekpo():
    assert meeting_place(IPAD) == "잠실역"
    assert meeting_place("강남역 근처에서 직거래 가능해요") == "강남역"
    assert meeting_place("택배만 가능해요") == ""
    assert ships_free("택포 가격입니다") and not ships_free(IPAD)


def test_with_no_word_on_condition_how_little_it_was_used_answers_for_it():
    description = "선물 받아서 3~4번 써 봤어요. 구성품 전부 있고 파우치 포함. 정품 등록 이전 가능합니다."
    assert answer("condition", description) == "선물 받아서 3~4번 써 봤어요."
    assert answer("condition", "구성품 전부 있어요.") == ""
