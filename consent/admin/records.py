"""The append-only records on the desk: declarations, effective policies, change events and
the audit log, visible to admins and never edited or deleted through the admin."""

from django.contrib import admin

from consent.models import AuditEntry, ChangeEvent, Declaration, EffectivePolicy


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: visible to admins, never edited or deleted through the admin."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The record of every dispute change and admin decision; the database refuses edits."""

    list_display = ["created_at", "action", "user", "dispute", "creator", "reason"]
    list_filter = ["action"]
    list_select_related = ["user", "dispute__track", "creator"]
    date_hierarchy = "created_at"


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
