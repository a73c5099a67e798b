"""Where each value of a track's policy comes from, in one typed shape.

`EffectivePolicy.provenance` stores, per purpose, the declaration behind the value in force: its
level, the purpose it was declared for, when, by which claim (role, creator) and how that claim
is proven, and for a licence where to ask. This module is the only one that reads or writes that
JSON: `read_sources` turns it into frozen `Source`s with real datetimes and UUIDs,
`provenance_json` writes them back, and `answer_policy` gives the API's `policy` from them. Every
page, feed and answer reads provenance through `EffectivePolicy.sources()`, which calls
`read_sources`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from consent.purposes import PURPOSES, Purpose, Value
from consent.times import parse_rfc3339, rfc3339

VERIFIED = "verified"
UNVERIFIED = "unverified"


@dataclass(frozen=True)
class ClaimProof:
    """How the claim behind a value is proven: `method` ("link", "review", "account"), or ""
    when it is not."""

    method: str = ""

    @property
    def verified(self) -> bool:
        return bool(self.method)

    def as_json(self) -> dict:
        if self.method:
            return {"status": VERIFIED, "method": self.method}
        return {"status": UNVERIFIED}

    @classmethod
    def from_json(cls, data: Mapping) -> ClaimProof:
        return cls(data.get("method", "") if data.get("status") == VERIFIED else "")


@dataclass(frozen=True)
class Source:
    """The declaration behind the value in force for one purpose of one track."""

    purpose: Purpose
    value: Value
    level: str  # consent.resolution.TRACK or CATALOGUE
    declared_for: Purpose  # the purpose itself, or the broader one the value comes from
    declaration: int
    declared_at: datetime
    claim: uuid.UUID
    role: str  # consent.models.Claim.Role
    creator: uuid.UUID
    # None on provenance stored before claims were verified (consent migration 0009).
    proof: ClaimProof | None = None
    # Only for `license`: where to ask, and whether the claim's terms are withheld (unverified).
    terms_url: str = ""
    contact_email: str = ""
    terms_withheld: bool = False

    @property
    def inherited(self) -> bool:
        """The value comes from the choice for a broader purpose."""
        return self.declared_for != self.purpose

    @property
    def verified(self) -> bool:
        return self.proof is not None and self.proof.verified

    @cached_property
    def _texts(self) -> tuple[str, str, str]:
        """declared_at, claim and creator as written, once per source: every policy write
        writes each twice (the provenance and the API's answer)."""
        return rfc3339(self.declared_at), str(self.claim), str(self.creator)

    def as_json(self) -> dict:
        """The stored provenance entry of this purpose."""
        declared_at, claim, creator = self._texts
        entry: dict = {
            "value": self.value.value,
            "level": self.level,
            "declared_for": self.declared_for.value,
            "declaration": self.declaration,
            "declared_at": declared_at,
            "claim": claim,
            "role": self.role,
            # The public id, not the handle: a handle can be renamed, provenance must not.
            "creator": creator,
        }
        if self.proof is not None:
            entry["verification"] = self.proof.as_json()
        if self.value == Value.LICENSE:
            entry |= {"terms_url": self.terms_url, "contact_email": self.contact_email}
            if self.terms_withheld:
                entry["terms_withheld"] = True
        return entry

    @classmethod
    def from_json(cls, purpose: Purpose, entry: Mapping) -> Source:
        value = Value(entry["value"])
        licence = value == Value.LICENSE
        proof = entry.get("verification")
        return cls(
            purpose=purpose,
            value=value,
            level=entry["level"],
            declared_for=Purpose(entry.get("declared_for") or purpose),
            declaration=entry["declaration"],
            declared_at=parse_rfc3339(entry["declared_at"]),
            claim=uuid.UUID(entry["claim"]),
            role=entry["role"],
            creator=uuid.UUID(entry["creator"]),
            proof=None if proof is None else ClaimProof.from_json(proof),
            terms_url=(entry.get("terms_url") or "") if licence else "",
            contact_email=(entry.get("contact_email") or "") if licence else "",
            terms_withheld=licence and bool(entry.get("terms_withheld")),
        )

    def answer(self) -> dict:
        """This purpose in the API's `policy` (api/schema.py, `PurposeAnswer`)."""
        declared_at, claim, creator = self._texts
        item: dict = {
            "value": self.value.value,
            "source": {
                "level": self.level,
                "declared_for": self.declared_for.value,
                "claim": claim,
                "role": self.role,
                "creator": creator,
                "declaration": self.declaration,
                "declared_at": declared_at,
                "verification": None if self.proof is None else self.proof.as_json(),
            },
        }
        if self.value == Value.LICENSE:
            item["terms"] = {
                "terms_url": self.terms_url,
                "contact_email": self.contact_email,
                # True when the claim named terms that stay unpublished until it is verified.
                "withheld": self.terms_withheld,
            }
        return item


# The API's view of one purpose when nothing is reserved.
UNSET_ANSWER = {"value": Value.UNSET.value, "source": None}
UNSET_ENTRY = {"value": Value.UNSET.value}


def read_sources(
    provenance: Mapping | None, purposes: Iterable[Purpose] = PURPOSES
) -> dict[Purpose, Source]:
    """The source of each purpose (of `purposes`) whose stored value is not `unset`."""
    provenance = provenance or {}
    sources: dict[Purpose, Source] = {}
    for purpose in purposes:
        entry = provenance.get(purpose.value)
        if entry and entry.get("value", Value.UNSET.value) != Value.UNSET.value:
            sources[purpose] = Source.from_json(purpose, entry)
    return sources


def provenance_json(sources: Mapping[Purpose, Source]) -> dict[str, dict]:
    """What EffectivePolicy.provenance stores: an entry for every purpose, unset ones bare."""
    return {
        purpose.value: sources[purpose].as_json() if purpose in sources else dict(UNSET_ENTRY)
        for purpose in PURPOSES
    }


def answer_policy(sources: Mapping[Purpose, Source]) -> dict[str, dict]:
    """The API's `policy`: per purpose its value, where it comes from, and licence terms."""
    return {
        purpose.value: sources[purpose].answer() if purpose in sources else UNSET_ANSWER
        for purpose in PURPOSES
    }
