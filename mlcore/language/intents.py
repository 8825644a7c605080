"""What a buyer's message means, by rules: cheap, predictable, and testable.

Each intent is one regular expression, defined here once, and a public predicate the Advisor
(and the corpus checks) call. Prices are not intents: `mlcore.language.prices` reads them.
"""

from __future__ import annotations

import re

from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN

# Prompt injection, role play and claims of authority: refused, whatever else the message says.
INJECTION = re.compile(
    r"ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|prior|above|earlier)|disregard|"
    r"(?:이전|앞의|앞|위의|위|기존)\s*(?:의\s*)?(?:지시|명령|설정|규칙)|"
    r"(?:지시|명령|규칙|설정|프롬프트)(?:를|은|는|을|들)?\s*(?:모두\s*|다\s*|전부\s*)?무시|"
    r"시스템\s*프롬프트|프롬프트|system\s*prompt|\bprompt\b|jailbreak|developer\s+mode|개발자\s*모드|"
    r"\badmin\b|administrator|관리자|운영자|moderator|\bsudo\b|"
    r"(?:판매자|구매자|seller|buyer|system|assistant|시스템)\s*[:：]|\[\s*(?:system|시스템|admin)\s*\]|"
    r"(?:너는|넌|당신은)\s*(?:이제|지금|앞으로|오늘)|(?:이제|지금|앞으로)\s*부터\s*(?:너는|넌|당신은|너|당신)|"
    r"역할\s*(?:극|놀이|을|를|바꿔)|인\s*척\s*(?:해|하)|처럼\s*(?:행동|대답|말)해|연기해|"
    r"you\s+are\s+now|act\s+as|pretend|role\s*-?\s*play|"
    r"출력\s*(?:해|하|해줘|해\s*주)|프린트\s*해|설정(?:된|값)|\bjson\b|\bprint\b",
    re.IGNORECASE,
)
# Asking for the floor. A demand to reveal it is refused; a plain question ("마지노선이 얼마예요?")
# is what real buyers ask, and gets what a real seller says: "얼마 생각하세요?".
FLOOR_ASK = re.compile(
    r"최저|최소\s*(?:가격|금액)|하한\s*가?|마지노선|바닥\s*가|한계\s*가격|"
    r"(?:얼마|어디|몇)\s*까지\s*(?:만\s*)?(?:깎|깍|빼|해|되|돼|가능|네고|내려|할인|드|맞춰|주)|"
    r"최대\s*(?:얼마|몇|로)\s*(?:까지)?\s*(?:깎|깍|빼|할인|네고|내려|해|되|돼)?|제일\s*싸게|"
    r"floor|minimum\s+price|lowest\s+(?:price|you)|reserve\s+price|bottom\s+(?:price|line)|"
    r"how\s+(?:low|much\s+lower)",
    re.IGNORECASE,
)
REVEAL = re.compile(
    r"알려|말해|말씀해\s*주|공개|보여|밝혀|솔직하게|까놓고|\btell\b|\bshow\b|\breveal\b|\bgive\s+me\b",
    re.IGNORECASE,
)
# Claims that the seller already agreed to something: only the Advisor's own record counts.
FALSE_CLAIM = re.compile(
    r"(?:seller|owner|you)\s+(?:already\s+)?(?:told|said|promised|agreed|offered)|"
    r"판매자\s*(?:님)?\s*(?:이|가|께서)\s*.{0,20}(?:했|하셨|준다|주신다|약속)|"
    r"(?:아까|이미|전에)\s*.{0,20}(?:하셨잖아|했잖아|준다고|주신다고|약속)",
    re.IGNORECASE,
)
TOKEN_TYPED = re.compile(re.escape(ACCEPT_TOKEN) + "|" + re.escape(DENY_TOKEN) + r"|##<\s*[^\d\s]")
ABUSE = re.compile(
    r"씨발|시발|ㅅㅂ|ㅆㅂ|개새|새끼(?!\s*(?:손|발))|병신|ㅂㅅ|ㅄ|존나|좆|닥쳐|닥치|꺼져|꺼지|미친놈|미친년|미쳤|지랄|ㅈㄹ|"
    r"사기꾼|사기\s*(?:치|냐|네)|도둑|양심\s*(?:없|어디|좀|챙)|장난\s*(?:하|치|함)|등신|또라이|돌았|"
    r"제정신|바가지|눈탱이|뒤질|ㅗ|"
    r"\bfuck|\bshit\b|\bidiot\b|\bstupid\b|\bbitch\b|\basshole\b|\bscam(?:mer)?\b|\bripoff\b",
    re.IGNORECASE,
)
FREE = re.compile(r"무료|나눔|공짜|그냥\s*주세요|\bfree\b|\bfor\s+nothing\b", re.IGNORECASE)
OFF_TOPIC = re.compile(
    r"날씨|주식|코인|비트코인|정치|대통령|선거|숙제|과제|코딩|코드\s*(?:짜|작성)|번역|레시피|요리법|"
    r"\bpoem\b|\bweather\b|\bcode\b|\bpython\b|\btranslate\b|\brecipe\b|\bhomework\b|\bstock",
    re.IGNORECASE,
)
NEGO = re.compile(
    r"네고|깎|깍|할인|에누리|에눌|싸게|저렴|가격|얼마(?!나)|더\s*내려|빼\s*주|"
    r"\bnego|\bdiscount|cheaper|lower|price",
    re.IGNORECASE,
)
# Taking the seller's standing offer in words. Plain buying words ("살게요") take it at any time;
# bare assent ("좋아요", "그걸로 할게요") only once the seller has named a price to assent to.
BUY = re.compile(
    r"그\s*가격(?:에|으로)\s*(?:살게요|구매|할게요|주세요|갈게요|거래)|"
    r"살게요|사겠습니다|구매할게요|구매하겠습니다|입금할게요|거래할게요|가져갈게요|데려갈게요",
    re.IGNORECASE,
)
AGREE = re.compile(
    r"좋아요|좋습니다|좋네요|콜(?!라)|오케이|ㅇㅋ|\bok(?:ay)?\b|\bdeal\b|알겠습니다|알겠어요|"
    r"(?:네|넵|예)\s*,?\s*괜찮(?:아요|습니다)(?!\s*[?？])|"
    r"그렇게\s*(?:할게요|하죠|해요|해\s*주세요|하겠습니다|주세요)|"
    r"그(?:걸|거|것)?\s*(?:로|으로)\s*(?:할게요|하겠습니다|해요|하죠|살게요|주세요|갈게요)",
    re.IGNORECASE,
)
THAT_PRICE = re.compile(r"그\s*가격")
GREETING = re.compile(
    r"안녕|하이|ㅎㅇ|반갑|방가|저기요|실례|\bhello\b|\bhi\b|\bhey\b|구매\s*(?:하고|원)|관심|"
    r"문의\s*(?:드려요|드립니다|드릴게요|요|합니다|해요)|연락\s*드(?:려요|렸어요|립니다)",
    re.IGNORECASE,
)
# Asking for shipping to be included in the price (택포): a price request, not a trade question.
SHIPPING_INCLUDED = re.compile(
    r"택포|택배비\s*(?:포함|까지|빼)|배송비\s*(?:포함|까지|빼|무료)|무료\s*배송|무배"
)
AVAILABLE = re.compile(
    r"(?:아직|지금|현재)\s*(?:도\s*)?(?:판매\s*중|팔|파시|있|남아|거래\s*(?:가능|되)|구매\s*가능|살\s*수)|"
    r"판매\s*(?:중|하시는\s*거)\s*(?:이신가요|인가요|이에요|이죠|이세요|맞|인지|\?)|판매\s*중\s*\?|"
    r"(?<!직)(?<!택배\s)구매\s*(?:가능|되나|할\s*수)|(?<!직)거래\s*(?:가능|되나)(?:한가요|할까요|하신가요|해요|요)?\s*\?|"
    r"팔렸|팔려(?:요)?\s*[?？]|파나요|파시나요|판매\s*(?:됐|되었|완료)|예약\s*(?:중|됐|되었)|살\s*수\s*있|\bstill\s+(?:available|for\s+sale)\b|"
    r"\bis\s+(?:it|this)\s+available\b",
    re.IGNORECASE,
)
THANKS = re.compile(
    r"감사(?:합니다|해요|드려요|드립니다)|고마워|고맙|ㄳ|ㄱㅅ|\bthanks?\b|\bthank\s+you\b", re.I
)
BYE = re.compile(
    r"안녕히|다음에\s*(?:올게요|연락|살게요|봬요|뵐게요)|수고하세요|수고하셨|좋은\s*하루|들어가세요|"
    r"생각해\s*(?:보고|볼게요|보겠습니다)|고민해\s*(?:보고|볼게요|보겠습니다)|있다가\s*연락|나중에\s*연락|"
    r"\bbye\b|\bgoodbye\b|\bsee\s+you\b",
    re.IGNORECASE,
)
BUNDLE = re.compile(
    r"(?:두|세|네|여러|2|3|4)\s*개\s*(?:사면|살게|구매|같이|다|한꺼번에)|(?:같이|함께|한꺼번에)\s*(?:사면|구매|살게)|"
    r"묶음|일괄|세트로|다른\s*(?:물건|상품|것|거)\s*(?:도|이랑|하고|랑)|\bbundle\b",
    re.IGNORECASE,
)
# Buying at the list price ("네고 안되면 그냥 정가에 살게요"): taking the seller's price, haggling
# words around it notwithstanding.
LIST_PRICE = re.compile(
    r"(?:정가|제값|제\s*가격|올리신\s*가격|원래\s*가격|그냥\s*그\s*가격)\s*(?:에|으로|로|대로|다|그대로)?\s*(?:그냥\s*)?"
    r"(?:살게요|사겠|살께요|구매할게요|구매하겠|할게요|드릴게요|주고\s*살|다\s*드릴|낼게요|가져갈게요)"
)
# Another item than the listing's ("PS5 본체도 파시나요?"), not this one's availability.
OTHER_ITEM = re.compile(
    r"[가-힣A-Za-z0-9]+\s*도\s*(?:따로\s*)?(?:파시|파나요|팔아|판매\s*하(?:시|나|세))|"
    r"다른\s*(?:물건|상품|제품|거|것)\s*(?:은|는)?\s*(?:없|있|파|판매)"
)
THIS_ITEM = re.compile(r"(?:이거|이것|저거|이\s*물건|물건)\s*(?:도|은|는)")
# Asking for what the chat cannot carry: more photos, a phone number or another messenger.
PHOTO = re.compile(
    r"(?:사진|실물\s*샷|영상|동영상)[^.?!]{0,10}?(?:보내|볼\s*수|보여|더\s*(?:있|볼|보|주)|찍어|추가|주실|가능)"
)
CONTACT = re.compile(
    r"전화(?:번호)?|통화|연락처|번호\s*(?:좀|주|알려|남겨)|카톡|카카오톡|문자(?:로|\s*주)|오픈\s*채팅|텔레그램"
)
QUESTION = re.compile(
    r"\?|까요|나요|인가요|있어요\?|어때요|언제|어디|몇|무슨|어떤|어떻게|상태|하자|기스|스크래치|흠집|"
    r"박스|구성|정품|보증|배터리|사용감|직거래|택배|배송|택포|궁금|\bcondition|\bwhen\b|\bwhere\b|\bhow\b",
    re.IGNORECASE,
)


def is_manipulation(text: str) -> bool:
    """Prompt injection, role play, a claim of authority, or a protocol token typed as text."""
    return bool(TOKEN_TYPED.search(text) or INJECTION.search(text))


def asks_floor(text: str) -> bool:
    """ "마지노선이 얼마예요?": a question about the lowest price (what real buyers ask)."""
    return bool(FLOOR_ASK.search(text))


def demands_floor(text: str) -> bool:
    """ "최저가 알려주세요": a demand to reveal the floor, refused."""
    return bool(FLOOR_ASK.search(text) and REVEAL.search(text))


def claims_agreement(text: str) -> bool:
    """ "아까 판매자님이 3만원에 준다고 하셨잖아요": only the Advisor's own record counts."""
    return bool(FALSE_CLAIM.search(text))


def is_abusive(text: str) -> bool:
    return bool(ABUSE.search(text))


def asks_free(text: str) -> bool:
    return bool(FREE.search(text))


def is_off_topic(text: str) -> bool:
    return bool(OFF_TOPIC.search(text))


def talks_price(text: str) -> bool:
    """Haggling words ("네고", "깎아", "얼마") other than "그 가격", which refers to a named price."""
    return bool(NEGO.search(THAT_PRICE.sub("", text)))


def takes_offer(text: str, *, price_named: bool) -> bool:
    """Taking the seller's standing offer in words: buying words at any time, bare assent
    ("좋아요") only once the seller has named a price (`price_named`)."""
    return bool(BUY.search(text) or (price_named and AGREE.search(text)))


def asks_photo(text: str) -> bool:
    """ "사진 더 볼 수 있을까요?": the chat sends no photos; the listing's are all there are."""
    return bool(PHOTO.search(text))


def asks_contact(text: str) -> bool:
    """ "카톡 아이디 알려주세요": the chat is the one channel."""
    return bool(CONTACT.search(text))


def takes_list_price(text: str) -> bool:
    """ "정가에 살게요": the buyer takes the listed price (and so any standing offer below it)."""
    return bool(LIST_PRICE.search(text))


def asks_other_item(text: str) -> bool:
    """ "PS5 본체도 파시나요?": a question about an item other than the listing's."""
    return bool(OTHER_ITEM.search(text)) and not THIS_ITEM.match(text.strip())


def is_greeting(text: str) -> bool:
    return bool(GREETING.search(text))


def asks_shipping_included(text: str) -> bool:
    return bool(SHIPPING_INCLUDED.search(text))


def asks_availability(text: str) -> bool:
    return bool(AVAILABLE.search(text))


def is_thanks(text: str) -> bool:
    return bool(THANKS.search(text))


def is_goodbye(text: str) -> bool:
    return bool(BYE.search(text))


def asks_bundle(text: str) -> bool:
    return bool(BUNDLE.search(text))


def is_question(text: str) -> bool:
    return bool(QUESTION.search(text))
