"""The platform console, mounted at /platform/ by the project's urls."""

from django.urls import path

from api import views_console

urlpatterns = [
    path("", views_console.console, name="platform_console"),
    path("apply/", views_console.apply, name="platform_apply"),
    path("<uuid:public_id>/", views_console.platform_detail, name="platform_detail"),
    path("<uuid:public_id>/keys/", views_console.key_create, name="platform_key_create"),
    path(
        "<uuid:public_id>/keys/<slug:prefix>/revoke/",
        views_console.key_revoke,
        name="platform_key_revoke",
    ),
]
