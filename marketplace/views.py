"""Thin views: forms validate, ``services`` write, ``selectors`` read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ListingForm, LoginForm, SearchForm, SignupForm, StatusForm, client_ip
from .models import Category, Status

PAGE_SIZE = 20


def listing_index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    filters = form.filters()
    page = Paginator(selectors.listing_search(filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/index.html",
        {"form": form, "filters": filters, "page": page, "categories": Category.choices},
    )


def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_visible(pk=pk, user=request.user)
    return render(
        request,
        "marketplace/detail.html",
        {
            "listing": listing,
            "photos": list(listing.photos.all()),
            "is_owner": request.user.is_authenticated and listing.seller_id == request.user.pk,
            "more": selectors.listing_more_from_seller(listing=listing),
        },
    )


@login_required
def listing_create(request: HttpRequest) -> HttpResponse:
    form = ListingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        listing = services.listing_create(
            seller=request.user, photos=form.cleaned_data["photos"], **form.listing_fields()
        )
        messages.success(request, "판매글을 올렸어요.")
        return redirect(listing)
    return render(request, "marketplace/listing_form.html", {"form": form, "creating": True})


@login_required
def listing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.listing_get_owned(pk=pk, user=request.user)
    form = ListingForm(request.POST or None, request.FILES or None, instance=listing)
    if request.method == "POST" and form.is_valid():
        services.listing_update(
            listing=listing,
            photos=form.cleaned_data["photos"],
            remove_photo_ids=form.cleaned_data["remove_photos"],
            **form.listing_fields(),
        )
        messages.success(request, "판매글을 수정했어요.")
        return redirect(listing)
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
    if form.is_valid():
        services.listing_set_status(listing=listing, status=form.cleaned_data["status"])
        messages.success(request, f"상태를 '{listing.get_status_display()}'(으)로 바꿨어요.")
    else:
        messages.error(request, "알 수 없는 판매 상태예요.")
    return redirect("my_listings")


@login_required
def my_listings(request: HttpRequest) -> HttpResponse:
    listings = selectors.listings_of_seller(user=request.user)
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "marketplace/my_listings.html", {"page": page, "statuses": Status.choices})


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("listing_index")
    form = SignupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = services.user_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            nickname=form.cleaned_data["nickname"],
            ip=client_ip(request),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"{form.cleaned_data['nickname']}님, 낼름에 오신 걸 환영해요!")
        return redirect("listing_index")
    return render(request, "registration/signup.html", {"form": form})


class NellmLoginView(LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
