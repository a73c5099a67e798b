"""robots.txt and ai.txt, written from path policies within the size crawlers must read.

RFC 9309: a group starts with `User-agent:` lines; Allow/Disallow use the longest match; crawlers
must parse at least 500 KiB (§2.5) and may cache for 24 hours (§2.4). The aipref attach draft
(§3) adds `Content-Usage: <path> <prefs>` rules inside groups. RSL 1.0 adds a global `License:`
line. Spawning's ai.txt uses the same grammar and is read by dataset downloaders.

Overflow: a file that would exceed `max_bytes` is cut deliberately, never silently. Rules are kept
most restrictive first: every `deny` Disallow, then licence-only Disallows, then Content-Usage
rules that say `n`, then those that only say `y`. A lower class is written only if the whole
higher class fitted, so a reader never sees a licence rule while a denial was dropped. Whole lines
only; the file ends with a comment saying how many rules it holds and where the complete list is.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from consent.purposes import PURPOSES, Purpose, Value
from consent.standards import rules
from consent.standards.agents import AiAgent, ai_agents
from consent.standards.paths import encode_path
from consent.standards.policy import PathPolicy, Policy, patterned_paths

MAX_ROBOTS_BYTES = 500 * 1024

# The audio extensions Spawning's ai.txt generator writes (STANDARDS.md, "Spawning conventions").
AUDIO_EXTENSIONS: tuple[str, ...] = (
    "aac",
    "aiff",
    "amr",
    "flac",
    "m4a",
    "mp3",
    "oga",
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
)

# Rule classes, most restrictive first; the overflow keeps them in this order.
DENY_RULE, LICENCE_RULE, USAGE_RESTRICTING, USAGE_PERMITTING = range(4)


@dataclass
class _Group:
    agents: tuple[str, ...]
    fixed: list[str] = field(default_factory=list)
    rules: list[tuple[int, str]] = field(default_factory=list)


def _disallow_rule(pattern: str, value: Value) -> tuple[int, str]:
    return (DENY_RULE if value == Value.DENY else LICENCE_RULE, f"Disallow: {pattern}")


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
    complete_urls: Sequence[str] = (),
    max_bytes: int = MAX_ROBOTS_BYTES,
) -> str:
    """A robots.txt with one group per agent purpose and a `User-agent: *` group.

    An AI agent's group disallows every path whose value for the agent's purpose is reserved and
    carries the Content-Usage rule of every path it may fetch (preferences do not apply to paths
    it may not fetch, attach draft §3.1). The `*` group carries the Content-Usage rules for every
    other crawler. `always_disallow` prefixes (say `/accounts/`) go into every group, because a
    crawler that finds its own group ignores `*`.
    """
    agents = ai_agents() if agents is None else tuple(agents)
    entries = [
        (pattern, entry.policy, _usage_rule(pattern, entry.policy))
        for pattern, entry in patterned_paths(paths)
    ]
    fixed = [f"Disallow: {encode_path(prefix)}" for prefix in always_disallow]
    groups: list[_Group] = []
    for purpose in PURPOSES:
        tokens = tuple(a.token for a in agents if a.purpose == purpose)
        if not tokens:
            continue
        group = _Group(tokens, list(fixed))
        for pattern, policy, usage in entries:
            if rules.agent_disallowed(policy, purpose):
                group.rules.append(_disallow_rule(pattern, policy.value(purpose)))
            elif usage:
                group.rules.append(usage)
        if group.rules:
            groups.append(group)
    everyone = _Group(("*",), list(fixed))
    everyone.rules += [usage for _, _, usage in entries if usage]
    groups.append(everyone)
    preamble = [_comment(line) for line in comments]
    if licence_url:
        preamble.append(f"License: {_single_line(licence_url)}")
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
    for pattern, entry in patterned_paths(paths):
        if rules.ai_txt_disallowed(entry.policy):
            group.rules.append(_disallow_rule(pattern, entry.policy.value(Purpose.TRAIN_GENAI)))
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
    return "# " + _single_line(text)


def _single_line(text: str) -> str:
    """Comments and URLs must stay on their line: control characters become spaces."""
    return "".join(" " if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text).strip()


def _size(lines: Sequence[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _group_lines(group: _Group, kept: Sequence[tuple[int, str]]) -> list[str]:
    return [
        *(f"User-agent: {token}" for token in group.agents),
        *group.fixed,
        *(line for _, line in sorted(kept, key=lambda rule: rule[0])),
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
    note += [f"# Complete list: {_single_line(url)}" for url in complete_urls]
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

    candidates = sorted(
        (
            (rank, index, order, line)
            for index, g in enumerate(groups)
            for order, (rank, line) in enumerate(g.rules)
        ),
        key=lambda c: c[:3],
    )
    kept: list[list[tuple[int, str]]] = [[] for _ in groups]
    count = 0
    for rank, index, _, line in candidates:
        cost = _size([line])
        if not opened[index]:
            cost += _size(_group_lines(groups[index], [])) + 1
        if used + cost > max_bytes:
            break
        used += cost
        opened[index] = True
        kept[index].append((rank, line))
        count += 1
    blocks = [
        _group_lines(g, k) if is_open else []
        for g, k, is_open in zip(groups, kept, opened, strict=True)
    ]
    return _join(preamble, blocks, _overflow_note(count, total, max_bytes, complete_urls))
