"""robots.txt and ai.txt, written from path policies within the size crawlers must read.

RFC 9309: a group starts with `User-agent:` lines; Allow/Disallow use the longest match; crawlers
must parse at least 500 KiB (§2.5) and may cache for 24 hours (§2.4). The aipref attach draft
(§3) adds `Content-Usage: <path> <prefs>` rules inside groups. RSL 1.0 adds a global `License:`
line, which never changes what Allow and Disallow say: a licence-only path is therefore `Allow`ed
for the agents it concerns, with its `Content-Usage … =n` rule, and only a denial is a `Disallow`.
Cloudflare's Content Signals add a group-wide `Content-Signal:` line. Spawning's ai.txt uses the
same grammar and is read by dataset downloaders.

Overflow: a file that would exceed `max_bytes` is cut deliberately, never silently. Rules are kept
most restrictive first: every `deny` Disallow, then licence-only Allows with their Content-Usage
rule, then Content-Usage rules that say `n`, then those that only say `y`. A lower class is
written only if the whole higher class fitted, so a reader never sees a licence rule while a
denial was dropped. Within a class rules are kept path by path, in the order the paths were
given: a path's rule is written in every group that carries it or in none, so no crawler group
loses its rules to another's (the answer-time fetchers are not left free on paths the training
crawlers are kept off). Whole lines only; the file ends with a comment saying how many rules it
holds and where the complete list is.

Comments and URLs go through `single_line`, so that no text (an artist's name, say) can add a
line: parsers such as Protego also end a line at U+2028, U+2029 and U+0085.
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from consent.purposes import Purpose, Value
from consent.standards import rules
from consent.standards.agents import AiAgent, ai_agents
from consent.standards.paths import encode_path
from consent.standards.policy import PathPolicy, Policy, patterned_paths

MAX_ROBOTS_BYTES = 500 * 1024

# The audio extensions Spawning's ai.txt generator writes (docs/standards.md, "Spawning's
# ai.txt"), then the common audio formats its list leaves out (`aif`, `mid`, `midi`, `caf`,
# `ape`, `wv`), so that an artist's Apple, MIDI and lossless files are covered too.
AUDIO_EXTENSIONS: tuple[str, ...] = (
    "aac",
    "aiff",
    "amr",
    "flac",
    "m4a",
    "mp3",
    "oga",
    "ogg",
    "opus",
    "wav",
    "wma",
    "alac",
    "m4p",
    "mpc",
    "ra",
    "rm",
    "tta",
    "weba",
    "dss",
    "dvf",
    "mmf",
    "msv",
    "vox",
    "aif",
    "mid",
    "midi",
    "caf",
    "ape",
    "wv",
)

# Rule classes, most restrictive first; the overflow keeps them in this order.
DENY_RULE, LICENCE_RULE, USAGE_RESTRICTING, USAGE_PERMITTING = range(4)


@dataclass
class _Group:
    """One group; each rule is (class, index of its path, line)."""

    agents: tuple[str, ...]
    fixed: list[str] = field(default_factory=list)
    rules: list[tuple[int, int, str]] = field(default_factory=list)


def _disallow_rule(pattern: str, value: Value) -> tuple[int, str]:
    return (DENY_RULE if value == Value.DENY else LICENCE_RULE, f"Disallow: {pattern}")


def _content_signal_lines(policies: Iterable[Policy]) -> list[str]:
    value = rules.content_signal_value(rules.common_content_signals(policies))
    return [f"Content-Signal: {value}"] if value else []


def _usage_rule(pattern: str, policy: Policy) -> tuple[int, str] | None:
    prefs = rules.content_usage(policy)
    if not prefs:
        return None
    rank = USAGE_RESTRICTING if "n" in prefs.values() else USAGE_PERMITTING
    return (rank, f"Content-Usage: {pattern} {rules.content_usage_value(policy)}")


def robots_txt(
    paths: Iterable[PathPolicy],
    *,
    agents: Sequence[AiAgent] | None = None,
    licence_url: str = "",
    comments: Sequence[str] = (),
    always_disallow: Sequence[str] = (),
    always_allow: Sequence[str] = (),
    complete_urls: Sequence[str] = (),
    max_bytes: int = MAX_ROBOTS_BYTES,
) -> str:
    """A robots.txt with one group per list of agent purposes and a `User-agent: *` group.

    An agent's group disallows every path where any of the agent's purposes is denied, allows
    (with its Content-Usage rule) every path where one is licence-only, and carries the
    Content-Usage rule of every other path it may fetch (preferences do not apply to paths it may
    not fetch, attach draft §3.1). The `*` group carries the Content-Usage rules for every other
    crawler. `always_disallow` and `always_allow` prefixes (say `/accounts/`, `/t/`) and the
    `Content-Signal` line go into
    every group, because a crawler that finds its own group ignores `*`. A group is written only
    when it disallows a path; otherwise it would say what `*` says.
    """
    agents = ai_agents() if agents is None else tuple(agents)
    entries = [
        (index, pattern, entry.policy, _usage_rule(pattern, entry.policy))
        for index, (pattern, entry) in enumerate(patterned_paths(paths))
    ]
    fixed = [
        *_content_signal_lines(entry[2] for entry in entries),
        *(f"Disallow: {encode_path(prefix)}" for prefix in always_disallow),
        *(f"Allow: {encode_path(prefix)}" for prefix in always_allow),
    ]
    # One group per list of purposes, in the order the data file first names each list.
    by_purposes: dict[tuple[Purpose, ...], list[str]] = {}
    for agent in agents:
        by_purposes.setdefault(agent.purposes, []).append(agent.token)
    groups: list[_Group] = []
    for purposes, tokens in by_purposes.items():
        group = _Group(tuple(tokens), list(fixed))
        for index, pattern, policy, usage in entries:
            if rules.agent_disallowed(policy, purposes):
                group.rules.append((DENY_RULE, index, f"Disallow: {pattern}"))
            elif rules.agent_licence_only(policy, purposes):
                group.rules.append((LICENCE_RULE, index, f"Allow: {pattern}"))
                if usage:
                    group.rules.append((LICENCE_RULE, index, usage[1]))
            elif usage:
                group.rules.append((usage[0], index, usage[1]))
        # A group that disallows nothing would only repeat the `*` group, so it is left out:
        # a search engine is named only where an artist reserves search.
        if any(rank == DENY_RULE for rank, _, _ in group.rules):
            groups.append(group)
    everyone = _Group(("*",), list(fixed))
    everyone.rules += [(usage[0], index, usage[1]) for index, _, _, usage in entries if usage]
    groups.append(everyone)
    preamble = [_comment(line) for line in comments]
    if licence_url:
        preamble.append(f"License: {single_line(licence_url)}")
    return _render(preamble, groups, complete_urls, max_bytes)


def ai_txt(
    paths: Iterable[PathPolicy],
    *,
    comments: Sequence[str] = (),
    complete_urls: Sequence[str] = (),
    max_bytes: int = MAX_ROBOTS_BYTES,
) -> str:
    """Spawning's ai.txt for registered paths: disallowed where `train-genai` is reserved."""
    group = _Group(("*",))
    for index, (pattern, entry) in enumerate(patterned_paths(paths)):
        if rules.ai_txt_disallowed(entry.policy):
            rank, line = _disallow_rule(pattern, entry.policy.value(Purpose.TRAIN_GENAI))
            group.rules.append((rank, index, line))
    preamble = [_comment(line) for line in comments]
    return _render(preamble, [group], complete_urls, max_bytes)


def creator_ai_txt(policy: Policy, *, comments: Sequence[str] = ()) -> str:
    """A creator's ai.txt for their own site, in the form Spawning's generator writes.

    A `train-genai` reservation disallows the audio extensions; a full opt-out adds `Disallow: /`
    and `Disallow: *`; an explicit allow writes the extensions as `Allow`. With no choice the file
    only says so: silence is not consent, and it is not a reservation either.
    """
    lines = [_comment(line) for line in comments]
    if rules.ai_txt_disallowed(policy):
        body = [f"Disallow: *.{ext}" for ext in AUDIO_EXTENSIONS]
        if rules.ai_txt_full_opt_out(policy):
            body += ["Disallow: /", "Disallow: *"]
    elif policy.allowed(Purpose.TRAIN_GENAI):
        body = [f"Allow: *.{ext}" for ext in AUDIO_EXTENSIONS]
    else:
        lines.append("# No choice about training generative AI has been declared.")
        body = []
    if body:
        if lines:
            lines.append("")
        lines += ["User-agent: *", *body]
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    return "# " + single_line(text)


# Control, format, line- and paragraph-separator characters: some parser ends a line at each of
# CR, LF, VT, FF, U+001C-U+001E, U+0085 (NEL, a Cc), U+2028 (Zl) and U+2029 (Zp), and format
# characters (bidi overrides, zero-width joiners) only hide what a line says.
LINE_BREAKING_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def breaks_lines(ch: str) -> bool:
    """Whether one character may end a line or hide text in a line-based file."""
    return ch == "\x85" or unicodedata.category(ch) in LINE_BREAKING_CATEGORIES


def single_line(text: str) -> str:
    """The text on one line: every character `breaks_lines` refuses becomes a space."""
    return "".join(" " if breaks_lines(ch) else ch for ch in text).strip()


def _size(lines: Sequence[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _group_lines(group: _Group, kept: Sequence[tuple[int, int, str]]) -> list[str]:
    return [
        *(f"User-agent: {token}" for token in group.agents),
        *group.fixed,
        *(line for _, _, line in sorted(kept, key=lambda rule: rule[:2])),
    ]


def _join(preamble: Sequence[str], blocks: Sequence[list[str]], note: Sequence[str]) -> str:
    parts = [list(preamble)] if preamble else []
    parts += [block for block in blocks if block]
    if note:
        parts.append(list(note))
    return "\n\n".join("\n".join(part) for part in parts) + "\n"


def _overflow_note(
    kept: int, total: int, max_bytes: int, complete_urls: Sequence[str]
) -> list[str]:
    note = [
        f"# Cut on purpose: {kept} of {total} rules fit in the {max_bytes // 1024} KiB every",
        "# crawler must read (RFC 9309, section 2.5). Denials come first, then licence-only",
        "# reservations, then usage preferences; a path missing here may still be reserved.",
    ]
    note += [f"# Complete list: {single_line(url)}" for url in complete_urls]
    return note


def _render(
    preamble: Sequence[str],
    groups: Sequence[_Group],
    complete_urls: Sequence[str],
    max_bytes: int,
) -> str:
    blocks = [_group_lines(g, g.rules) if g.rules or g.fixed else [] for g in groups]
    text = _join(preamble, blocks, ())
    if len(text.encode("utf-8")) <= max_bytes:
        return text

    total = sum(len(g.rules) for g in groups)
    # The note is sized with `total` in both places: the real count has no more digits.
    note = _overflow_note(total, total, max_bytes, complete_urls)
    # Every block is preceded by one blank line, counted with the block's first line.
    used = _size(preamble) + 1 + _size(note)
    opened = [bool(g.fixed) for g in groups]
    for g, is_open in zip(groups, opened, strict=True):
        if is_open:
            used += _size(_group_lines(g, [])) + 1
    if used > max_bytes:
        raise ValueError(f"{max_bytes} bytes cannot hold even the fixed lines of this file.")

    # One bundle per (class, path): the lines of that path's rule in each group that carries it.
    bundles: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for index, g in enumerate(groups):
        for rank, order, line in g.rules:
            bundles.setdefault((rank, order), []).append((index, line))
    kept: list[list[tuple[int, int, str]]] = [[] for _ in groups]
    count = 0
    for (rank, order), lines in sorted(bundles.items()):
        cost = _size([line for _, line in lines])
        for index in {index for index, _ in lines if not opened[index]}:
            cost += _size(_group_lines(groups[index], [])) + 1
        if used + cost > max_bytes:
            break
        used += cost
        for index, line in lines:
            opened[index] = True
            kept[index].append((rank, order, line))
        count += len(lines)
    blocks = [
        _group_lines(g, k) if is_open else []
        for g, k, is_open in zip(groups, kept, opened, strict=True)
    ]
    return _join(preamble, blocks, _overflow_note(count, total, max_bytes, complete_urls))
