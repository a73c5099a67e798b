"""Creators (and their suspension), tracks, and track links (and restoring a hidden one)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from consent import disputes
from consent.links import restore_link
from consent.models import Claim, Creator, Track, TrackLink
from consent.services import ConsentError

from .records import ReadOnlyAdmin


class SuspendForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Recorded in the audit log. The creator's denials stay in force.",
    )


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):
    list_display = ["artist_name", "handle", "isni", "user", "created_at", "suspended_at"]
    list_filter = [("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["artist_name", "handle", "user__email"]
    readonly_fields = ["suspended_at"]
    change_form_template = "admin/consent/creator/change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/suspend/",
                self.admin_site.admin_view(self.suspend_view),
                name="consent_creator_suspend",
            ),
            *super().get_urls(),
        ]

    def suspend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        creator = self.get_object(request, object_id)
        if creator is None:
            raise Http404("No such creator.")
        if not self.has_change_permission(request, creator):
            raise PermissionDenied
        form = SuspendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                disputes.suspend_creator(request.user, creator, form.cleaned_data["reason"])
            except ConsentError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"{creator.artist_name} is suspended; their denials stay in force.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:consent_creator_change", args=[creator.pk])
                )
        context = self.admin_site.each_context(request) | {
            "title": f"Suspend {creator.artist_name}",
            "creator": creator,
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/consent/creator/suspend.html", context)


class TrackLinkInline(admin.TabularInline):
    model = TrackLink
    extra = 0
    readonly_fields = ["url", "host", "added_by", "created_at"]


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    readonly_fields = ["creator", "role", "status", "created_at"]
    can_delete = False


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    # Deleting a track would orphan its declarations and change log; the database refuses it.
    list_display = ["title", "artist_credit", "isrc", "iswc", "created_at"]
    search_fields = ["title", "isrc", "iswc", "artist_credit"]
    readonly_fields = ["public_id", "audio_sha256", "created_at"]
    inlines = [ClaimInline, TrackLinkInline]


class HiddenFilter(admin.SimpleListFilter):
    title = "visibility"
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("visible", "Visible"), *TrackLink.Hidden.choices]

    def queryset(self, request, queryset):
        if self.value() == "visible":
            return queryset.filter(hidden_at__isnull=True)
        if self.value() in TrackLink.Hidden.values:
            return queryset.filter(hidden_reason=self.value())
        return queryset


class RestoreForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Recorded in the audit log: why the owner should not have hidden this link.",
    )


@admin.register(TrackLink)
class TrackLinkAdmin(ReadOnlyAdmin):
    """Every link, hidden ones included; a link a verified owner hid can be restored."""

    list_display = ["url", "track", "added_by", "visibility", "hidden_by", "hidden_at", "restore"]
    list_filter = [HiddenFilter]
    search_fields = ["url", "track__title", "track__isrc"]
    list_select_related = ["track", "added_by", "hidden_by"]

    def get_queryset(self, request):
        # Hidden links stay for the record; the desk must see them to restore them.
        return TrackLink.all_objects.select_related("track", "added_by", "hidden_by")

    @admin.display(description="visibility")
    def visibility(self, link: TrackLink) -> str:
        return link.get_hidden_reason_display() if link.hidden_at else "Visible"

    @admin.display(description="")
    def restore(self, link: TrackLink) -> str:
        if link.hidden_reason != TrackLink.Hidden.BY_OWNER:
            return ""
        url = reverse("admin:consent_tracklink_restore", args=[link.pk])
        return format_html('<a href="{}">Restore…</a>', url)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="consent_tracklink_restore",
            ),
            *super().get_urls(),
        ]

    def restore_view(self, request, object_id) -> HttpResponse:
        link = self.get_object(request, object_id)
        if link is None:
            raise Http404("No such link.")
        if not request.user.has_perm("consent.restore_tracklink"):
            raise PermissionDenied
        form = RestoreForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                restore_link(request.user, link, form.cleaned_data["reason"])
            except ConsentError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, f"The link {link.url} is visible again.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:consent_tracklink_changelist"))
        context = self.admin_site.each_context(request) | {
            "title": "Restore a hidden link",
            "link": link,
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/consent/tracklink/restore.html", context)
