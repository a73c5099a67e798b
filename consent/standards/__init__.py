"""Every public signal the registry emits, as pure functions of an effective policy.

docs/standards.md is the specification. One module decides (`rules`); the others serialize:

- `policy`: `Policy` (values and licence terms), built from an `EffectivePolicy` row or a
  creator's catalogue-wide statements, and `PathPolicy` for robots-style files.
- `rules`: the emission rules: TDMRep reservation, aipref `Content-Usage`, noai, per-agent
  robots.txt verdicts, Spawning opt-out/opt-in, RSL usage, CAWG entries.
- `agents`: the AI user-agent data file (`consent/data/ai_agents.json`), validated on load.
- `paths`: RFC 9309 percent-encoding, so no URL can inject a line or a wildcard.
- `robots`: robots.txt and ai.txt within 500 KiB, most restrictive rules first, and
  `single_line`, which keeps any text (a name, a URL) on the line it is written on.
- `tdmrep`, `headers`, `rsl`, `cawg`: the other formats.
"""

from consent.standards.agents import (
    DATA_FILE,
    TOKEN_PATTERN,
    AgentDataError,
    AiAgent,
    agent_named,
    agents_checked,
    agents_for,
    ai_agents,
    load_ai_agents,
)
from consent.standards.cawg import (
    C2PA_LABEL,
    CAWG_LABEL,
    cawg_assertions,
    training_mining_entries,
)
from consent.standards.headers import (
    CONTENT_USAGE_HEADER,
    LINK_HEADER,
    RSL_MEDIA_TYPE,
    TDM_POLICY_HEADER,
    TDM_RESERVATION_HEADER,
    X_ROBOTS_TAG_HEADER,
    HeadTag,
    head_tags,
    response_headers,
    rsl_link_value,
    server_snippets,
)
from consent.standards.paths import encode_path, link_path, path_pattern, url_pattern
from consent.standards.policy import (
    UNSET_POLICY,
    Licence,
    PathPolicy,
    Policy,
    catalogue_policy,
    combine_policies,
    merge_paths,
)
from consent.standards.robots import (
    AUDIO_EXTENSIONS,
    LINE_BREAKING_CATEGORIES,
    MAX_ROBOTS_BYTES,
    ai_txt,
    breaks_lines,
    creator_ai_txt,
    robots_txt,
    single_line,
)
from consent.standards.rsl import RSL_NAMESPACE, RslContent, rsl_xml
from consent.standards.rules import (
    NOAI_DIRECTIVES,
    TDM_FAMILY,
    agent_disallowed,
    agent_licence_only,
    agent_reservation,
    ai_txt_disallowed,
    ai_txt_full_opt_out,
    common_content_signals,
    content_signals,
    content_usage,
    content_usage_value,
    noai,
    rsl_usage,
    spawning_answer,
    spawning_opt_in,
    spawning_opt_out,
    tdm_policy_applies,
    tdm_reservation,
)
from consent.standards.tdmrep import (
    TDMREP_CONTEXT,
    TDMREP_POLICY_MEDIA_TYPE,
    TDMREP_PROFILE,
    Assigner,
    tdmrep_json,
    tdmrep_policy,
    tdmrep_policy_json,
    tdmrep_rules,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "C2PA_LABEL",
    "CAWG_LABEL",
    "CONTENT_USAGE_HEADER",
    "DATA_FILE",
    "LINE_BREAKING_CATEGORIES",
    "LINK_HEADER",
    "MAX_ROBOTS_BYTES",
    "NOAI_DIRECTIVES",
    "RSL_MEDIA_TYPE",
    "RSL_NAMESPACE",
    "TDMREP_CONTEXT",
    "TDMREP_POLICY_MEDIA_TYPE",
    "TDMREP_PROFILE",
    "TDM_FAMILY",
    "TDM_POLICY_HEADER",
    "TDM_RESERVATION_HEADER",
    "TOKEN_PATTERN",
    "UNSET_POLICY",
    "X_ROBOTS_TAG_HEADER",
    "AgentDataError",
    "AiAgent",
    "Assigner",
    "HeadTag",
    "Licence",
    "PathPolicy",
    "Policy",
    "RslContent",
    "agent_disallowed",
    "agent_licence_only",
    "agent_named",
    "agent_reservation",
    "agents_checked",
    "agents_for",
    "ai_agents",
    "ai_txt",
    "ai_txt_disallowed",
    "ai_txt_full_opt_out",
    "breaks_lines",
    "catalogue_policy",
    "cawg_assertions",
    "combine_policies",
    "common_content_signals",
    "content_signals",
    "content_usage",
    "content_usage_value",
    "creator_ai_txt",
    "encode_path",
    "head_tags",
    "link_path",
    "load_ai_agents",
    "merge_paths",
    "noai",
    "path_pattern",
    "response_headers",
    "robots_txt",
    "rsl_link_value",
    "rsl_usage",
    "rsl_xml",
    "server_snippets",
    "single_line",
    "spawning_answer",
    "spawning_opt_in",
    "spawning_opt_out",
    "tdm_policy_applies",
    "tdm_reservation",
    "tdmrep_json",
    "tdmrep_policy",
    "tdmrep_policy_json",
    "tdmrep_rules",
    "training_mining_entries",
    "url_pattern",
]
