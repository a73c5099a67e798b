"""Forms of the artist's pages: they parse what a person typed and say, in sentences, what is wrong.

Identifiers are validated and normalized here with `consent.identifiers`, so that the domain
services receive clean values and every error can be shown next to the field it concerns.
"""

import hashlib
import re
from collections.abc import Callable, Mapping

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet

from consent.addresses import clean_contact_email, clean_terms_url, normalize_web_link
from consent.identifiers import (
    InvalidIdentifier,
    format_isni,
    normalize_isni,
    normalize_isrc,
    normalize_iswc,
)
from consent.models import POLICY_FIELDS, Creator, Track
from consent.purposes import (
    AI_OPT_OUT,
    DESCRIPTIONS,
    LABELS,
    PURPOSES,
    VALUE_LABELS,
    Purpose,
    PurposeChoice,
    Value,
    licence_terms_missing,
)
from consent.resolution import Statement
from consent.text import LineBreakError, clean_single_line
from consent.tracks import (
    DEFAULT_ROLE_CHOICE,
    ROLE_CHOICES,
    ROLE_LABELS,
    DurationError,
    parse_duration,
)
from registry.queries import has_own_choices
from registry.uploads import is_audio, not_audio_message

# --- Profile --------------------------------------------------------------------------------

HANDLE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class HandleField(forms.CharField):
    """A handle is lowercased before it is checked, so URLs have one spelling of each."""

    def to_python(self, value: str | None) -> str:
        return super().to_python(value).lower()


class ProfileForm(forms.ModelForm):
    """The signed-in person's artist profile."""

    handle = HandleField(
        label="Public handle",
        min_length=3,
        max_length=40,
        help_text="Shown in public links. 3 to 40 letters, digits and hyphens, e.g. night-owls.",
        validators=[
            RegexValidator(
                HANDLE_PATTERN,
                "A handle can contain only letters, digits and single hyphens between them, "
                "for example “night-owls”.",
            )
        ],
        error_messages={
            "min_length": "A handle needs at least 3 characters.",
            "max_length": "A handle can have at most 40 characters.",
        },
    )
    isni = forms.CharField(
        label="ISNI (optional)",
        required=False,
        max_length=40,
        help_text="Your International Standard Name Identifier, e.g. 0000 0001 2103 2683.",
    )

    class Meta:
        model = Creator
        fields = ["artist_name", "handle", "isni"]
        labels = {"artist_name": "Artist name"}
        help_texts = {"artist_name": "The name you release music under: artist, band or label."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Stored compact, shown the way people write it.
        if self.instance.isni and not self.is_bound:
            self.initial["isni"] = format_isni(self.instance.isni)

    def clean_artist_name(self) -> str:
        # The name is written into emails and into comments of robots.txt and ai.txt, where a
        # line-breaking character would start a new line a crawler reads as a rule: the same
        # one-line rule as titles and credits (consent.text).
        return single_line(self.cleaned_data["artist_name"], "artist name")

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"]
        taken = Creator.objects.filter(handle=handle).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                f"The handle “{handle}” is already taken. Please choose another one."
            )
        return handle

    def clean_isni(self) -> str:
        raw = self.cleaned_data["isni"].strip()
        return identifier(normalize_isni, raw) if raw else ""


# --- Field types shared by the track forms --------------------------------------------------


class LinksField(forms.CharField):
    """One link per line; each is normalized, and an error names the line it comes from."""

    max_links = 50

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def to_python(self, value: str | None) -> list[str]:
        text = super().to_python(value)
        lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)]
        lines = [(number, line) for number, line in lines if line]
        if len(lines) > self.max_links:
            raise forms.ValidationError(f"Add at most {self.max_links} links at a time.")
        links: list[str] = []
        errors: list[forms.ValidationError] = []
        for number, line in lines:
            try:
                links.append(normalize_web_link(line))
            except InvalidIdentifier as exc:
                errors.append(forms.ValidationError(f"Line {number}: {exc}"))
        if errors:
            raise forms.ValidationError(errors)
        return list(dict.fromkeys(links))

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def single_line(value: str, field_label: str) -> str:
    """The form's side of `consent.text.clean_single_line`: the refusal shown at the field."""
    try:
        return clean_single_line(value, field_label)
    except LineBreakError as exc:
        raise forms.ValidationError(str(exc)) from exc


def identifier(rule: Callable[[str], str], raw: str) -> str:
    """The form's side of a rule of `consent.identifiers` or `consent.addresses`, which the CSV
    import applies too: its refusal, word for word, shown at the field."""
    try:
        return rule(raw)
    except InvalidIdentifier as exc:
        raise forms.ValidationError(str(exc)) from exc


# --- Registering a track --------------------------------------------------------------------


class TrackForm(forms.Form):
    """A new track as the artist describes it; `audio` arrives already hashed (registry.uploads)."""

    title = forms.CharField(label="Title", max_length=300)
    artist_credit = forms.CharField(
        label="Artist credit",
        max_length=300,
        help_text="As it appears on releases, e.g. “Night Owls feat. Ana”.",
    )
    role = forms.ChoiceField(
        label="What do you own?",
        choices=list(ROLE_LABELS.items()),
        initial=DEFAULT_ROLE_CHOICE,
        widget=forms.RadioSelect,
    )
    isrc = forms.CharField(
        label="ISRC (recommended)",
        required=False,
        max_length=100,
        error_messages={"max_length": "This is too long to be an ISRC; check what you pasted."},
        help_text="The recording's code, e.g. US-RC1-76-07839. Platforms match your choices by "
        "it; lowercase and hyphens are fine.",
    )
    iswc = forms.CharField(
        label="ISWC (optional)",
        required=False,
        max_length=100,
        error_messages={"max_length": "This is too long to be an ISWC; check what you pasted."},
        help_text="The composition's code from your collecting society, e.g. T-034.524.680-1.",
    )
    duration = forms.CharField(
        label="Duration (optional)",
        required=False,
        max_length=100,
        error_messages={"max_length": "This is too long to be a duration; write it like 3:45."},
        help_text="Minutes and seconds like 3:45, or seconds like 225.",
    )
    links = LinksField(
        label="Links (optional)",
        required=False,
        help_text="Where the track is online, one link per line: streaming pages, Bandcamp, "
        "SoundCloud, your own site.",
    )
    audio = forms.FileField(
        label="Audio file (optional)",
        required=False,
        help_text="We compute its SHA-256 fingerprint while it uploads so platforms can match "
        "the exact file.",
        widget=forms.FileInput(attrs={"accept": "audio/*"}),
    )

    def __init__(self, *args, upload_errors: Mapping[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.upload_errors = dict(upload_errors or {})

    def clean_title(self) -> str:
        return single_line(self.cleaned_data["title"], "title")

    def clean_artist_credit(self) -> str:
        return single_line(self.cleaned_data["artist_credit"], "artist credit")

    def clean_isrc(self) -> str | None:
        raw = self.cleaned_data["isrc"].strip()
        return identifier(normalize_isrc, raw) if raw else None

    def clean_iswc(self) -> str:
        raw = self.cleaned_data["iswc"].strip()
        return identifier(normalize_iswc, raw) if raw else ""

    def clean_duration(self) -> int | None:
        raw = self.cleaned_data["duration"].strip()
        if not raw:
            return None
        try:
            return parse_duration(raw)
        except DurationError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_audio(self) -> UploadedFile | None:
        # The upload handler refuses a file before it reaches the form; say why here.
        if "audio" in self.upload_errors:
            raise forms.ValidationError(self.upload_errors["audio"])
        upload = self.cleaned_data.get("audio")
        if upload and not is_audio(upload.name, upload.content_type):
            raise forms.ValidationError(not_audio_message(upload.name))
        return upload

    @property
    def roles(self) -> list[str]:
        return list(ROLE_CHOICES[self.cleaned_data["role"]])

    @property
    def audio_sha256(self) -> str:
        upload = self.cleaned_data.get("audio")
        if not upload:
            return ""
        sha256 = getattr(upload, "sha256", None)
        if sha256 is None:
            # A file that did not come through the hashing upload handler.
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            sha256 = digest.hexdigest()
        return sha256


class AddLinksForm(forms.Form):
    links = LinksField(label="Add links", required=False, help_text="One link per line.")

    def clean_links(self) -> list[str]:
        # Not a "required" field on the page: the form only exists to add something.
        if not self.cleaned_data["links"]:
            raise forms.ValidationError("Paste at least one link to add, one per line.")
        return self.cleaned_data["links"]


# --- Declaring choices ----------------------------------------------------------------------


def purpose_field_name(purpose: Purpose) -> str:
    return POLICY_FIELDS[purpose]


class PurposesForm(forms.Form):
    """One choice per purpose, plus where to ask for a licence.

    The same form serves the catalogue (unset reads "No reservation") and one track (unset
    reads "Inherit", with what it leads to: registry.in_force), so the two pages can never drift
    apart.
    """

    # Checked by the rules the CSV import applies too (consent.addresses): only a web page,
    # shown to the public and emitted in machine formats, and one email address.
    terms_url = forms.CharField(
        label="Licence terms URL",
        required=False,
        widget=forms.URLInput,
        help_text="A page describing how to license your music.",
    )
    contact_email = forms.CharField(
        label="Licensing contact email",
        required=False,
        widget=forms.EmailInput,
        help_text="Where AI companies can ask for a licence.",
    )

    def __init__(
        self,
        *args,
        unset_label: str,
        unset_labels: Mapping[Purpose, str] | None = None,
        **kwargs,
    ) -> None:
        """`unset_labels` can say, per purpose, what "unset" leads to (the inherited value and
        where it comes from)."""
        super().__init__(*args, **kwargs)
        for purpose in PURPOSES:
            value_choices = [
                (Value.UNSET.value, (unset_labels or {}).get(purpose, unset_label)),
                (Value.ALLOW.value, VALUE_LABELS[Value.ALLOW]),
                (Value.DENY.value, VALUE_LABELS[Value.DENY]),
                (Value.LICENSE.value, VALUE_LABELS[Value.LICENSE]),
            ]
            self.fields[purpose_field_name(purpose)] = forms.ChoiceField(
                label=LABELS[purpose],
                help_text=DESCRIPTIONS[purpose],
                choices=value_choices,
                initial=Value.UNSET.value,
                widget=forms.RadioSelect,
            )
        self.order_fields([purpose_field_name(p) for p in PURPOSES])

    @staticmethod
    def initial_from(statements: Mapping[Purpose, Statement]) -> dict[str, str]:
        """The form's starting values from the declarations in force at one level."""
        initial = {
            purpose_field_name(p): (statements[p].value if p in statements else Value.UNSET).value
            for p in PURPOSES
        }
        licensed = [s for s in statements.values() if s.value == Value.LICENSE]
        if licensed:
            initial["terms_url"] = licensed[0].terms_url
            initial["contact_email"] = licensed[0].contact_email
        return initial

    def purpose_fields(self) -> list[forms.BoundField]:
        return [self[purpose_field_name(p)] for p in PURPOSES]

    def clean_terms_url(self) -> str:
        return identifier(clean_terms_url, self.cleaned_data["terms_url"])

    def clean_contact_email(self) -> str:
        return identifier(clean_contact_email, self.cleaned_data["contact_email"])

    def clean(self) -> dict:
        cleaned = super().clean()
        if "terms_url" not in self.errors and "contact_email" not in self.errors:
            problem = licence_terms_missing(self._choices(cleaned))
            if problem:
                self.add_error("terms_url", problem)
        return cleaned

    def choices(self) -> dict[Purpose, PurposeChoice]:
        """What to declare; terms are attached only where a licence is asked for."""
        return self._choices(self.cleaned_data)

    @staticmethod
    def _choices(cleaned: Mapping) -> dict[Purpose, PurposeChoice]:
        terms_url = cleaned.get("terms_url") or ""
        contact_email = cleaned.get("contact_email") or ""
        result: dict[Purpose, PurposeChoice] = {}
        for purpose in PURPOSES:
            if purpose_field_name(purpose) not in cleaned:
                continue  # refused, and said so at its field
            value = Value(cleaned[purpose_field_name(purpose)])
            if value == Value.LICENSE:
                result[purpose] = PurposeChoice(value, terms_url, contact_email)
            else:
                result[purpose] = PurposeChoice(value)
        return result


# --- Filtering the dashboard ----------------------------------------------------------------

# Short purpose names for the dashboard's table columns and filters, so five fit side by side.
SHORT_LABELS: dict[Purpose, str] = {
    Purpose.TDM: "Data mining",
    Purpose.TRAIN_AI: "Any AI training",
    Purpose.TRAIN_GENAI: "Generative AI training",
    Purpose.AI_INPUT: "AI input",
    Purpose.SEARCH: "Search",
}

# The dashboard's columns and filters: first what the one-click opt-out changes, then the rest.
DASHBOARD_ORDER: tuple[Purpose, ...] = (
    *AI_OPT_OUT,
    *(purpose for purpose in PURPOSES if purpose not in AI_OPT_OUT),
)

# The dashboard's filter for tracks with choices of their own (`?own=on`).
OWN_CHOICES_FILTER = "own"


class DashboardFilterForm(forms.Form):
    """GET filters of the dashboard; purpose fields are named by purpose (`?train-genai=deny`)."""

    q = forms.CharField(label="Search title or ISRC", required=False, max_length=200)
    disputed = forms.BooleanField(label="Disputed only", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for purpose in DASHBOARD_ORDER:
            self.fields[purpose.value] = forms.ChoiceField(
                label=SHORT_LABELS[purpose],
                required=False,
                choices=[("", "Any"), *((v.value, VALUE_LABELS[v]) for v in Value)],
            )
        self.fields[OWN_CHOICES_FILTER] = forms.BooleanField(
            label="Only tracks with their own choices",
            required=False,
            help_text="Choices you made for a track come before your catalogue's.",
        )
        self.order_fields(
            ["q", *(p.value for p in DASHBOARD_ORDER), OWN_CHOICES_FILTER, "disputed"]
        )

    def purpose_fields(self) -> list[forms.BoundField]:
        return [self[p.value] for p in DASHBOARD_ORDER]

    @property
    def own_choices(self) -> forms.BoundField:
        return self[OWN_CHOICES_FILTER]

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())

    def apply(self, tracks: QuerySet[Track], creator: Creator) -> QuerySet[Track]:
        """Narrow a queryset of `creator`'s tracks (with their policy) to what the filters ask
        for."""
        if not self.is_valid():
            return tracks
        text = self.cleaned_data["q"].strip()
        if text:
            condition = Q(title__icontains=text)
            compact = re.sub(r"[\s\-]", "", text).upper()
            if compact:
                condition |= Q(isrc__contains=compact)
            tracks = tracks.filter(condition)
        for purpose in PURPOSES:
            value = self.cleaned_data[purpose.value]
            if value:
                tracks = tracks.filter(**{f"policy__{POLICY_FIELDS[purpose]}": value})
        if self.cleaned_data["disputed"]:
            tracks = tracks.filter(policy__disputed=True)
        if self.cleaned_data[OWN_CHOICES_FILTER]:
            tracks = tracks.filter(has_own_choices(creator))
        return tracks
