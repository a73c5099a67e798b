"""What the artist's pages show: rows, cells, and the sentences that say what a save did.

Plain data built from rows already loaded, for the templates of registry.views_artist.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from consent.models import Claim, Creator, Declaration, Dispute, Track
from consent.platforms import AppliedCount
from consent.purposes import AI_OPT_OUT, LABELS, VALUE_LABELS, Purpose, Value
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


def opt_out_message(changed: bool, total: int, denying: int) -> str:
    """What the opt-out did, and how many tracks now deny every AI use."""
    purposes = join_words([sentence_label(p) for p in AI_OPT_OUT])
    if changed:
        text = f"Done: {purposes} are now Not allowed for your whole catalogue."
    else:
        text = f"Nothing changed: your whole catalogue already denies {purposes}."
    if total == 0:
        text += " Every track you register will deny them too."
    elif total == 1:
        text += (
            " Your track now denies all three."
            if denying
            else " Your track keeps a choice you made for it; open it to review that choice."
        )
    else:
        text += f" {denying} of your {total} tracks now deny all three."
        other = total - denying
        if other == 1:
            text += " The other one keeps a choice you made for it; open it to review that choice."
        elif other > 1:
            text += (
                f" The other {other} keep choices you made for them; filter the dashboard to "
                "review those choices."
            )
    return text


# --- The catalogue page and the history -----------------------------------------------------


@dataclass(frozen=True)
class CataloguePurpose:
    label: str
    value: str
    broader: str


@dataclass(frozen=True)
class HistoryBatch:
    declared_at: datetime
    rows: list[Declaration]
