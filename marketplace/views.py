"""Thin views: forms validate, ``services`` write, ``selectors`` read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import (
    ListingForm,
    LoginForm,
    ProfileForm,
    ReportForm,
    ReviewForm,
    SearchForm,
    SignupForm,
    SoldForm,
    StatusForm,
)
from .models import Category, Listing, Status

PAGE_SIZE = 20


def listing_index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    filters = form.filters()
    page = Paginator(selectors.listing_search(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/index.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "categories": Category.choices,
            "sorts": selectors.SORT_LABELS.items(),
            "neighborhoods": selectors.neighborhoods_in_use(),
        },
    )


def _viewer_key(request: HttpRequest) -> str:
    # Visitors by address, so that counting views never creates a session for a crawler.
    return f"u{request.user.pk}" if request.user.is_authenticated else f"a{services.client_address(request)}"


def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_visible(pk=pk, user=request.user)
    is_owner = request.user.is_authenticated and listing.seller_id == request.user.pk
    if not is_owner:
        services.listing_record_view(listing=listing, viewer_key=_viewer_key(request))
        listing.view_count += 1
    return render(
        request,
        "marketplace/detail.html",
        {
            "listing": listing,
            "photos": list(listing.photos.all()),
            "is_owner": is_owner,
            "liked": selectors.listing_is_liked(listing=listing, user=request.user),
            "manner": selectors.manner_score(user=listing.seller),
            "review_target": selectors.review_counterpart(listing=listing, user=request.user),
            "bump_at": selectors.listing_bump_available_at(listing=listing) if is_owner else None,
            "more": selectors.listing_more_from_seller(listing=listing),
        },
    )


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def listing_like(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_visible(pk=pk, user=request.user)
    quiet = request.headers.get("X-Requested-With") == "fetch"  # market.js: no page load, no flash
    try:
        liked = services.like_set(user=request.user, listing=listing, liked=request.POST.get("liked") == "1")
    except services.MarketError as error:
        if quiet:
            return JsonResponse({"error": error.message}, status=400)
        messages.error(request, error.message)
        return _back(request, listing.get_absolute_url())
    if quiet:
        return JsonResponse({"liked": liked, "count": selectors.listing_like_count(listing=listing)})
    messages.success(request, "관심 목록에 담았어요." if liked else "관심 목록에서 뺐어요.")
    return _back(request, listing.get_absolute_url())


@login_required
@require_POST
def listing_bump(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_owned(pk=pk, user=request.user)
    try:
        services.listing_bump(listing=listing)
    except services.MarketError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "끌올했어요! 목록 맨 위에 보여요.")
    return _back(request, "my_listings")


@login_required
def listing_sold(request: HttpRequest, pk: int) -> HttpResponse:
    """판매완료: the seller names the buyer (the one who agreed is preselected)."""
    listing = selectors.listing_get_owned(pk=pk, user=request.user)
    candidates = list(selectors.listing_buyer_candidates(listing=listing))
    agreed = selectors.listing_agreed_buyer(listing=listing)
    preselected = agreed or (candidates[0] if candidates else None)
    initial = {"buyer": preselected.pk if preselected else 0}
    form = SoldForm(request.POST or None, candidates=candidates, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.listing_mark_sold(listing=listing, buyer=form.chosen())
        except services.MarketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "판매완료로 바꿨어요. 구매자와 서로 후기를 남길 수 있어요.")
            return redirect(listing)
    return render(request, "marketplace/listing_sold.html", {"listing": listing, "form": form})


STASH_KEY = "listing_photo_stash"


def _listing_form(request: HttpRequest, **kwargs: object) -> ListingForm:
    return ListingForm(
        request.POST or None, request.FILES or None, stashed=request.session.get(STASH_KEY, []), **kwargs
    )


def _photos_to_save(request: HttpRequest, form: ListingForm) -> list:
    """The photos of a valid form in the seller's order: the listing's own (by id), the ones
    kept from an earlier try and the new ones (uploads)."""
    kept = services.photos_unstash(user=request.user, names=form.cleaned_data["kept_photos"])
    return form.ordered_photos(kept)


def _stash_clear(request: HttpRequest) -> None:
    services.photos_stash_clear(user=request.user, names=request.session.pop(STASH_KEY, []))


def _keep_photos_of_invalid(request: HttpRequest, form: ListingForm) -> None:
    """A form with errors loses its file input: keep its good photos and say so."""
    sent = form.files.getlist("photos") if form.files else []
    if not sent:
        return
    good = form.keepable_uploads()
    names = services.photos_stash(user=request.user, files=[upload for _index, upload in good])
    request.session[STASH_KEY] = [*request.session.get(STASH_KEY, []), *names]
    form.stash_more({index: name for (index, _upload), name in zip(good, names, strict=True)})
    if len(good) == len(sent):
        messages.warning(request, f"고칠 곳이 있어요. 고른 사진 {len(good)}장은 그대로 두었어요.")
    else:
        messages.warning(
            request,
            f"고칠 곳이 있어요. 사진 {len(sent)}장 중 {len(good)}장은 그대로 두었고, "
            f"올릴 수 없는 {len(sent) - len(good)}장은 빠졌어요.",
        )


@login_required
def listing_create(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "profile", None)
    if request.method == "GET":  # a fresh form: photos left from an abandoned one go
        _stash_clear(request)
    form = _listing_form(request, seller_neighborhood=profile.neighborhood if profile else "")
    if request.method == "POST":
        if form.is_valid():
            listing = services.listing_create(
                seller=request.user, photos=_photos_to_save(request, form), **form.listing_fields()
            )
            _stash_clear(request)
            messages.success(request, "판매글을 올렸어요.")
            return redirect(listing)
        _keep_photos_of_invalid(request, form)
    return render(request, "marketplace/listing_form.html", {"form": form, "creating": True})


@login_required
def listing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_owned(pk=pk, user=request.user)
    if request.method == "GET":
        _stash_clear(request)
    form = _listing_form(request, instance=listing)
    if request.method == "POST":
        if form.is_valid():
            services.listing_update(
                listing=listing,
                photos=_photos_to_save(request, form),
                remove_photo_ids=form.cleaned_data["remove_photos"],
                **form.listing_fields(),
            )
            _stash_clear(request)
            messages.success(request, "판매글을 수정했어요.")
            return redirect(listing)
        _keep_photos_of_invalid(request, form)
    return render(request, "marketplace/listing_form.html", {"form": form, "listing": listing})


@login_required
def listing_delete(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_owned(pk=pk, user=request.user)
    if request.method == "POST":
        services.listing_delete(listing=listing)
        messages.success(request, "판매글을 삭제했어요.")
        return redirect("my_listings")
    return render(request, "marketplace/listing_confirm_delete.html", {"listing": listing})


@login_required
@require_POST
def listing_hide(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_owned(pk=pk, user=request.user)
    hidden = request.POST.get("hidden") == "1"
    services.listing_set_hidden(listing=listing, hidden=hidden)
    messages.success(request, "판매글을 숨겼어요." if hidden else "판매글을 다시 공개했어요.")
    if request.POST.get("next") == "detail":
        return redirect(listing)
    return redirect("my_listings")


@login_required
@require_POST
def listing_status(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_owned(pk=pk, user=request.user)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "알 수 없는 판매 상태예요.")
    else:  # sold this way records the buyer who agreed, if any (listing_sold names another)
        services.listing_set_status(listing=listing, status=form.cleaned_data["status"])
        messages.success(request, f"상태를 '{listing.get_status_display()}'(으)로 바꿨어요.")
    return _back(request, "my_listings")


@login_required
def my_listings(request: HttpRequest) -> HttpResponse:
    listings = selectors.listings_of_seller(user=request.user)
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/my_listings.html",
        {"page": page, "statuses": Status.choices, "bump_cutoff": timezone.now() - selectors.BUMP_INTERVAL},
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if ok else ""


def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or "listing_index")
    form = SignupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            nickname=form.cleaned_data["nickname"],
            ip=services.client_address(request),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"{form.cleaned_data['nickname']}님, 낼름에 오신 걸 환영해요!")
        return redirect(next_url or "listing_index")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


class NellmLoginView(LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


# --- People: profiles, reviews, reports, blocks ----------------------------------------------------


def user_profile(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.user_public(pk=pk)
    listings = Paginator(selectors.listings_public_of(user=member), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "marketplace/profile.html",
        {
            "member": member,
            "page": listings,
            "reviews": selectors.reviews_of_user(user=member)[:20],
            "manner": selectors.manner_score(user=member),
            "manner_start": selectors.MANNER_START,
            "manner_steps": selectors.MANNER_STEP,
            "is_me": request.user.is_authenticated and request.user.pk == member.pk,
            "blocked": selectors.user_has_blocked(blocker=request.user, blocked=member),
        },
    )


@login_required
def review_create(request: HttpRequest, pk: int) -> HttpResponse:
    listing = get_object_or_404(Listing.objects.defer("floor_price").select_related("seller", "buyer"), pk=pk)
    target = selectors.review_counterpart(listing=listing, user=request.user)
    if target is None:
        messages.error(request, "거래를 마친 판매자와 구매자만, 한 번씩 후기를 남길 수 있어요.")
        return redirect(listing)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_create(listing=listing, author=request.user, **form.cleaned_data)
        except services.MarketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "후기를 남겼어요. 고마워요!")
        return redirect("user_profile", pk=target.pk)
    return render(
        request, "marketplace/review_form.html", {"listing": listing, "target": target, "form": form}
    )


def _report_target(request: HttpRequest) -> tuple[object, Listing | None, object | None]:
    """(reported user, listing, chat) from ?listing= / ?chat= / ?user=; 404 for what the
    reporter cannot see (a chat they are not in, a hidden listing)."""
    source = request.POST if request.method == "POST" else request.GET
    try:
        if source.get("chat"):
            chat = selectors.chat_of_participant(chat_id=int(source["chat"]), user=request.user)
            other = chat.listing.seller if chat.buyer_id == request.user.pk else chat.buyer
            return other, chat.listing, chat
        if source.get("listing"):
            listing = selectors.listing_get_visible(pk=int(source["listing"]), user=request.user)
            return listing.seller, listing, None
        return selectors.user_public(pk=int(source.get("user", ""))), None, None
    except ValueError as error:
        raise Http404("신고할 대상을 찾을 수 없어요.") from error


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    target, listing, chat = _report_target(request)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=request.user, target_user=target, listing=listing, chat=chat, **form.cleaned_data
            )
        except services.MarketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "신고가 접수되었어요. 운영팀이 확인하고 조치할게요.")
        return redirect(listing or "user_profile", **({} if listing else {"pk": target.pk}))
    return render(
        request,
        "marketplace/report_form.html",
        {"form": form, "target": target, "listing": listing, "chat": chat},
    )


@login_required
@require_POST
def user_block(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.user_public(pk=pk)
    on = request.POST.get("blocked") == "1"
    try:
        services.block_set(blocker=request.user, blocked=member, on=on)
    except services.MarketError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "차단했어요. 서로 채팅을 열 수 없어요." if on else "차단을 풀었어요.")
    return _back(request, reverse("user_profile", args=[member.pk]))


@login_required
def my_profile(request: HttpRequest) -> HttpResponse:
    profile = getattr(request.user, "profile", None)
    if profile is None:
        raise Http404("프로필이 없어요.")
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, neighborhood=form.cleaned_data["neighborhood"])
        messages.success(request, "내 동네를 저장했어요.")
        return redirect("user_profile", pk=request.user.pk)
    return render(request, "marketplace/my_profile.html", {"form": form})


@login_required
def my_likes(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.listings_liked_by(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "marketplace/my_likes.html", {"page": page})
