"""Forms of the dispute pages: contesting a claim, adding statements and evidence."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from consent.addresses import check_web_address
from consent.contests import CONTEST_REASONS
from consent.evidence import MAX_STATEMENT_CHARS, EvidenceFile, accepted_types_sentence
from consent.identifiers import InvalidIdentifier
from consent.models import Claim


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by the domain, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def evidence_help() -> str:
    # The types come from settings.EVIDENCE_TYPES, which the domain checks files against.
    return (
        f"{accepted_types_sentence()}, up to "
        f"{filesizeformat(settings.EVIDENCE_MAX_BYTES)} each, and up to "
        f"{settings.EVIDENCE_PARTY_MAX_ITEMS} pieces of evidence and "
        f"{filesizeformat(settings.EVIDENCE_PARTY_MAX_BYTES)} of files in all per dispute. "
        "Only you and the registry's reviewers can open them, not the other party."
    )


class EvidenceFields(forms.Form):
    files = MultipleFileField(label="Evidence files", required=False)
    links = forms.CharField(
        label="Links",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One web address per line: a release page, a distributor's record, a credit.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = evidence_help()

    def clean_links(self) -> str:
        """Each line a web page, refused like a track's links (consent.addresses) when it is an
        email, a phone number or a path; the domain checks the rest (consent.evidence)."""
        text = self.cleaned_data.get("links", "")
        errors = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    check_web_address(line)
                except InvalidIdentifier as exc:
                    errors.append(forms.ValidationError(f"Line {number}: {exc}"))
        if errors:
            raise forms.ValidationError(errors)
        return text

    def evidence_files(self) -> list[EvidenceFile]:
        return [
            EvidenceFile(name=upload.name, size=upload.size, file=upload)
            for upload in self.cleaned_data.get("files", [])
        ]

    def evidence_links(self) -> list[str]:
        return self.cleaned_data.get("links", "").splitlines()


class ContestForm(EvidenceFields):
    claim = forms.ChoiceField(label="The claim you contest", widget=forms.RadioSelect)
    reason = forms.ChoiceField(
        label="Reason", choices=[("", "Choose a reason")] + [(r, r) for r in CONTEST_REASONS]
    )
    statement = forms.CharField(
        label="Your statement",
        max_length=MAX_STATEMENT_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Explain why this is yours. The reviewers will read it, not the other party.",
    )

    field_order = ["claim", "reason", "statement", "files", "links"]

    def __init__(self, *args, claims: list[Claim], **kwargs):
        super().__init__(*args, **kwargs)
        self.claims = {str(claim.public_id): claim for claim in claims}
        self.fields["claim"].choices = [
            (
                key,
                f"{claim.get_role_display()}, claimed by {claim.creator.artist_name} "
                f"on {claim.created_at:%-d %B %Y}",
            )
            for key, claim in self.claims.items()
        ]

    def chosen_claim(self) -> Claim:
        return self.claims[self.cleaned_data["claim"]]


class StatementForm(forms.Form):
    text = forms.CharField(
        label="Add a statement",
        max_length=MAX_STATEMENT_CHARS,
        help_text="The reviewers will read it, not the other party.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class EvidenceForm(EvidenceFields):
    pass
