"""One line per purpose of a track's policy, with where its value comes from: the one row type of
every page that lists a track with its policy (the artist's dashboard and track page, the public
page of a track).

Rows are read from the policy's typed sources (`EffectivePolicy.sources()`); only the words for
where a value comes from depend on who reads the page: the artist's dashboard says "this track",
"catalogue default" or "from a co-owner's claim", the artist's track page says it in full
(registry.in_force: "this track's broader choice “Training any AI model”"), the public the level
and who declared it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

from consent.models import Claim, Creator, EffectivePolicy
from consent.provenance import Source
from consent.purposes import DESCRIPTIONS, LABELS, PURPOSES, Purpose, Value
from consent.resolution import CATALOGUE, TRACK

# Where a value comes from, as the public page says it.
LEVEL_LABELS = {TRACK: "Set for this track", CATALOGUE: "Artist's catalogue default"}
ROLE_LABELS = {
    Claim.Role.RECORDING: "recording owner",
    Claim.Role.COMPOSITION: "songwriter or publisher",
}


@dataclass(frozen=True)
class PurposeRow:
    """One purpose of a track's effective policy: its value, and where the value comes from."""

    purpose: Purpose
    value: Value
    source: Source | None = None  # None when unset
    # Where the value comes from, in the words of the page's reader.
    origin: str = ""
    # The artist name of the creator whose declaration it is, where the page names them.
    declared_by: str = ""

    @property
    def code(self) -> str:
        return self.purpose.value

    @property
    def label(self) -> str:
        return LABELS[self.purpose]

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.purpose]

    @property
    def broader(self) -> str:
        """The broader purpose whose choice this value follows; "" when chosen for itself."""
        return LABELS[self.source.declared_for] if self.source and self.source.inherited else ""

    @property
    def declared_at(self) -> datetime | None:
        return self.source.declared_at if self.source else None

    @property
    def role(self) -> str:
        return ROLE_LABELS.get(self.source.role, "") if self.source else ""

    @property
    def terms_url(self) -> str:
        return self.source.terms_url if self.source else ""

    @property
    def contact_email(self) -> str:
        return self.source.contact_email if self.source else ""

    @property
    def terms_url_is_link(self) -> bool:
        """Only web addresses become links; anything else is shown as text, never executed."""
        return urlsplit(self.terms_url).scheme in ("http", "https")


def purpose_rows(
    policy: EffectivePolicy | None,
    origin: Callable[[Source], str],
    names: dict[UUID, str] | None = None,
) -> list[PurposeRow]:
    """Every purpose of `policy` (all `unset` without one), `origin` saying where each value
    comes from; `names` gives the artist name of each creator, where the page names them."""
    sources = policy.sources() if policy is not None else {}
    rows = []
    for purpose in PURPOSES:
        value = policy.value_of(purpose) if policy is not None else Value.UNSET
        source = sources.get(purpose) if value != Value.UNSET else None
        if source is None:
            rows.append(PurposeRow(purpose, value))
            continue
        declared_by = (names or {}).get(source.creator, "")
        rows.append(PurposeRow(purpose, value, source, origin(source), declared_by))
    return rows


def owner_rows(policy: EffectivePolicy | None, my_claims: set[UUID]) -> list[PurposeRow]:
    """The rows as an owner of the track reads them: their own choices, or a co-owner's."""

    def origin(source: Source) -> str:
        if source.claim not in my_claims:
            return "from a co-owner's claim"
        return "this track" if source.level == TRACK else "catalogue default"

    return purpose_rows(policy, origin)


def public_rows(policy: EffectivePolicy) -> list[PurposeRow]:
    """The rows as anyone reads them on the track's public page: the level and who declared."""
    creators = {source.creator for source in policy.sources().values()}
    names = dict(
        Creator.objects.filter(public_id__in=creators).values_list("public_id", "artist_name")
    )
    return purpose_rows(policy, lambda source: LEVEL_LABELS.get(source.level, ""), names)
