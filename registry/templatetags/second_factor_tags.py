"""What the two-factor pages show: the user's kinds of authenticator, and the staff's desk."""

from allauth.mfa.models import Authenticator
from django import template

from registry.staff_access import has_second_factor, needs_second_factor, return_to

register = template.Library()


@register.filter
def authenticator_types(user) -> set[str]:
    """The kinds of authenticator a user has: "totp", "webauthn", "recovery_codes"."""
    if user is None or user.pk is None:
        return set()
    return set(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))


@register.simple_tag(takes_context=True)
def staff_second_factor(context) -> dict:
    """Whether this user must have a second factor, has one, and where the desk is."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not needs_second_factor(user):
        return {"required": False}
    return {"required": True, "ready": has_second_factor(user), "return_to": return_to(request)}
