"""`Advisor.seller_stated`: a price the seller named in person binds the bot's own offer."""

from __future__ import annotations

from mlcore.negotiator.advisor import Act, Advisor, SellerPolicy, Style


def advisor(state=None, floor: int = 50_000) -> Advisor:
    return Advisor(SellerPolicy(60_000, floor, Style.BALANCED), state=state)


def test_the_bot_never_offers_above_the_sellers_price_and_a_buyer_agreeing_gets_it():
    bot = advisor()
    counter = bot.decide("5만원에 가능할까요?")
    assert counter.act is Act.COUNTER and counter.price > 55_000
    bot.seller_stated(55_000)
    bot = advisor(bot.to_state())  # as the site stores it between turns
    agreed = bot.decide("좋아요 그 가격에 살게요")
    assert (agreed.act, agreed.price) == (Act.ACCEPT, 55_000)


def test_a_higher_price_changes_nothing_and_the_lowest_word_stands():
    bot = advisor()
    bot.seller_stated(58_000)
    bot.seller_stated(65_000)
    assert bot.state.own_offer == 58_000
    assert bot.decide("5만9천원에 살게요").price == 58_000  # more than the seller asked: theirs


def test_below_the_floor_needs_a_policy_floor_at_that_price():
    # The site builds the chat's policy with its floor at most the seller's price.
    bot = advisor(floor=54_000)
    bot.seller_stated(52_000)
    bot = Advisor(SellerPolicy(60_000, 52_000, Style.BALANCED), state=bot.to_state())
    final = bot.decide("##<52000>##")
    assert (final.act, final.price) == (Act.FINAL_ACCEPT, 52_000)


def test_a_closed_negotiation_is_left_alone():
    bot = advisor()
    bot.decide("##<60000>##")
    assert bot.state.closed
    bot.seller_stated(40_000)
    assert bot.state.own_offer == 60_000
