from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

urlpatterns = [
    path("", views.listing_index, name="listing_index"),
    path("listings/new/", views.listing_create, name="listing_create"),
    path("listings/<int:pk>/", views.listing_detail, name="listing_detail"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("listings/<int:pk>/delete/", views.listing_delete, name="listing_delete"),
    path("listings/<int:pk>/hide/", views.listing_hide, name="listing_hide"),
    path("listings/<int:pk>/status/", views.listing_status, name="listing_status"),
    path("listings/<int:pk>/like/", views.listing_like, name="listing_like"),
    path("listings/<int:pk>/bump/", views.listing_bump, name="listing_bump"),
    path("listings/<int:pk>/sold/", views.listing_sold, name="listing_sold"),
    path("listings/<int:pk>/review/", views.review_create, name="review_create"),
    path("report/", views.report_create, name="report_create"),
    path("users/<int:pk>/", views.user_profile, name="user_profile"),
    path("users/<int:pk>/block/", views.user_block, name="user_block"),
    path("my/listings/", views.my_listings, name="my_listings"),
    path("my/likes/", views.my_likes, name="my_likes"),
    path("my/profile/", views.my_profile, name="my_profile"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.NellmLoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
]
