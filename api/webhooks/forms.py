"""Forms of the console's webhook pages; the rules themselves live in `api.webhooks.services`."""

import re

from django import forms

from api.models import WebhookEndpoint
from api.webhooks import services


def _lines(text: str) -> list[str]:
    return [item for item in re.split(r"[\s,]+", text or "") if item]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=services.MAX_URL_LENGTH,
        help_text="Where the registry POSTs change events, e.g. https://hooks.example.com/consent.",
        error_messages={"required": "Enter the URL that receives the webhooks."},
    )
    description = forms.CharField(
        label="Description (optional)",
        required=False,
        max_length=services.MAX_DESCRIPTION_LENGTH,
        help_text="So you recognise it later, e.g. “Production dataset filter”.",
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        required=False,
        choices=WebhookEndpoint.EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to receive every type.",
    )
    hosts = forms.CharField(
        label="Only tracks on these hosts (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Host names, one per line, e.g. soundcloud.com (subdomains included).",
    )
    creators = forms.CharField(
        label="Only tracks of these creators (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Creators' handles or ids, one per line.",
    )

    @classmethod
    def for_endpoint(cls, endpoint: WebhookEndpoint, data=None) -> "EndpointForm":
        return cls(
            data,
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_types": endpoint.event_types,
                "hosts": "\n".join(endpoint.filter_hosts),
                "creators": "\n".join(endpoint.filter_creators),
            },
        )

    @staticmethod
    def _checked(check, value):
        try:
            return check(value)
        except services.WebhookError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_url(self) -> str:
        return self._checked(services.clean_url, self.cleaned_data["url"])

    def clean_hosts(self) -> list[str]:
        return self._checked(services.clean_hosts, _lines(self.cleaned_data["hosts"]))

    def clean_creators(self) -> list[str]:
        return self._checked(services.clean_creators, _lines(self.cleaned_data["creators"]))


class ReplayForm(forms.Form):
    from_sequence = forms.IntegerField(
        label="Send again from change #",
        min_value=1,
        error_messages={"required": "Enter the number of the first change to send again."},
    )


class RotateForm(forms.Form):
    overlap_hours = forms.IntegerField(
        label="Keep the old secret signing for (hours)",
        min_value=0,
        max_value=services.MAX_OVERLAP_HOURS,
        help_text="Both secrets sign every message meanwhile, so you can switch without a gap.",
    )
