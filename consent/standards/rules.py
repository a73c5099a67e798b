"""The emission rules: the one place that decides what each format says (docs/standards.md).

Every serializer in `consent.standards` asks these functions and never looks at values itself,
so a change of a draft specification is a change here, once, for every output.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from consent.purposes import AI_TRAINING, Purpose, Value, most_restrictive

if TYPE_CHECKING:  # `policy` imports this module to merge paths; only annotations need `Policy`.
    from consent.standards.policy import Policy

P = Purpose

# The purposes TDMRep's single reservation covers (docs/standards.md, "Emission rules").
TDM_FAMILY: tuple[Purpose, ...] = (P.TDM, P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT)

# aipref keys, the registry purpose each is read from, and the vocabulary draft that defines the
# label (docs/standards.md, "Value mapping"). The vocab draft's `train-ai` means training models
# that generate content, which is the registry's `train-genai`; `ai-use` (use of an asset by an
# AI system at the time of use, from draft -08) is the registry's answer-time `ai-input`. A new
# draft that renames a label is a change of one line here.
AIPREF_VOCAB_DRAFTS: dict[str, str] = {
    "train-ai": "draft-ietf-aipref-vocab-05",
    "search": "draft-ietf-aipref-vocab-05",
    "ai-use": "draft-ietf-aipref-vocab-08",
}
AIPREF_KEYS: tuple[tuple[str, Purpose], ...] = (
    ("train-ai", P.TRAIN_GENAI),
    ("ai-use", P.AI_INPUT),
    ("search", P.SEARCH),
)

# Cloudflare's Content Signals (`Content-Signal:` in robots.txt, contentsignals.org): one key per
# registry purpose, `yes`/`no`. `ai-train` is "training or fine-tuning AI models", any model, so
# it says `yes` only when both training purposes are allowed and `no` when either is reserved.
CONTENT_SIGNALS: tuple[tuple[str, tuple[Purpose, ...]], ...] = (
    ("search", (P.SEARCH,)),
    ("ai-input", (P.AI_INPUT,)),
    ("ai-train", (P.TRAIN_AI, P.TRAIN_GENAI)),
)

NOAI_DIRECTIVES = "noai, noimageai"


def tdm_reservation(policy: Policy) -> int | None:
    """TDMRep `tdm-reservation`: 1, 0, or None for "say nothing".

    TDMRep cannot reserve only part of TDM, so any reserved purpose of the family reserves it all;
    a `tdm-policy` accompanies it only when `tdm_policy_applies`. `0` tells TDM agents they may
    mine without contacting the rightsholder (TDMRep final report, section 3.2), which waives every
    use of the family at once: it is sent only when all four purposes are an explicit `allow`.
    Anything short of that (one purpose allowed, the others unstated) says nothing.
    """
    if any(policy.reserved(p) for p in TDM_FAMILY):
        return 1
    if all(policy.allowed(p) for p in TDM_FAMILY):
        return 0
    return None


def tdm_policy_applies(policy: Policy) -> bool:
    """Whether a `tdm-policy` is published (and named) with the reservation.

    Only when at least one purpose of the family is `license` (with someone named to obtain it
    from) and none is `deny`. The TDMRep policy offers the single action `tdm:mine` for the whole
    family; it cannot say "training under licence, text and data mining never", so beside a
    denial an offer for a fee would offer the denied use too. The reservation (`1`) then stands
    alone, and the page's other signals (Content-Usage, robots.txt, RSL, CAWG) say which part is
    licensable and which is refused; `/policies/<id>.json` says so and names the licence.
    Every output (headers, meta tags, tdmrep.json, the policy document itself) asks this.
    A licence whose terms are withheld (an unverified claim's) offers nothing: the offer would
    name as the party to pay someone who has not proven they own the music.
    """
    values = [policy.value(p) for p in TDM_FAMILY]
    offered = any(
        policy.value(p) == Value.LICENSE and not getattr(policy.licences.get(p), "withheld", False)
        for p in TDM_FAMILY
    )
    return offered and Value.DENY not in values


def content_usage(policy: Policy) -> dict[str, str]:
    """The IETF aipref dictionary: `n` when reserved (a licence is no free use), `y` when allowed.

    Unset keys are omitted, never guessed (docs/standards.md, "Value mapping").
    """
    result: dict[str, str] = {}
    for key, purpose in AIPREF_KEYS:
        if policy.reserved(purpose):
            result[key] = "n"
        elif policy.allowed(purpose):
            result[key] = "y"
    return result


def content_usage_value(policy: Policy) -> str:
    """The serialized dictionary (RFC 9651 §4.1.2), `""` when there is nothing to say."""
    return ", ".join(f"{key}={token}" for key, token in content_usage(policy).items())


def content_signals(policy: Policy) -> dict[str, str]:
    """Cloudflare's Content Signals: `no` when any purpose behind a key is reserved (a licence is
    no free use), `yes` only when every one is allowed; nothing is said otherwise."""
    result: dict[str, str] = {}
    for key, purposes in CONTENT_SIGNALS:
        if any(policy.reserved(p) for p in purposes):
            result[key] = "no"
        elif all(policy.allowed(p) for p in purposes):
            result[key] = "yes"
    return result


def common_content_signals(policies: Iterable[Policy]) -> dict[str, str]:
    """The signals every one of several policies gives alike.

    `Content-Signal` applies to a whole robots.txt group, not to a path, so a file that carries
    many paths states only what holds for all of them; each path's own preferences travel in its
    `Content-Usage` rule. No policy at all: nothing to say.
    """
    common: dict[str, str] | None = None
    for policy in policies:
        signals = content_signals(policy)
        if common is None:
            common = signals
        else:
            common = {k: v for k, v in common.items() if signals.get(k) == v}
        if not common:
            return {}
    return common or {}


def content_signal_value(signals: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in signals.items())


def noai(policy: Policy) -> bool:
    """`X-Robots-Tag: noai, noimageai` and the robots meta tag: when `train-genai` is reserved."""
    return policy.reserved(P.TRAIN_GENAI)


def nosnippet_applies(policy: Policy, opted_in: bool) -> bool:
    """Google's AI Overviews and AI Mode use only what `nosnippet` (or `max-snippet`,
    `data-nosnippet`) leaves them; Google-Extended does not reach them. `nosnippet` also removes
    the text snippet under the page in ordinary Google results, so it is never implied by a
    choice: the artist opts in on their own site, and it applies only while `ai-input` is
    reserved."""
    return opted_in and policy.reserved(P.AI_INPUT)


def robots_directives(policy: Policy, *, nosnippet: bool = False) -> str:
    """The `X-Robots-Tag` value (and robots meta content), `""` when there is nothing to say."""
    directives = [NOAI_DIRECTIVES] if noai(policy) else []
    if nosnippet_applies(policy, nosnippet):
        directives.append("nosnippet")
    return ", ".join(directives)


def _purposes(purposes: Purpose | Iterable[Purpose]) -> tuple[Purpose, ...]:
    return (purposes,) if isinstance(purposes, Purpose) else tuple(purposes)


def agent_disallowed(policy: Policy, purposes: Purpose | Iterable[Purpose]) -> bool:
    """A robots.txt path is disallowed for an agent when any one of its purposes is denied.

    A licence-only purpose is not a reason to keep a crawler out: RSL 1.0 says `License:` never
    changes what Allow/Disallow say, so a crawler that took the licence must be able to fetch.
    The reservation still travels on the path (`Content-Usage … =n`, the `License:` line, the
    page's headers); the agent's group says `Allow` for it when the group exists for a denial.
    """
    return any(policy.value(p) == Value.DENY for p in _purposes(purposes))


def agent_licence_only(policy: Policy, purposes: Purpose | Iterable[Purpose]) -> bool:
    """Some purpose of the agent is licence-only and none is denied."""
    return not agent_disallowed(policy, purposes) and any(
        policy.value(p) == Value.LICENSE for p in _purposes(purposes)
    )


def agent_reservation(policy: Policy, purposes: Purpose | Iterable[Purpose]) -> Value:
    """The most restrictive value among an agent's purposes: what its Disallow stands for."""
    return most_restrictive([policy.value(p) for p in _purposes(purposes)])


def ai_txt_disallowed(policy: Policy) -> bool:
    """ai.txt is read by dataset downloaders, which train generative models."""
    return policy.reserved(P.TRAIN_GENAI)


def ai_txt_full_opt_out(policy: Policy) -> bool:
    """Spawning's full opt-out (`Disallow: /` and `*`): every AI use the registry knows reserved.

    These are the purposes of the registry's one-click "opt out of all AI" (`AI_OPT_OUT`), so an
    artist who chose that keeps dataset tools off everything they publish, not only their audio.
    """
    return all(policy.reserved(p) for p in (P.TRAIN_AI, P.TRAIN_GENAI, P.AI_INPUT))


def spawning_opt_out(policy: Policy) -> bool:
    """Spawning's users train generative models: any training reservation must stop them.

    The same question as `consent.models.PolicyQuestions.reserving_ai_training`, which the home
    page counts with.
    """
    return any(policy.reserved(p) for p in AI_TRAINING)


def spawning_opt_in(policy: Policy) -> bool:
    return all(policy.allowed(p) for p in AI_TRAINING)


def spawning_answer(url: str, policy: Policy) -> dict[str, object]:
    """One entry of a Spawning-compatible "Do Not Train" answer, in its own field names."""
    return {"url": url, "optOut": spawning_opt_out(policy), "optIn": spawning_opt_in(policy)}


def _rsl_value(values: list[Value]) -> Value:
    """The value of an RSL token that stands for several registry purposes.

    The most restrictive stated value, except that `allow` needs every purpose allowed: a token
    that also covers a purpose the artist left unset must not grant it for free.
    """
    stated = most_restrictive(values)
    if stated == Value.ALLOW and any(value != Value.ALLOW for value in values):
        return Value.UNSET
    return stated


# RSL 1.0 usage tokens (§3.4.1.1) and the registry purposes each stands for. `ai-index` (inclusion
# in an AI system's retrieval index) is the registry's answer-time use, so it follows `ai-input`.
RSL_TOKENS: tuple[tuple[str, tuple[Purpose, ...]], ...] = (
    ("ai-train", (P.TRAIN_AI, P.TRAIN_GENAI)),
    ("ai-input", (P.AI_INPUT,)),
    ("ai-index", (P.AI_INPUT,)),
    ("search", (P.SEARCH,)),
)
RSL_AI_TOKENS: tuple[str, ...] = ("ai-train", "ai-input", "ai-index")


def rsl_usage(policy: Policy) -> dict[str, Value]:
    """RSL 1.0 usage tokens (§3.4.1.1) and the value each takes.

    `ai-train` comes from both training purposes (`_rsl_value`). `tdm` is RSL's broad token:
    `all` when search carries the same value, else `ai-all`, so that a TDM choice never states a
    search preference the artist did not make. It is written only when every narrower token it
    covers says the same (or, for a reservation, nothing), so a reader never meets "prohibits
    ai-all" beside "permits ai-train", and `ai-all` is never permitted for free beside a use the
    artist left unset.
    """
    specific = {
        token: _rsl_value([policy.value(p) for p in purposes]) for token, purposes in RSL_TOKENS
    }
    usage: dict[str, Value] = {}
    tdm = policy.value(P.TDM)
    if tdm != Value.UNSET:
        broad = "all" if specific["search"] == tdm else "ai-all"
        covered = (*RSL_AI_TOKENS, "search") if broad == "all" else RSL_AI_TOKENS
        agreeing = (tdm,) if tdm == Value.ALLOW else (Value.UNSET, tdm)
        if all(specific[token] in agreeing for token in covered):
            usage[broad] = tdm
    usage.update({token: value for token, value in specific.items() if value != Value.UNSET})
    return usage


def rsl_offers(policy: Policy) -> bool:
    """Whether an RSL document for this policy grants or offers anything: a use allowed, or a
    licence-only use with someone named to obtain it from. One that does neither is empty, so no
    `License:` line or `Link` header points readers to it."""
    values = rsl_usage(policy).values()
    if Value.ALLOW in values:
        return True
    licence = policy.licence
    return (
        Value.LICENSE in values
        and licence is not None
        and bool(licence.terms_link or licence.mailto)
    )


# CAWG training-and-data-mining entry names, without their `cawg.`/`c2pa.` prefix.
CAWG_ENTRIES: tuple[tuple[str, Purpose], ...] = (
    ("ai_training", P.TRAIN_AI),
    ("ai_generative_training", P.TRAIN_GENAI),
    ("ai_inference", P.AI_INPUT),
    ("data_mining", P.TDM),
)
CAWG_USE: dict[Value, str] = {
    Value.ALLOW: "allowed",
    Value.DENY: "notAllowed",
    Value.LICENSE: "constrained",
}


def cawg_use(policy: Policy, purpose: Purpose) -> dict[str, str] | None:
    """One CAWG entry; a licence is `constrained` with `constraint_info` naming the terms."""
    value = policy.value(purpose)
    if value == Value.UNSET:
        return None
    entry = {"use": CAWG_USE[value]}
    if value == Value.LICENSE:
        licence = policy.licences.get(purpose)
        entry["constraint_info"] = licence.url if licence and licence.url else "licence required"
    return entry


# The legacy C2PA 1.x `c2pa.training-mining` twin. Readers of it (Spawning's among them) take
# `constrained` as allowed, so a licence-only purpose is written `notAllowed` there: the twin may
# say less than the `cawg.` assertion, never more.
C2PA_USE: dict[Value, str] = {
    Value.ALLOW: "allowed",
    Value.DENY: "notAllowed",
    Value.LICENSE: "notAllowed",
}


def c2pa_use(policy: Policy, purpose: Purpose) -> dict[str, str] | None:
    """One legacy `c2pa.` entry: `allowed` only for an explicit allow, never `constrained`."""
    value = policy.value(purpose)
    if value == Value.UNSET:
        return None
    return {"use": C2PA_USE[value]}
