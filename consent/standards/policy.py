"""The input of every standards output: an effective policy reduced to plain values.

Every format the registry speaks (docs/standards.md) is a pure function of one `Policy`, so the same
choice reads the same in robots.txt, TDMRep, Content-Usage, RSL and CAWG, and each format can be
tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol
from urllib.parse import urlsplit

from consent.provenance import Source
from consent.purposes import PURPOSES, RESERVING, RESTRICTIVENESS, Purpose, Value
from consent.resolution import Resolved, Statement, resolve_claim, unverified
from consent.standards import rules
from consent.standards.paths import path_pattern


@dataclass(frozen=True)
class Licence:
    """Where a licence-only purpose can be licensed: the artist's terms and/or a contact address."""

    terms_url: str = ""
    contact_email: str = ""
    # An unverified claim's licence: its terms stay unpublished, so it names nobody to ask.
    withheld: bool = False

    @property
    def terms_link(self) -> str:
        """The terms URL when it is a web address; anything else is never emitted as a link."""
        url = self.terms_url.strip()
        try:
            scheme = urlsplit(url).scheme
        except ValueError:
            return ""
        return url if scheme in ("http", "https") and _printable(url) else ""

    @property
    def mailto(self) -> str:
        email = self.contact_email.strip()
        if email and "@" in email and _printable(email) and not set(email) & set('<>"?#'):
            return f"mailto:{email}"
        return ""

    @property
    def url(self) -> str:
        """One address a machine can follow to obtain the licence: the terms, else the contact."""
        return self.terms_link or self.mailto


def _printable(text: str) -> bool:
    return all(0x20 < ord(ch) != 0x7F for ch in text)


@dataclass(frozen=True)
class Policy:
    """The value in force per purpose, with the licence terms of licence-only purposes.

    Missing purposes are `unset`. Licences are kept only for purposes whose value is `license`.
    """

    values: Mapping[Purpose, Value] = field(default_factory=dict)
    licences: Mapping[Purpose, Licence] = field(default_factory=dict)
    disputed: bool = False

    def __post_init__(self) -> None:
        values = {Purpose(p): Value(v) for p, v in self.values.items()}
        licences = {
            Purpose(p): licence
            for p, licence in self.licences.items()
            if values.get(Purpose(p)) == Value.LICENSE
        }
        object.__setattr__(self, "values", MappingProxyType(values))
        object.__setattr__(self, "licences", MappingProxyType(licences))

    def value(self, purpose: Purpose) -> Value:
        return self.values.get(purpose, Value.UNSET)

    def reserved(self, purpose: Purpose) -> bool:
        """`deny` or `license`: the "reserved(p)" of docs/standards.md, "Emission rules"."""
        return self.value(purpose) in RESERVING

    def allowed(self, purpose: Purpose) -> bool:
        return self.value(purpose) == Value.ALLOW

    @property
    def is_unset(self) -> bool:
        return all(self.value(p) == Value.UNSET for p in PURPOSES)

    @property
    def licence(self) -> Licence | None:
        """The licence outputs point to: that of `licensed_purpose`."""
        purpose = self.licensed_purpose
        return None if purpose is None else self.licences.get(purpose, Licence())

    @property
    def licensed_purpose(self) -> Purpose | None:
        """The broadest licence-only purpose, whose terms (and holder) every output names.

        Formats such as TDMRep and RSL name one set of terms; in practice an artist gives the same
        terms for every licence-only purpose, and the broadest one is the one most readers need.
        A licence whose terms are withheld (an unverified claim's) is never the one named: it
        stays a reservation, and with no other licence there is nobody to name.
        """
        return next(
            (
                p
                for p in PURPOSES
                if self.value(p) == Value.LICENSE and not self.licences.get(p, Licence()).withheld
            ),
            None,
        )

    @classmethod
    def from_resolved(cls, resolved: Mapping[Purpose, Resolved], disputed: bool = False) -> Policy:
        return cls(
            values={p: r.value for p, r in resolved.items()},
            licences={
                p: Licence(r.terms_url, r.contact_email, r.terms_withheld)
                for p, r in resolved.items()
                if r.value == Value.LICENSE
            },
            disputed=disputed,
        )

    @classmethod
    def from_effective(cls, effective: EffectivePolicyLike) -> Policy:
        """Read an `EffectivePolicy` row: values from its columns, terms from its sources."""
        values = {p: effective.value_of(p) for p in PURPOSES}
        licensed = [p for p, value in values.items() if value == Value.LICENSE]
        sources = effective.sources(licensed)
        licences = {}
        for purpose in licensed:
            source = sources.get(purpose)
            licences[purpose] = (
                Licence(source.terms_url, source.contact_email, source.terms_withheld)
                if source
                else Licence()
            )
        return cls(values=values, licences=licences, disputed=bool(effective.disputed))


class EffectivePolicyLike(Protocol):
    """What `Policy.from_effective` reads; `consent.models.EffectivePolicy` provides it."""

    disputed: bool

    def value_of(self, purpose: Purpose) -> Value: ...

    def sources(self, purposes: Iterable[Purpose] = ...) -> Mapping[Purpose, Source]: ...


UNSET_POLICY = Policy()


def combine_policies(policies: Iterable[Policy]) -> Policy:
    """The most restrictive value per purpose (docs/architecture.md, "Resolution"; aipref vocab §7).

    Used when one path carries several tracks: robots.txt resolves conflicting Allow/Disallow to
    the permissive side, so the registry must combine before it writes a single rule.
    """
    values: dict[Purpose, Value] = {}
    licences: dict[Purpose, Licence] = {}
    disputed = False
    for policy in policies:
        disputed = disputed or policy.disputed
        for purpose in PURPOSES:
            candidate = policy.value(purpose)
            current = values.get(purpose, Value.UNSET)
            if RESTRICTIVENESS[candidate] > RESTRICTIVENESS[current]:
                values[purpose] = candidate
                if purpose in policy.licences:
                    licences[purpose] = policy.licences[purpose]
    return Policy(values=values, licences=licences, disputed=disputed)


def catalogue_policy(statements: Mapping[Purpose, Statement], proven: bool = True) -> Policy:
    """A creator's catalogue-wide choice, resolved as for a track with no track-level statement.

    This is what the per-creator publishing kit reflects: the broader-purpose fallback applies
    exactly as it does for every track of the catalogue. A creator with no verified claim
    (`proven` false) is read as an unverified claim is: its reservations count, its permissions
    and licence terms are not published (consent.resolution.unverified).
    """
    resolved = resolve_claim({}, statements)
    return Policy.from_resolved(resolved if proven else unverified(resolved))


@dataclass(frozen=True)
class PathPolicy:
    """One path (with its query) on a host, and the policy of what is published there.

    `exact` paths match only that URL (robots.txt `$`, see `consent.standards.paths`); a
    non-exact path covers everything below it, as for the registry's own `/t/<id>/` pages or a
    creator's whole site (`/`). `tdm_policy_url` is the TDMRep policy for licence-only choices;
    every output names it only where `rules.tdm_policy_applies` to the path's policy.
    """

    path: str
    policy: Policy
    exact: bool = True
    tdm_policy_url: str = ""


def merge_paths(paths: Iterable[PathPolicy]) -> list[PathPolicy]:
    """One entry per pattern, combining several tracks on one URL to the most restrictive.

    robots.txt resolves a tie between Allow and Disallow to the permissive side, and aipref
    combines identical paths to the most restrictive; combining first gives both the same answer.
    The combined entry keeps a TDMRep policy URL only from a track that policy applies to, never
    one published for nothing (or not published at all) because its track is open or denied.
    """
    return [entry for _, entry in patterned_paths(paths)]


def patterned_paths(paths: Iterable[PathPolicy]) -> list[tuple[str, PathPolicy]]:
    """`merge_paths` with each entry's pattern, encoded once for every file that writes it."""
    merged: dict[str, list[PathPolicy]] = {}
    for entry in paths:
        merged.setdefault(path_pattern(entry.path, entry.exact), []).append(entry)
    result = []
    for pattern, entries in merged.items():
        first = entries[0]
        if len(entries) > 1:
            policy_url = next(
                (
                    e.tdm_policy_url
                    for e in entries
                    if e.tdm_policy_url and rules.tdm_policy_applies(e.policy)
                ),
                "",
            )
            policy = combine_policies(e.policy for e in entries)
            first = PathPolicy(first.path, policy, first.exact, policy_url)
        result.append((pattern, first))
    return result
