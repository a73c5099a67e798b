"""The admins' desk: browse everything; declarations and change events are read-only records."""

from django.contrib import admin

from consent.models import (
    ChangeEvent,
    Claim,
    Creator,
    Declaration,
    Dispute,
    EffectivePolicy,
    Track,
    TrackLink,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: visible to admins, never edited or deleted through the admin."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):
    list_display = ["artist_name", "handle", "isni", "user", "created_at"]
    search_fields = ["artist_name", "handle", "user__email"]


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


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    """Read-only: a claim's status changes only through the domain services, which keep the
    effective policy and the change log in step (editing the row here would not)."""

    list_display = ["track", "creator", "role", "status", "created_at"]
    list_filter = ["role", "status"]
    search_fields = ["track__title", "track__isrc", "creator__artist_name"]
    list_select_related = ["track", "creator"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["track", "role", "status", "opened_at", "closed_at"]
    list_filter = ["status", "role"]
    list_select_related = ["track"]


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ["declared_at", "creator", "track", "purpose", "value"]
    list_filter = ["purpose", "value"]
    search_fields = ["creator__artist_name", "track__title", "track__isrc"]
    list_select_related = ["creator", "track"]


@admin.register(EffectivePolicy)
class EffectivePolicyAdmin(ReadOnlyAdmin):
    list_display = ["track", "tdm", "train_ai", "train_genai", "ai_input", "search", "disputed"]
    list_filter = ["disputed", "train_genai"]
    list_select_related = ["track"]


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "track", "cause", "disputed", "created_at"]
    list_select_related = ["track"]
