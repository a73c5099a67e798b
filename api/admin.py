"""The admins' desk for platforms and their API keys.

Platforms are reviewed from the list: the Approve, Refuse and Suspend actions need only the
`consent.approve_platform` permission, which reviewers have without being able to edit a
platform's fields. Decisions go through `consent.platforms`, which records who decided and when
and lets the website email the platform. A platform's status is never edited as a raw field.

API keys are created by the platforms' members in their console (or by `create_platform`), never
here: the desk lists them without their hashes and can only revoke them.
"""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, When
from django.http import HttpRequest

from api import services
from api.models import ApiKey
from consent import platforms
from consent.models import Platform
from consent.services import ConsentError

Status = Platform.Status


class ApiKeyInline(admin.TabularInline):
    """The platform's keys on its page, read-only: shown to those who may view keys."""

    model = ApiKey
    fields = ["name", "display", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "status",
        "contact_email",
        "created_at",
        "reviewed_at",
        "live_keys",
        "applied_up_to",
        "rate_limit_per_minute",
    ]
    list_filter = ["status"]
    search_fields = ["name", "contact_email", "website"]
    # Applications waiting for a decision come first, oldest first: the reviewers' queue.
    ordering = [
        Case(When(status=Status.PENDING, then=0), default=1, output_field=IntegerField()).asc(),
        "created_at",
    ]
    fields = [
        "name",
        "public_id",
        "status",
        "website",
        "contact_email",
        "intended_use",
        "members",
        "rate_limit_per_minute",
        "listed_on_platforms_page",
        "created_at",
        "reviewed_at",
        "reviewed_by",
    ]
    # Whether /platforms/ names the platform is the platform's own choice, made in its console.
    readonly_fields = [
        "public_id",
        "status",
        "listed_on_platforms_page",
        "created_at",
        "reviewed_at",
        "reviewed_by",
    ]
    raw_id_fields = ["members"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["approve", "refuse", "suspend"]
    inlines = [ApiKeyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Platform]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                live_key_count=Count("api_keys", filter=Q(api_keys__revoked_at__isnull=True)),
                highest_ack=Max("acknowledgements__sequence"),
            )
        )

    @admin.display(description="live keys", ordering="live_key_count")
    def live_keys(self, platform: Platform) -> int:
        return platform.live_key_count

    @admin.display(description="applied up to", ordering="highest_ack")
    def applied_up_to(self, platform: Platform) -> str:
        return f"#{platform.highest_ack}" if platform.highest_ack is not None else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Platforms enter by applying on the website or through `create_platform`, so each one
        # has a member who can manage its keys.
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting would erase its acknowledgements, which artists read; suspend instead.
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("consent.approve_platform")

    def _review(self, request, queryset, decide, done: str, skipped: str) -> None:
        changed, refused = [], 0
        for platform in queryset:
            try:
                if decide(platform, request.user):
                    changed.append(platform.name)
            except ConsentError as exc:
                refused += 1
                self.message_user(request, str(exc), messages.ERROR)
        unchanged = queryset.count() - len(changed) - refused
        if changed:
            self.message_user(request, f"{done}: {', '.join(changed)}.", messages.SUCCESS)
        if unchanged:
            self.message_user(
                request, skipped.format(n=unchanged, s="" if unchanged == 1 else "s"), messages.INFO
            )

    @admin.action(description="Approve the selected platforms", permissions=["approve"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._review(
            request,
            queryset,
            platforms.approve_platform,
            "Approved (their contacts are told by email)",
            "{n} platform{s} already approved, left as they were.",
        )

    @admin.action(description="Refuse the selected applications", permissions=["approve"])
    def refuse(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._review(
            request,
            queryset,
            platforms.refuse_platform,
            "Refused (their contacts are told by email)",
            "{n} platform{s} not waiting for approval, left as they were "
            "(suspend an approved platform instead).",
        )

    @admin.action(description="Suspend the selected platforms", permissions=["approve"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._review(
            request,
            queryset,
            platforms.suspend_platform,
            "Suspended (their contacts are told by email)",
            "{n} platform{s} not approved, left as they were.",
        )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only, without hashes; the one thing done here is revoking a key."""

    list_display = [
        "display",
        "platform",
        "name",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["platform"]
    search_fields = ["prefix", "name", "platform__name"]
    fields = [
        "display",
        "platform",
        "name",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("api.change_apikey")

    @admin.display(description="key", ordering="prefix")
    def display(self, key: ApiKey) -> str:
        return key.display

    @admin.action(description="Revoke the selected keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        live = list(queryset.filter(revoked_at__isnull=True))
        for key in live:
            services.revoke_key(key)
        self.message_user(
            request,
            f"Revoked {len(live)} key{'s' if len(live) != 1 else ''}; requests made with "
            f"{'it' if len(live) == 1 else 'them'} are refused from now on.",
            messages.SUCCESS,
        )
