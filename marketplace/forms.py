"""Forms: Korean labels and errors; prices accept "35,000", "35000원" and "45만원" as well as digits."""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from PIL import Image

from mlcore.language.prices import parse_price
from mlcore.schema import MAX_PRICE

from . import services
from .models import Category, Listing, Profile, Rating, ReportReason, Review, Status
from .selectors import SORT_LABELS, SORTS, ListingFilters

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


# --- Accounts -------------------------------------------------------------------------------------


USERNAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_]{4,30}\Z",
    "아이디는 영문, 숫자, 밑줄(_)로 4~30자로 만들어 주세요.",
    code="invalid_username",
)


class SignupForm(UserCreationForm):
    nickname = forms.CharField(
        label="닉네임",
        max_length=20,
        min_length=2,
        help_text="다른 사람에게 보이는 이름이에요. 2~20자.",
        error_messages={
            "required": "닉네임을 입력해 주세요.",
            "min_length": "닉네임은 2자 이상이어야 해요.",
            "max_length": "닉네임은 20자 이하여야 해요.",
        },
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "nickname")
        labels = {"username": "아이디"}
        help_texts = {"username": "영문, 숫자, 밑줄(_)만 쓸 수 있어요. 4~30자."}
        error_messages = {
            "username": {
                "required": "아이디를 입력해 주세요.",
                "unique": "이미 사용 중인 아이디예요.",
            }
        }

    def __init__(self, *args: object, request: HttpRequest | None = None, **kwargs: object) -> None:
        self.request = request  # whose address `clean` checks against the sign-up throttle
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "비밀번호"
        self.fields["password1"].help_text = "8자 이상, 너무 흔하거나 숫자로만 된 비밀번호는 쓸 수 없어요."
        self.fields["password2"].label = "비밀번호 확인"
        self.fields["password2"].help_text = ""
        self.error_messages["password_mismatch"] = "두 비밀번호가 일치하지 않아요."
        # The hint promises 영문/숫자/_ only; Django's own validator would take 김철수 too.
        self.fields["username"].validators.append(USERNAME_VALIDATOR)
        for name in ("password1", "password2"):
            self.fields[name].error_messages["required"] = "비밀번호를 입력해 주세요."

    def clean(self) -> dict:
        if services.signup_is_throttled(ip=services.client_address(self.request)):
            raise ValidationError(
                "이 주소에서 가입이 너무 많아요. %(minutes)s분 후에 다시 시도해 주세요.",
                code="throttled",
                params={"minutes": math.ceil(settings.SIGNUP_WINDOW / 60)},
            )
        return super().clean()

    def clean_nickname(self) -> str:
        nickname = self.cleaned_data["nickname"].strip()
        if Profile.objects.filter(nickname__iexact=nickname).exists():
            raise ValidationError("이미 사용 중인 닉네임이에요.", code="nickname_taken")
        return nickname


THROTTLED_MESSAGE = "로그인 시도가 너무 많아요. %(minutes)s분 후에 다시 시도해 주세요."


class ThrottledLoginMixin:
    """Failed-login throttling for every form that checks a password (the site's and the
    admin's): a login page without it would let passwords be guessed at full speed."""

    request: HttpRequest | None
    cleaned_data: dict

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        ip = services.client_address(self.request)
        if services.login_is_throttled(username=username, ip=ip):
            raise ValidationError(
                THROTTLED_MESSAGE,
                code="throttled",
                params={"minutes": math.ceil(settings.LOGIN_FAILURE_WINDOW / 60)},
            )
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except ValidationError:
            services.login_failure_record(username=username, ip=ip)
            raise
        services.login_failures_clear(username=username, ip=ip)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": "아이디 또는 비밀번호가 올바르지 않아요.",
        "inactive": "사용할 수 없는 계정이에요.",
        "throttled": THROTTLED_MESSAGE,
    }

    def __init__(self, request: HttpRequest | None = None, *args: object, **kwargs: object) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "아이디"
        self.fields["password"].label = "비밀번호"
        self.fields["username"].error_messages["required"] = "아이디를 입력해 주세요."
        self.fields["password"].error_messages["required"] = "비밀번호를 입력해 주세요."


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login (`admin.site.login_form`), throttled on the same counters as the site's."""


# --- Listings -------------------------------------------------------------------------------------


class WonField(forms.IntegerField):
    """An amount in 원; tolerates the thousands separators and unit people type."""

    default_error_messages = {
        "invalid": "금액을 알아볼 수 없어요. 숫자나 '45만원'처럼 입력해 주세요. (예: 35000, 3만5천원)",
        "min_value": "금액은 0원 이상이어야 해요.",
        "max_value": "금액은 1억원 이하여야 해요.",
        "required": "금액을 입력해 주세요.",
    }

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_PRICE)
        super().__init__(**kwargs)
        self.widget.input_type = "text"
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value: object) -> int | None:
        if isinstance(value, str):
            plain = value.replace(",", "").replace("원", "").strip()
            if plain.lstrip("-").isdigit() or not plain:
                return super().to_python(plain)
            # The chat's own parser, so that "45만원" or "3만5천" means the same everywhere.
            parsed = parse_price(value)
            if parsed is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            return parsed
        return super().to_python(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once, each checked by Pillow for type, size and pixel count."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "accept": "image/jpeg,image/png,image/webp,image/gif",
                    "data-photo-picker": "",
                    "data-max": str(services.MAX_PHOTOS),
                }
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: object, initial: object = None) -> list:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [self._check(f) for f in files]

    @staticmethod
    def _check(upload: object) -> object:
        name = getattr(upload, "name", "사진")
        if upload.size > MAX_PHOTO_BYTES:
            raise ValidationError(f"{name}: 사진은 한 장에 5MB 이하만 올릴 수 있어요.", code="too_big")
        try:
            upload.seek(0)
            with Image.open(upload) as image:
                fmt = image.format
                # Refused on the header's size before verify() or anything else reads pixels.
                services.photo_check_pixels(image)
                image.verify()
        except (services.PhotoTooLarge, Image.DecompressionBombError) as exc:
            limit = getattr(exc, "limit", settings.NELLM_PHOTO_MAX_PIXELS)
            raise ValidationError(
                # 12,000,000 -> "1,200만"
                f"{name}: 이미지 해상도가 너무 커요. {limit // 10_000:,}만 화소 이하로 줄여서 올려 주세요.",
                code="too_many_pixels",
            ) from exc
        except Exception as exc:  # Pillow raises many types for non-images and broken files
            raise ValidationError(
                f"{name}: 이미지 파일이 아니거나 손상된 파일이에요. JPG, PNG, WEBP, GIF만 올릴 수 있어요.",
                code="invalid_image",
            ) from exc
        if fmt not in PHOTO_FORMATS:
            raise ValidationError(f"{name}: JPG, PNG, WEBP, GIF만 올릴 수 있어요.", code="bad_format")
        upload.seek(0)
        return upload


STALE_FORM = (
    "이 판매글이 수정 화면을 연 뒤에 바뀌었어요 (거래 성사, 상태 변경 등). 지금 상태를 반영해 두었으니 "
    "내용을 확인하고 다시 저장해 주세요."
)


class ListingVersionMixin:
    """Refuses a form rendered before the listing changed under it (a deal reserved it, another
    tab saved it), so a stale page never undoes what happened meanwhile; the status the page
    shows is brought up to date and everything else the user typed is kept for the next try."""

    def add_version_field(self) -> None:
        if self.instance.pk:
            self.initial["version"] = self.instance.edit_version

    def check_version(self) -> None:
        posted = self.data.get(self.add_prefix("version"))
        if not self.instance.pk or not posted:  # no page of ours behind it: nothing to compare
            return
        current = Listing.objects.filter(pk=self.instance.pk).first()
        if current is None or posted == current.edit_version:
            return
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current.edit_version
        self.data[self.add_prefix("status")] = current.status
        self.initial["status"] = current.status
        raise ValidationError(STALE_FORM, code="stale")

    def changed_status(self) -> dict:
        """{"status": …} only when the user changed it on this form."""
        if "status" in self.changed_data and "status" in self.cleaned_data:
            return {"status": self.cleaned_data["status"]}
        return {}


def version_field() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, required=False)


class KeptPhotosField(forms.MultipleChoiceField):
    """Names of photos stashed in this session; a name not offered (another session's, an old
    one) is dropped, not an error: the seller cannot do anything about it."""

    def clean(self, value: object) -> list[str]:
        offered = {str(name) for name, _label in self.choices}
        return [name for name in (value or []) if name in offered]


# The photo picker's order (`photo_order`, first = cover), one token a photo, comma-separated:
# "e<id>" a photo the listing has, "k:<name>" one kept from a try with errors, "n<i>" the i-th
# file of this post's file input. The page writes it as the seller drags or moves photos.
EXISTING, KEPT, NEW = "e", "k:", "n"


class ListingForm(ListingVersionMixin, forms.ModelForm):
    version = version_field()
    photo_order = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)
    price = WonField(label="판매 가격")
    floor_price = WonField(
        label="최저 수락 가격",
        required=False,
        help_text="협상 봇이 이 가격 아래로는 절대 팔지 않아요. 구매자에게는 보이지 않아요. "
        "비워 두면 판매 가격의 80%로 정해져요.",
    )
    photos = PhotosField(
        label="사진 추가",
        help_text=f"최대 {services.MAX_PHOTOS}장, 한 장에 5MB 이하. 끌어서 놓거나 ◀ ▶로 순서를 바꿔요. "
        "첫 사진이 대표 사진이에요.",
    )
    remove_photos = forms.TypedMultipleChoiceField(
        label="삭제할 사진", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    # Photos first, as on the apps people know: the picture sells the item.
    field_order = ["kept_photos", "remove_photos", "photos"]

    kept_photos = KeptPhotosField(
        label="앞에서 고른 사진", required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Listing
        fields = (
            "title",
            "category",
            "price",
            "floor_price",
            "style",
            "neighborhood",
            "description",
            "status",
        )
        widgets = {
            "description": forms.Textarea(
                attrs={
                    "rows": 7,
                    "placeholder": "상품 상태, 사용 기간, 구성품, 하자 등을 자세히 적어 주세요.",
                }
            ),
            "title": forms.TextInput(attrs={"placeholder": "예: 아이패드 에어4 64GB 스페이스그레이"}),
            "neighborhood": forms.TextInput(attrs={"placeholder": "예: 잠실동"}),
            "style": forms.RadioSelect,
        }
        error_messages = {
            "title": {"required": "제목을 입력해 주세요.", "max_length": "제목은 80자 이하로 써 주세요."},
            "description": {
                "required": "상품 설명을 입력해 주세요.",
                "max_length": "상품 설명은 3000자 이하로 써 주세요.",
            },
        }
        help_texts = {
            "style": "협상 봇이 얼마나 쉽게 가격을 내려 줄지 정해요.",
            "neighborhood": "거래할 동네예요. 목록에 보이고 동네로 찾을 수 있어요.",
        }

    def __init__(
        self, *args: object, seller_neighborhood: str = "", stashed: list[str] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kept_photos"].choices = [(name, name) for name in stashed]
        if not self.instance.pk:
            self.fields["neighborhood"].initial = seller_neighborhood
        photos = list(self.instance.photos.all()) if self.instance.pk else []
        self.existing_photos = photos
        self.fields["remove_photos"].choices = [(p.pk, str(p.pk)) for p in photos]
        if not self.instance.pk:
            del self.fields["status"]
        self.add_version_field()

    def clean(self) -> dict:
        cleaned = super().clean()
        self.check_version()
        price, floor = cleaned.get("price"), cleaned.get("floor_price")
        if price is not None and floor is not None and floor > price:
            self.add_error("floor_price", "최저 수락 가격은 판매 가격보다 높을 수 없어요.")
        kept = len(self.existing_photos) - len(cleaned.get("remove_photos") or [])
        kept += len(cleaned.get("kept_photos") or [])
        added = len(cleaned.get("photos") or [])
        if kept + added > services.MAX_PHOTOS:
            self.add_error(
                "photos", f"사진은 최대 {services.MAX_PHOTOS}장까지 올릴 수 있어요. (지금 {kept}장 있어요)"
            )
        return cleaned

    def _post_clean(self) -> None:
        # An empty floor means "80% of the price": fill it before the model's own validation.
        if (
            "floor_price" not in self.errors
            and self.cleaned_data.get("floor_price") is None
            and self.cleaned_data.get("price") is not None
        ):
            self.cleaned_data["floor_price"] = Listing.default_floor(self.cleaned_data["price"])
        super()._post_clean()

    def keepable_uploads(self) -> list[tuple[int, object]]:
        """The photos sent with a form that has errors that are good enough to keep, each with
        its place in the file input."""
        good = []
        for index, upload in enumerate(self.files.getlist(self.add_prefix("photos")) if self.files else []):
            try:
                good.append((index, PhotosField._check(upload)))
            except ValidationError:
                continue
        return good[: services.MAX_PHOTOS]

    def stash_more(self, names: dict[int, str]) -> None:
        """Offer photos just stashed (by their place in the file input), ticked, when the form is
        shown again, where the seller had put them in the order."""
        order = []
        for token in self._order():  # a new file's place goes to its stashed copy
            if not token.startswith(NEW):
                order.append(token)
            elif int(token[len(NEW) :]) in names:
                order.append(KEPT + names[int(token[len(NEW) :])])
        field = self.fields["kept_photos"]
        field.choices = [*field.choices, *((name, name) for name in names.values())]
        self.data = self.data.copy()
        kept = self.data.getlist(self.add_prefix("kept_photos"))
        self.data.setlist(self.add_prefix("kept_photos"), [*kept, *names.values()])
        self.data[self.add_prefix("photo_order")] = ",".join(order)
        self.files = MultiValueDict()  # the browser does not send them again: the stashed copies stand in

    # --- the photos' order ---

    def _order(self) -> list[str]:
        """Every photo of the form as a token, in the order posted (unknown tokens dropped, the
        ones the page did not name after, in the default order: the listing's, kept, new)."""
        existing = [f"{EXISTING}{photo.pk}" for photo in self.existing_photos]
        kept = [f"{KEPT}{name}" for name, _label in self.fields["kept_photos"].choices]
        new = [
            f"{NEW}{i}"
            for i in range(len(self.files.getlist(self.add_prefix("photos"))) if self.files else 0)
        ]
        known = [*existing, *kept, *new]
        posted = (self.data.get(self.add_prefix("photo_order")) or "").split(",") if self.is_bound else []
        named = list(dict.fromkeys(t for t in posted if t in known))
        return [*named, *(t for t in known if t not in named)]

    def photo_tiles(self) -> list[dict]:
        """The photos the page shows (the listing's and kept ones) in the seller's order."""
        removed = {
            str(v) for v in (self.data.getlist(self.add_prefix("remove_photos")) if self.is_bound else [])
        }
        kept = set(self.data.getlist(self.add_prefix("kept_photos"))) if self.is_bound else set()
        by_token = {f"{EXISTING}{p.pk}": p for p in self.existing_photos}
        tiles = []
        for token in self._order():
            if token.startswith(KEPT):
                name = token[len(KEPT) :]
                tiles.append({"token": token, "kind": "kept", "name": name, "checked": name in kept})
            elif token in by_token:
                photo = by_token[token]
                tiles.append(
                    {"token": token, "kind": "existing", "photo": photo, "checked": str(photo.pk) in removed}
                )
        return tiles

    def ordered_photos(self, kept: dict[str, object]) -> list[int | object]:
        """What `listing_create` / `listing_update` take as `photos`, in the seller's order: ids of
        the listing's photos that stay, and uploads (`kept`: the kept photos by name, unstashed)."""
        removed = set(self.cleaned_data.get("remove_photos") or [])
        new = list(self.cleaned_data.get("photos") or [])
        items: list[int | object] = []
        for token in self._order():
            if token.startswith(KEPT):
                upload = kept.get(token[len(KEPT) :])
                if upload is not None:
                    items.append(upload)
            elif token.startswith(EXISTING):
                if int(token[1:]) not in removed:
                    items.append(int(token[1:]))
            elif int(token[1:]) < len(new):
                items.append(new[int(token[1:])])
        return items

    def listing_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        fields.pop("status", None)
        return {**fields, **self.changed_status()}


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=50)
    category = forms.ChoiceField(required=False, choices=[("", "전체"), *Category.choices])
    min_price = WonField(required=False)
    max_price = WonField(required=False)
    sort = forms.ChoiceField(required=False, choices=list(SORT_LABELS.items()))
    available = forms.BooleanField(required=False)
    dong = forms.CharField(required=False, max_length=30)

    def filters(self) -> ListingFilters:
        """The valid part of the query; a bad parameter is ignored rather than failing the page."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        if data.get("sort") not in SORTS:
            data.pop("sort", None)
        return ListingFilters(**data)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class SoldForm(forms.Form):
    """판매완료: whom the seller sold to, among those who chatted (or nobody here)."""

    buyer = forms.TypedChoiceField(label="누구에게 팔았나요?", coerce=int, empty_value=0)

    def __init__(self, *args: object, candidates: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {user.pk: user for user in candidates}
        choices = [
            (user.pk, getattr(getattr(user, "profile", None), "nickname", user.username))
            for user in candidates
        ]
        self.fields["buyer"].choices = [*choices, (0, "낼름 밖에서 팔았어요")]
        self.fields["buyer"].widget = forms.RadioSelect(choices=self.fields["buyer"].choices)
        self.fields["buyer"].error_messages["required"] = "구매자를 골라 주세요."
        self.fields["buyer"].error_messages["invalid_choice"] = "목록에 있는 구매자를 골라 주세요."

    def chosen(self) -> object | None:
        return self.candidates.get(self.cleaned_data["buyer"])


class ReviewForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = ("rating", "text")
        widgets = {
            "rating": forms.RadioSelect,
            "text": forms.Textarea(attrs={"rows": 3, "placeholder": "예: 시간 약속을 잘 지키고 친절했어요."}),
        }
        labels = {"rating": "거래는 어떠셨나요?", "text": "후기 (선택, 300자 이내)"}
        error_messages = {
            "rating": {"required": "평가를 골라 주세요."},
            "text": {"max_length": "후기는 300자 이하로 써 주세요."},
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rating"].choices = Rating.choices


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="신고 사유",
        choices=ReportReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "신고 사유를 골라 주세요.", "invalid_choice": "신고 사유를 골라 주세요."},
    )
    detail = forms.CharField(
        label="자세한 내용 (선택)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "어떤 일이 있었는지 알려 주시면 빨리 처리할 수 있어요."}
        ),
        error_messages={"max_length": "내용은 1000자 이하로 써 주세요."},
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ("neighborhood",)
        labels = {"neighborhood": "내 동네"}
        help_texts = {"neighborhood": "새 판매글에 기본으로 들어가요. 예: 잠실동, 망원동"}
        widgets = {"neighborhood": forms.TextInput(attrs={"placeholder": "예: 잠실동"})}
        error_messages = {"neighborhood": {"max_length": "동네 이름은 30자 이하로 써 주세요."}}
