"""Resolution: from declarations to the value in force for each purpose.

Plain functions over plain data so that the rule users must be able to predict
(docs/architecture.md, "Resolution") is testable on its own. For one claim, the value of a purpose
is the first explicit value found walking: the track-level statement for that purpose, its broader
purposes at track level, then the creator's catalogue-wide statement for that purpose and its
broader purposes there. Across claims the most restrictive value wins.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from consent.purposes import (
    PURPOSES,
    RESERVING,
    RESTRICTIVENESS,
    Purpose,
    Value,
    broader_chain,
)

TRACK = "track"
CATALOGUE = "catalogue"


@dataclass(frozen=True)
class Statement:
    """The latest declaration one creator made for one purpose at one level."""

    value: Value
    declaration_id: int
    declared_at: datetime
    terms_url: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class Resolved:
    """The value in force for one purpose, with where it comes from."""

    value: Value
    level: str | None = None  # TRACK, CATALOGUE, or None when unset
    declared_for: Purpose | None = None  # the purpose the statement was made for
    declaration_id: int | None = None
    declared_at: datetime | None = None
    claim_id: int | None = None
    terms_url: str = ""
    contact_email: str = ""
    # How the claim behind this value is proven ("link", "review", "account"); "" when it is not.
    proof: str = ""
    # True when the claim named licence terms that are not published because it is unverified.
    terms_withheld: bool = False

    @property
    def reserved(self) -> bool:
        return self.value in RESERVING


UNSET = Resolved(Value.UNSET)


def resolve_claim(
    track_statements: Mapping[Purpose, Statement],
    catalogue_statements: Mapping[Purpose, Statement],
    claim_id: int | None = None,
    proof: str = "",
) -> dict[Purpose, Resolved]:
    """Every purpose's value for one claim. An `unset` statement means "inherit": it is skipped.

    `proof` says how the claim is verified ("" when it is not); it is carried on every value so
    that `unverified` and `combine` can weigh it.
    """
    result: dict[Purpose, Resolved] = {}
    for purpose in PURPOSES:
        resolved = _first_explicit(purpose, track_statements, catalogue_statements, claim_id)
        result[purpose] = (
            replace(resolved, proof=proof) if resolved.value != Value.UNSET else resolved
        )
    return result


def _first_explicit(
    purpose: Purpose,
    track_statements: Mapping[Purpose, Statement],
    catalogue_statements: Mapping[Purpose, Statement],
    claim_id: int | None,
) -> Resolved:
    for level, statements in ((TRACK, track_statements), (CATALOGUE, catalogue_statements)):
        for candidate in broader_chain(purpose):
            statement = statements.get(candidate)
            if statement is not None and statement.value != Value.UNSET:
                return Resolved(
                    value=statement.value,
                    level=level,
                    declared_for=candidate,
                    declaration_id=statement.declaration_id,
                    declared_at=statement.declared_at,
                    claim_id=claim_id,
                    terms_url=statement.terms_url,
                    contact_email=statement.contact_email,
                )
    return UNSET


def combine(per_claim: Iterable[Mapping[Purpose, Resolved]]) -> dict[Purpose, Resolved]:
    """The most restrictive value across claims, purpose by purpose.

    Between equally restrictive values a verified claim's wins (so licence terms that can be
    published are the ones published); otherwise ties keep the first claim given, so callers pass
    claims in a stable order (oldest first) and the provenance of an answer does not flicker
    between equal claims.
    """
    combined: dict[Purpose, Resolved] = {purpose: UNSET for purpose in PURPOSES}
    for resolution in per_claim:
        for purpose in PURPOSES:
            candidate = resolution.get(purpose, UNSET)
            current = combined[purpose]
            stricter = RESTRICTIVENESS[candidate.value] > RESTRICTIVENESS[current.value]
            tie = RESTRICTIVENESS[candidate.value] == RESTRICTIVENESS[current.value]
            if stricter or (tie and candidate.proof and not current.proof):
                combined[purpose] = candidate
    return combined


def unverified(resolution: Mapping[Purpose, Resolved]) -> dict[Purpose, Resolved]:
    """An unverified claim: reserving is always safe, permitting and selling need proof.

    Its `deny` counts as it is. Its `allow` stops counting (`unset`), so a stranger cannot loosen
    anyone's music. Its `license` stays a reservation, but the terms and contact it names are not
    published: nobody should be sent to pay someone who has not proven they own the track.
    """
    result: dict[Purpose, Resolved] = {}
    for purpose, resolved in resolution.items():
        if resolved.value == Value.ALLOW:
            result[purpose] = UNSET
        elif resolved.value == Value.LICENSE:
            withheld = bool(resolved.terms_url or resolved.contact_email)
            result[purpose] = replace(
                resolved, terms_url="", contact_email="", terms_withheld=withheld
            )
        else:
            result[purpose] = resolved
    return result


def reservations_only(resolution: Mapping[Purpose, Resolved]) -> dict[Purpose, Resolved]:
    """A suspended creator's claim: only its reservations keep counting, as denials.

    An opt-out is never dropped because an account is suspended, so a denial stays in force. A
    licence reservation stays a reservation but becomes a denial: nobody should be sent to ask
    a suspended account for a licence. Permissions (`allow`) stop counting.
    """
    result: dict[Purpose, Resolved] = {}
    for purpose, resolved in resolution.items():
        if resolved.reserved:
            result[purpose] = replace(resolved, value=Value.DENY, terms_url="", contact_email="")
        else:
            result[purpose] = UNSET
    return result
