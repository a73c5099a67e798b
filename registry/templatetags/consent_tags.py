"""Template helpers for showing consent values the same way on every page."""

from django import template
from django.utils.html import format_html

from consent.purposes import DESCRIPTIONS, LABELS, PURPOSES, VALUE_LABELS, Purpose, Value

register = template.Library()


@register.simple_tag
def purposes() -> list[dict]:
    """Every purpose with its code, label and description, in vocabulary order."""
    return [
        {
            "code": p.value,
            "field": p.value.replace("-", "_"),
            "label": LABELS[p],
            "description": DESCRIPTIONS[p],
        }
        for p in PURPOSES
    ]


@register.filter
def purpose_label(code: str) -> str:
    return LABELS[Purpose(code)]


@register.filter
def value_label(code: str) -> str:
    return VALUE_LABELS[Value(code or Value.UNSET)]


@register.filter
def value_badge(code: str) -> str:
    """A coloured badge whose text, not only its colour, says the value (accessibility)."""
    value = Value(code or Value.UNSET)
    return format_html('<span class="badge badge-{}">{}</span>', value.value, VALUE_LABELS[value])


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
