"""What is in force on a track for one of its owners, and where each value comes from, in words.

The track page's "What is in force now" and the "Inherit" choice of each purpose on its form say
the same thing, read from the same places as the API: the stored policy's sources
(`EffectivePolicy.sources()`) for what is in force now, and `consent.policies.compute_policies`
(the resolution every write goes through) for what leaving a purpose the artist has set to
"inherit" would give. Nothing here decides a value; it only names where the resolution found it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from uuid import UUID

from consent.models import Claim, Creator, EffectivePolicy, Track
from consent.policies import compute_policies, latest_statements
from consent.provenance import Source
from consent.purposes import LABELS, PURPOSES, VALUE_LABELS, Purpose, Value
from consent.resolution import TRACK, Statement, resolve_claim
from registry.policy_rows import PurposeRow, purpose_rows

INHERIT = "Inherit"
# What a claim is on, inside a sentence: "a co-owner's claim on the composition".
CLAIMED = {role: str(label).lower() for role, label in Claim.Role.choices}


def level_words(level: str | None, declared_for: Purpose | None, purpose: Purpose) -> str:
    """Where one of the owner's own statements sits: "this track's broader choice “Training
    any AI model”", "your catalogue" ..."""
    broader = declared_for is not None and declared_for != purpose
    if level == TRACK:
        if broader:
            return f"this track's broader choice “{LABELS[declared_for]}”"
        return "your choice for this track"
    if broader:
        return f"your catalogue's broader choice “{LABELS[declared_for]}”"
    return "your catalogue"


def source_words(source: Source, my_claims: set[UUID]) -> str:
    """Where a value in force comes from, as an owner of the track reads it."""
    if source.claim not in my_claims:
        role = CLAIMED.get(source.role)
        return f"a co-owner's claim on the {role}" if role else "a co-owner's claim"
    return level_words(source.level, source.declared_for, source.purpose)


@dataclass(frozen=True)
class Inherited:
    """What one purpose of a track is when the owner leaves it to inherit, and why.

    For a purpose the owner has set for this track (`if_chosen`), what it would be without that
    choice; otherwise what is in force now.
    """

    purpose: Purpose
    value: Value
    origin: str = ""  # where the value comes from; "" when nothing reserves the use
    note: str = ""  # why nothing does, when `origin` is ""
    if_chosen: bool = False

    @property
    def reason(self) -> str:
        return f"from {self.origin}" if self.origin else self.note

    @property
    def label(self) -> str:
        """The "Inherit" choice on the track's form: "Inherit: Only under licence (from this
        track's broader choice “Training any AI model”)"."""
        value = VALUE_LABELS[self.value]
        return f"{INHERIT}: {'would be ' + value if self.if_chosen else value} ({self.reason})"


@dataclass(frozen=True)
class TrackExplanation:
    """Everything the owner's track page says about what is in force and what "inherit" gives."""

    rows: list[PurposeRow]  # what is in force now, each row's origin in the owner's words
    inherited: dict[Purpose, Inherited]

    def inherit_labels(self) -> dict[Purpose, str]:
        return {purpose: item.label for purpose, item in self.inherited.items()}


def _unset_note(
    purpose: Purpose,
    statements: Mapping[Purpose, Statement],
    catalogue: Mapping[Purpose, Statement],
    creator: Creator,
) -> str:
    """Why nothing reserves a use: nobody chose anything that covers it, or the owner's own
    "Allowed" does not count yet (an unverified claim, or a suspended account)."""
    own = resolve_claim(statements, catalogue)[purpose]
    if own.value != Value.ALLOW:
        return "no choice covers it"
    where = level_words(own.level, own.declared_for, purpose)
    if creator.suspended_at is not None:
        return f"{where} says “Allowed”, which does not count while your account is suspended"
    return f"{where} says “Allowed”, which counts once your claim is verified"


def _explained(
    purpose: Purpose,
    value: Value,
    source: Source | None,
    my_claims: set[UUID],
    unset_note: str,
    if_chosen: bool = False,
) -> Inherited:
    if value == Value.UNSET:
        return Inherited(purpose, Value.UNSET, note=unset_note, if_chosen=if_chosen)
    if source is None:  # a policy stored before provenance was recorded
        return Inherited(purpose, value, note="its origin is not recorded", if_chosen=if_chosen)
    return Inherited(purpose, value, source_words(source, my_claims), if_chosen=if_chosen)


def explain_track(
    creator: Creator,
    track: Track,
    policy: EffectivePolicy | None,
    claims: Iterable[Claim],
) -> TrackExplanation:
    """What is in force on `track` for `creator` (one of its owners, holding `claims`), and what
    each purpose's "Inherit" choice leads to."""
    my_claims = {claim.public_id for claim in claims}
    statements = latest_statements([creator.id], [track.id])
    own = statements.get((creator.id, track.id), {})
    catalogue = statements.get((creator.id, None), {})
    sources = policy.sources() if policy is not None else {}

    now: dict[Purpose, Inherited] = {}
    for purpose in PURPOSES:
        value = policy.value_of(purpose) if policy is not None else Value.UNSET
        note = _unset_note(purpose, own, catalogue, creator)
        now[purpose] = _explained(purpose, value, sources.get(purpose), my_claims, note)

    inherited = dict(now)
    for purpose, statement in own.items():
        if statement.value == Value.UNSET:
            continue
        # The owner chose this purpose for the track: resolve the track without that choice.
        without = {other: s for other, s in own.items() if other != purpose}
        computed = compute_policies([track.id], assume={(creator.id, track.id): without})
        result = computed[track.id]
        inherited[purpose] = _explained(
            purpose,
            result.values[purpose].value,
            result.sources().get(purpose),
            my_claims,
            _unset_note(purpose, without, catalogue, creator),
            if_chosen=True,
        )

    rows = [
        row if row.source is not None else replace(row, origin=now[row.purpose].note)
        for row in purpose_rows(policy, lambda source: source_words(source, my_claims))
    ]
    return TrackExplanation(rows, inherited)
