from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from marketplace.forms import AdminLoginForm

admin.site.site_header = "낼름 관리자"
admin.site.site_title = "낼름 관리자"
admin.site.index_title = "운영 관리"
# The admin's login page checks passwords too: it shares the site's failed-login throttle.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("chat/", include("negotiation.urls")),
    path("", include("negotiation.site_urls")),
    path("", include("marketplace.urls")),
]

if settings.NELLM_SERVE_MEDIA:
    # Uploaded photos are served by the app itself: the site must work with no CDN.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
