"""Forms of the platform console; like the artists' forms, errors are sentences for people."""

import unicodedata

from django import forms

from api.models import ApiKey
from consent.platforms import MAX_INTENDED_USE_CHARS, name_taken, name_taken_message


class PlatformApplicationForm(forms.Form):
    """An organisation asking to read the registry through its API."""

    name = forms.CharField(
        label="Organisation",
        max_length=200,
        help_text="The name of the company or project that will read the registry.",
        error_messages={"required": "Enter the name of your organisation."},
    )
    website = forms.URLField(
        label="Website (optional)",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Where reviewers can learn about your organisation, e.g. https://example.com.",
        error_messages={"invalid": "Enter a full web address, such as https://example.com."},
    )
    contact_email = forms.EmailField(
        label="Contact email",
        help_text="We write here about the application and, later, about your access.",
        error_messages={
            "required": "Enter an email address we can write to about the application.",
            "invalid": "Enter an email address such as api@example.com.",
        },
    )
    intended_use = forms.CharField(
        label="Intended use",
        max_length=MAX_INTENDED_USE_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "What you will use the consent data for: for example, filtering a training "
            "dataset, or honouring opt-outs in a crawler. Reviewers read this before approving."
        ),
        error_messages={
            "required": "Tell the reviewers what you will use the consent data for.",
            "max_length": (
                f"Please keep the intended use under {MAX_INTENDED_USE_CHARS:,} characters "
                "(it has %(show_value)d)."
            ),
        },
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        # The name appears in admin lists, emails and artists' pages: one printable line.
        if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in name):
            raise forms.ValidationError(
                "An organisation name must be on one line, without control characters."
            )
        if name_taken(name):
            raise forms.ValidationError(name_taken_message(name))
        return name


class ApiKeyForm(forms.Form):
    """A new key: a name to recognise it by, and what it may do."""

    name = forms.CharField(
        label="Key name",
        max_length=100,
        help_text="So you recognise it later, e.g. “Production crawler”.",
        error_messages={"required": "Give the key a name, so you can tell your keys apart."},
    )
    scopes = forms.MultipleChoiceField(
        label="What the key may do",
        choices=[
            (ApiKey.Scope.READ, "Read consent: look-ups, the change log, snapshots"),
            (ApiKey.Scope.WEBHOOKS, "Manage webhooks"),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.READ],
        error_messages={"required": "Choose at least one thing the key may do."},
    )
