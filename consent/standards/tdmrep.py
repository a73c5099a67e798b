"""W3C TDMRep: `/.well-known/tdmrep.json` rules and the ODRL policy for licence-only choices.

TDMRep final report 2024 (docs/standards.md, "TDMRep"): the file is a JSON array of
`{"location", "tdm-reservation", "tdm-policy"?}`; locations use robots.txt `*` and `$`; the first
matching rule wins, so the most specific come first; no match means unset. The policy is JSON-LD
in TDMRep's ODRL profile.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from consent.standards import rules
from consent.standards.policy import Licence, PathPolicy, patterned_paths

TDMREP_CONTEXT = ["http://www.w3.org/ns/odrl.jsonld", "http://www.w3.org/ns/tdmrep.jsonld"]
TDMREP_PROFILE = "http://www.w3.org/ns/tdmrep"
TDMREP_POLICY_MEDIA_TYPE = "application/ld+json"


def tdmrep_rules(paths: Iterable[PathPolicy]) -> list[dict[str, object]]:
    """The rules of a tdmrep.json, most specific first; unset paths get no rule at all.

    Exact patterns come first, then prefixes from longest to shortest, so a track's own rule is
    always met before a catalogue-wide `/`.
    """
    entries = sorted(patterned_paths(paths), key=lambda pair: (not pair[1].exact, -len(pair[0])))
    result: list[dict[str, object]] = []
    for pattern, entry in entries:
        reservation = rules.tdm_reservation(entry.policy)
        if reservation is None:
            continue
        rule: dict[str, object] = {"location": pattern, "tdm-reservation": reservation}
        if entry.tdm_policy_url and rules.tdm_policy_applies(entry.policy):
            rule["tdm-policy"] = entry.tdm_policy_url
        result.append(rule)
    return result


def tdmrep_json(paths: Iterable[PathPolicy]) -> str:
    """The file itself: always an array, even for one rule or none."""
    return json.dumps(tdmrep_rules(paths), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Assigner:
    """The rightsholder a TDMRep policy names (ODRL `assigner`, a vCard party).

    `uid` is a URI for the party, such as the creator's public page; `url` is where a licence can
    be acquired when the licence itself gives no terms URL.
    """

    uid: str
    name: str
    email: str = ""
    url: str = ""


def tdmrep_policy(
    *, uid: str, target: str, assigner: Assigner, licence: Licence
) -> dict[str, object]:
    """The ODRL Offer for a licence-only choice, exactly in TDMRep's profile.

    `target` identifies the collection the offer covers, as the TDMRep ODRL profile's examples
    do: the track's public page for a track's policy, the creator's public page for their
    catalogue. It is never a licence document; the terms are the assigner's `vcard:hasURL`.

    Publish it only where `rules.tdm_policy_applies`. Its one action covers the whole TDM family,
    so it is never published beside a denial of part of it.

    Its one permission is `tdm:mine` with two duties: `obtainConsent`, because a licence is an
    agreement made first, and `compensate`, because "only under licence" means no free use (the
    same choice reads `n` in aipref and carries a `<payment>` in RSL).
    """
    party: dict[str, str] = {"uid": assigner.uid, "vcard:fn": assigner.name}
    email = Licence(contact_email=licence.contact_email or assigner.email).mailto
    if email:
        party["vcard:hasEmail"] = email
    url = licence.terms_link or Licence(terms_url=assigner.url).terms_link
    if url:
        party["vcard:hasURL"] = url
    return {
        "@context": list(TDMREP_CONTEXT),
        "@type": "Offer",
        "profile": TDMREP_PROFILE,
        "uid": uid,
        "assigner": party,
        "permission": [
            {
                "target": target,
                "action": "tdm:mine",
                "duty": [{"action": "obtainConsent"}, {"action": "compensate"}],
            }
        ],
    }


def tdmrep_policy_json(*, uid: str, target: str, assigner: Assigner, licence: Licence) -> str:
    policy = tdmrep_policy(uid=uid, target=target, assigner=assigner, licence=licence)
    return json.dumps(policy, indent=2, ensure_ascii=False) + "\n"
