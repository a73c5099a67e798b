"""The form an artist sends to have a claim verified by a reviewer."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from consent.addresses import check_web_address
from consent.evidence import MAX_STATEMENT_CHARS, EvidenceFile, accepted_types_sentence
from consent.identifiers import InvalidIdentifier
from consent.models import Claim, VerificationRequest


class VerificationRequestForm(forms.Form):
    claim = forms.ChoiceField(label="The claim to verify", widget=forms.RadioSelect)
    document = forms.ChoiceField(
        label="What proves it",
        choices=[("", "Choose a kind of document"), *VerificationRequest.Document.choices],
    )
    statement = forms.CharField(
        label="What the document shows",
        max_length=MAX_STATEMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: “Our distributor's statement for 2025, listing this ISRC under "
        "our account.” Only the registry's reviewers read it.",
    )
    file = forms.FileField(label="The document", required=False)
    url = forms.CharField(
        label="Or a link to it",
        required=False,
        max_length=2000,
        help_text="A page that shows the same, such as your distributor's or publisher's "
        "record of the track.",
    )

    field_order = ["claim", "document", "statement", "file", "url"]

    def __init__(self, *args, claims: list[Claim], **kwargs):
        super().__init__(*args, **kwargs)
        self.claims = {str(claim.public_id): claim for claim in claims}
        self.fields["claim"].choices = [
            (key, f"Your claim on the {claim.get_role_display().lower()}")
            for key, claim in self.claims.items()
        ]
        if len(self.claims) == 1:
            self.fields["claim"].widget = forms.HiddenInput()
            self.fields["claim"].initial = next(iter(self.claims))
        self.fields["file"].help_text = (
            f"{accepted_types_sentence()}, up to {filesizeformat(settings.EVIDENCE_MAX_BYTES)}. "
            "Only the registry's reviewers can open it."
        )

    def clean_url(self) -> str:
        # Refused like a track's link when it is no web page (consent.addresses), saying what
        # it is instead; the domain checks the rest (consent.verification_requests).
        url = self.cleaned_data.get("url", "").strip()
        if url:
            try:
                check_web_address(url)
            except InvalidIdentifier as exc:
                raise forms.ValidationError(str(exc)) from exc
        return url

    def chosen_claim(self) -> Claim:
        return self.claims[self.cleaned_data["claim"]]

    def evidence_file(self) -> EvidenceFile | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        return EvidenceFile(name=upload.name, size=upload.size, file=upload)
