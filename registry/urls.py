from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The admin has no password form of its own: /admin/login/ sends visitors to the site's login
# (allauth: rate limits, email verification, the second factor) and back with `next`.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("api.urls")),  # /api/ and /platform/
    path("", include("registry.site_urls")),
]
