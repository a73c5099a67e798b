"""What the artist's pages show: rows, cells, and the sentences that say what a save did.

Plain data built from rows already loaded, for the templates of registry.views_artist.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from consent.models import Claim, Creator, Declaration, Dispute, Track
from consent.platforms import AppliedCount
from consent.purposes import (
    AI_OPT_OUT,
    BROADER,
    LABELS,
    PURPOSES,
    VALUE_LABELS,
    Purpose,
    Value,
)
from consent.resolution import Resolved, Statement, resolve_claim
from registry.forms import DASHBOARD_ORDER, OWN_CHOICES_FILTER
from registry.in_force import level_words
from registry.policy_rows import PurposeRow, owner_rows
from registry.queries import policy_of
from registry.verification_ui import badge_of

DISPUTE_OPENED = (
    "This ISRC is already claimed by another creator; both claims stay recorded, the most "
    "restrictive choice applies, and a dispute has been opened. An administrator will review it."
)


def sentence_label(purpose: Purpose) -> str:
    """A purpose's label as it reads inside a sentence ("training generative AI")."""
    label = LABELS[purpose]
    return label if label[1:2].isupper() else label[0].lower() + label[1:]


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def format_duration(seconds: int | None) -> str:
    """225 → "3:45", 3723 → "1:02:03"."""
    if not seconds:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@dataclass(frozen=True)
class DashboardRow:
    track: Track
    roles: list[str]
    cells: list[PurposeRow]
    disputed: bool
    # How many approved platforms have applied the track's latest change; None: no change yet.
    applied: AppliedCount | None = None
    # How far the artist's own claims are proven (registry.verification_ui.badge_of).
    verification: str = ""

    @property
    def columns(self) -> list[PurposeRow]:
        """The cells in the dashboard's column order (DASHBOARD_ORDER)."""
        by_purpose = {cell.purpose: cell for cell in self.cells}
        return [by_purpose[purpose] for purpose in DASHBOARD_ORDER]


def dashboard_row(track: Track, applied: AppliedCount | None = None) -> DashboardRow:
    my_claims = track.my_claims  # prefetched: this creator's active claims on the track
    policy = policy_of(track)
    return DashboardRow(
        track=track,
        roles=[claim.get_role_display() for claim in my_claims],
        cells=owner_rows(policy, {claim.public_id for claim in my_claims}),
        disputed=bool(policy and policy.disputed),
        applied=applied,
        verification=badge_of(my_claims),
    )


@dataclass(frozen=True)
class OpenDispute:
    dispute: Dispute
    competitors: list[str]


def describe_dispute(dispute: Dispute, creator: Creator) -> OpenDispute:
    names = dict.fromkeys(
        claim.creator.artist_name
        for claim in dispute.claims.all()
        if claim.creator_id != creator.id and claim.status == Claim.Status.ACTIVE
    )
    return OpenDispute(dispute, list(names))


# --- What a save did, in words --------------------------------------------------------------


def registration_message(creator: Creator, track: Track, disputes: list[Dispute]) -> str:
    if disputes:
        return f"“{track.title}” is registered. {DISPUTE_OPENED}"
    if track.claims.active().exclude(creator=creator).exists():
        return (
            f"This ISRC was already registered as “{track.title}”, so your claim was added to "
            "it. When claims differ, the most restrictive choice applies."
        )
    return (
        f"“{track.title}” is registered. Your catalogue-wide choices apply to it; set choices "
        "for this track below if it needs different ones."
    )


def describe_saved(declarations: Iterable[Declaration], scope: str, *, track_level: bool) -> str:
    """ "Saved: training generative AI is now Not allowed for “Night Drive”."""
    changes = []
    for declaration in declarations:
        purpose = Purpose(declaration.purpose)
        value = Value(declaration.value)
        if value == Value.UNSET:
            outcome = "now inherits from your catalogue" if track_level else "has no reservation"
            changes.append(f"{sentence_label(purpose)} {outcome}")
        else:
            changes.append(f"{sentence_label(purpose)} is now {VALUE_LABELS[value]}")
    return f"Saved: {join_words(changes)} for {scope}."


def own_choices_url() -> str:
    """The dashboard, filtered to the tracks that have choices of their own."""
    return f"{reverse('dashboard')}?{OWN_CHOICES_FILTER}=on"


def applying_message(total: int) -> str:
    """What an artist reads when a catalogue-wide change goes to a background job."""
    return (
        f"It is being applied to your {total} tracks in the background; the dashboard "
        "shows how far it has got, and until a track is reached platforms still receive its "
        "earlier answer."
    )


def opt_out_message(changed: bool, total: int, denying: int, own_choices_url: str) -> SafeString:
    """What the opt-out did, how many tracks now deny every AI use, and a link to the tracks
    that keep choices of their own (the dashboard's own-choices filter, `own_choices_url`)."""
    purposes = join_words([sentence_label(p) for p in AI_OPT_OUT])
    if changed:
        text = f"Done: {purposes} are now Not allowed for your whole catalogue."
    else:
        text = f"Nothing changed: your whole catalogue already denies {purposes}."
    review = format_html(
        '<a href="{}">show the tracks with choices of their own</a>.', own_choices_url
    )
    if total == 0:
        return format_html("{} Every track you register will deny them too.", text)
    if total == 1:
        if denying:
            return format_html("{} Your track now denies all three.", text)
        return format_html("{} Your track keeps a choice you made for it: {}", text, review)
    text += f" {denying} of your {total} tracks now deny all three."
    other = total - denying
    if other == 1:
        return format_html("{} The other one keeps a choice you made for it: {}", text, review)
    if other > 1:
        return format_html(
            "{} The other {} keep choices you made for them: {}", text, other, review
        )
    return format_html("{}", text)


# --- The catalogue page and the history -----------------------------------------------------


@dataclass(frozen=True)
class CataloguePurpose:
    label: str
    value: str
    broader: str


def catalogue_purpose(purpose: Purpose, resolved: Resolved) -> CataloguePurpose:
    """One purpose as the catalogue alone resolves it, with the broader purpose it follows."""
    return CataloguePurpose(
        label=LABELS[purpose],
        value=resolved.value.value,
        broader=LABELS[resolved.declared_for]
        if resolved.declared_for not in (None, purpose)
        else "",
    )


def catalogue_defaults(statements: Mapping[Purpose, Statement]) -> list[CataloguePurpose]:
    """What each purpose resolves to at catalogue level, broader purposes included."""
    return [catalogue_purpose(p, resolved) for p, resolved in resolve_claim({}, statements).items()]


def covers() -> list[tuple[str, list[str]]]:
    """Each broader purpose with the narrower ones it covers, as resolution walks them."""
    narrower: dict[Purpose, list[str]] = {}
    for purpose in PURPOSES:
        if BROADER[purpose] is not None:
            narrower.setdefault(BROADER[purpose], []).append(sentence_label(purpose))
    return [(LABELS[broader], names) for broader, names in narrower.items()]


@dataclass(frozen=True)
class RuleExample:
    """The rule at work on one track, resolved by the rule itself (consent.resolution)."""

    purpose: Purpose  # the purpose the example asks about
    catalogue: Purpose  # what the catalogue says, and for which purpose
    catalogue_value: Value
    track: Purpose  # what the track says, for a broader purpose
    track_value: Value
    result: Resolved

    @property
    def sentence(self) -> str:
        source = level_words(self.result.level, self.result.declared_for, self.purpose)
        return (
            f"Your catalogue says “{VALUE_LABELS[self.catalogue_value]}” for "
            f"{sentence_label(self.catalogue)}, as the one-click opt-out does, and for one track "
            f"you choose “{VALUE_LABELS[self.track_value]}” for {sentence_label(self.track)}. "
            f"On that track, {sentence_label(self.purpose)} is "
            f"“{VALUE_LABELS[self.result.value]}”: the value comes from {source}, because every "
            "choice made on a track comes before the catalogue's."
        )


def resolution_example() -> RuleExample:
    """A broader choice on a track against a narrower one in the catalogue."""
    never = datetime.min.replace(tzinfo=UTC)
    catalogue = {Purpose.TRAIN_GENAI: Statement(Value.DENY, 0, never)}
    track = {Purpose.TRAIN_AI: Statement(Value.LICENSE, 0, never, contact_email="-")}
    result = resolve_claim(track, catalogue)[Purpose.TRAIN_GENAI]
    return RuleExample(
        Purpose.TRAIN_GENAI,
        Purpose.TRAIN_GENAI,
        Value.DENY,
        Purpose.TRAIN_AI,
        Value.LICENSE,
        result,
    )


@dataclass(frozen=True)
class HistoryBatch:
    declared_at: datetime
    rows: list[Declaration]


# --- The one-click opt-out, as the catalogue's history gives it -----------------------------


@dataclass(frozen=True)
class OptOutState:
    """What the catalogue says for each purpose the one-click opt-out denies, and since when."""

    values: dict[Purpose, Resolved]
    # When the catalogue's value of one of these purposes last changed; None: never declared.
    since: datetime | None

    @property
    def opted_out(self) -> bool:
        return all(resolved.value == Value.DENY for resolved in self.values.values())

    @property
    def items(self) -> list[CataloguePurpose]:
        return [catalogue_purpose(p, resolved) for p, resolved in self.values.items()]


def opt_out_state(declarations: Iterable[Declaration]) -> OptOutState:
    """Replay the catalogue's declarations (oldest first) through the resolution, and note the
    last one that changed a value of the opt-out's purposes at catalogue level."""
    statements: dict[Purpose, Statement] = {}
    values = resolve_claim({}, statements)
    since = None
    for declaration in declarations:
        statements[Purpose(declaration.purpose)] = Statement(
            value=Value(declaration.value),
            declaration_id=declaration.id,
            declared_at=declaration.declared_at,
        )
        after = resolve_claim({}, statements)
        if any(after[p].value != values[p].value for p in AI_OPT_OUT):
            since = declaration.declared_at
        values = after
    return OptOutState({p: values[p] for p in AI_OPT_OUT}, since)
