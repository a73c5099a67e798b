"""The admins' view of webhook endpoints and their delivery log.

Admins see every endpoint's health, cursor and pending batch, and every attempt; they can enable
or disable an endpoint (through `api.webhooks.services`, so enabling resumes from the cursor).
Secrets and batch bodies are never shown. Endpoints are created by platforms, never here.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import services


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = [
        "attempted_at",
        "kind",
        "webhook_id",
        "attempt",
        "first_sequence",
        "last_sequence",
        "event_count",
        "outcome",
        "status_code",
        "duration_ms",
        "error",
        "next_attempt_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-attempted_at", "-id"]
    show_change_link = True

    def get_queryset(self, request):
        # The latest attempts only: a busy endpoint has thousands.
        ids = (
            WebhookDelivery.objects.filter(endpoint=self.parent_obj)
            .order_by("-attempted_at", "-id")
            .values_list("id", flat=True)[:20]
            if getattr(self, "parent_obj", None)
            else []
        )
        return super().get_queryset(request).filter(id__in=list(ids))

    def get_formset(self, request, obj=None, **kwargs):
        self.parent_obj = obj
        return super().get_formset(request, obj, **kwargs)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "platform",
        "health",
        "enabled",
        "cursor",
        "attempts",
        "next_attempt_at",
        "last_success_at",
    ]
    list_filter = ["enabled", "platform"]
    search_fields = ["url", "description", "platform__name"]
    list_select_related = ["platform"]
    actions = ["enable", "disable"]
    inlines = [WebhookDeliveryInline]
    fields = [
        "public_id",
        "platform",
        "url",
        "description",
        "event_types",
        "filter_hosts",
        "filter_creators",
        "enabled",
        "disabled_reason",
        "disabled_at",
        "cursor",
        "batch_id",
        "batch_first",
        "batch_last",
        "batch_until",
        "batch_count",
        "attempts",
        "next_attempt_at",
        "last_success_at",
        "last_failure_at",
        "previous_secret_expires_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    # Read-only: the actions below change state, through api.webhooks.services.
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="health")
    def health(self, obj: WebhookEndpoint) -> str:
        return obj.health

    @admin.action(description="Enable (resume from the cursor)", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet) -> None:
        for endpoint in queryset:
            services.update_endpoint(endpoint, enabled=True)
        messages.success(request, f"{queryset.count()} endpoint(s) enabled.")

    @admin.action(description="Disable", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet) -> None:
        for endpoint in queryset:
            services.update_endpoint(endpoint, enabled=False)
        messages.success(request, f"{queryset.count()} endpoint(s) disabled.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "endpoint",
        "kind",
        "webhook_id",
        "attempt",
        "event_count",
        "outcome",
        "status_code",
        "duration_ms",
    ]
    list_filter = ["outcome", "kind", "endpoint__platform"]
    search_fields = ["webhook_id", "endpoint__url", "endpoint__platform__name"]
    list_select_related = ["endpoint__platform"]
    date_hierarchy = "attempted_at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
