"""robots.txt and ai.txt as a real crawler reads them: verdicts from Protego, not our code."""

import re

import http_sfv
import pytest
from protego import Protego

from consent.purposes import Purpose, Value
from consent.standards import (
    AUDIO_EXTENSIONS,
    MAX_ROBOTS_BYTES,
    PathPolicy,
    Policy,
    agent_disallowed,
    agent_licence_only,
    agents_for,
    ai_agents,
    ai_txt,
    creator_ai_txt,
    encode_path,
    robots_txt,
    single_line,
)
from tests.consent.test_standards_scenarios import (
    DISPUTED,
    FULL_OPT_OUT,
    LICENCE_ONLY,
    LOOSENED,
    NO_DECLARATIONS,
    OPT_OUT_SEARCH_ALLOWED,
    SCENARIOS,
)

HOST = "https://soundcloud.com"
TRAINERS = [a.token for a in agents_for(Purpose.TRAIN_GENAI)]
# Agents that only fetch at answer time, and the classic search engines that only index.
FETCHERS = [a.token for a in ai_agents() if a.purposes == (Purpose.AI_INPUT,)]
SEARCHERS = [a.token for a in ai_agents() if a.purposes == (Purpose.SEARCH,)]
# Search engines that write AI-generated answers: search and AI input at once.
ANSWER_ENGINES = [a.token for a in ai_agents() if a.purposes == (Purpose.SEARCH, Purpose.AI_INPUT)]


def groups_reserving(policy: Policy) -> int:
    """How many robots.txt groups disallow a path with this policy: one per list of purposes."""
    return len({a.purposes for a in ai_agents() if agent_disallowed(policy, a.purposes)})


GPTBOT_HEADER = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2"


def feed(**paths: Policy) -> Protego:
    """A host feed with one track per scenario, at `/artist/<scenario>`, parsed by Protego."""
    text = robots_txt(PathPolicy(f"/artist/{name}", policy) for name, policy in paths.items())
    return Protego.parse(text)


def can(parser: Protego, agent: str, path: str) -> bool:
    return parser.can_fetch(HOST + path, agent)


def content_usage_rules(text: str) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Content-Usage rules per group, each path with its dictionary parsed by http_sfv."""
    groups: dict[str, dict[str, list[tuple[str, str]]]] = {}
    agents: list[str] = []
    in_agents = False
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "user-agent":
            if not in_agents:
                agents = []
            agents.append(value.strip())
            in_agents = True
            continue
        in_agents = False
        if name.lower() == "content-usage":
            path, prefs = value.strip().split(maxsplit=1)
            parsed = http_sfv.Dictionary()
            parsed.parse(prefs.encode())
            for agent in agents:
                groups.setdefault(agent, {})[path] = [
                    (key, str(item.value)) for key, item in parsed.items()
                ]
    return groups


def test_training_crawlers_may_not_fetch_an_opted_out_track_but_may_fetch_an_allowed_one():
    parser = feed(full_opt_out=FULL_OPT_OUT, loosened=LOOSENED)
    for agent in [*TRAINERS, GPTBOT_HEADER]:
        assert not can(parser, agent, "/artist/full_opt_out"), agent
        assert can(parser, agent, "/artist/loosened"), agent


def test_a_search_crawler_may_fetch_an_opted_out_track_when_search_is_allowed():
    parser = feed(opt_out_search_allowed=OPT_OUT_SEARCH_ALLOWED)
    assert not can(parser, "GPTBot", "/artist/opt_out_search_allowed")
    for agent in SEARCHERS:
        assert can(parser, agent, "/artist/opt_out_search_allowed"), agent
    # AI answer engines are not search: AI input is denied, so they stay out.
    for agent in ANSWER_ENGINES:
        assert not can(parser, agent, "/artist/opt_out_search_allowed"), agent


def test_answer_time_fetchers_are_blocked_when_ai_input_is_denied():
    parser = feed(full_opt_out=FULL_OPT_OUT, licence_only=LICENCE_ONLY)
    for agent in FETCHERS:
        assert not can(parser, agent, "/artist/full_opt_out"), agent
        # A licence on training says nothing about answer-time use.
        assert can(parser, agent, "/artist/licence_only"), agent


def test_a_licence_only_track_may_be_fetched_and_says_the_use_is_not_free():
    """RSL: `License:` never changes Allow/Disallow, so a crawler that took the licence may fetch;
    the path's Content-Usage rule (and the page's headers) say the use is not free."""
    text = robots_txt(
        [PathPolicy("/artist/licence_only", LICENCE_ONLY)],
        licence_url="https://registry.example/hosts/soundcloud.com/rsl.xml",
    )
    parser = Protego.parse(text)
    for agent in ["GPTBot", "CCBot", "OAI-SearchBot"]:
        assert can(parser, agent, "/artist/licence_only"), agent
    assert "Disallow" not in text
    assert content_usage_rules(text)["*"]["/artist/licence_only$"] == [("train-ai", "n")]
    assert "License: https://registry.example/hosts/soundcloud.com/rsl.xml" in text.splitlines()


def test_a_crawler_with_its_own_group_is_allowed_licence_only_paths_with_their_preferences():
    text = robots_txt(
        [
            PathPolicy("/artist/full_opt_out", FULL_OPT_OUT),
            PathPolicy("/artist/licence_only", LICENCE_ONLY),
        ]
    )
    parser = Protego.parse(text)
    assert not can(parser, "GPTBot", "/artist/full_opt_out")
    assert can(parser, "GPTBot", "/artist/licence_only")
    gptbot = text.split("User-agent: GPTBot\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert "Allow: /artist/licence_only$" in gptbot
    assert content_usage_rules(text)["GPTBot"]["/artist/licence_only$"] == [("train-ai", "n")]


def test_a_disputed_track_is_read_with_its_most_restrictive_values():
    parser = feed(disputed=DISPUTED)
    assert not can(parser, "ClaudeBot", "/artist/disputed")
    assert can(parser, "Claude-User", "/artist/disputed")
    assert can(parser, "Claude-SearchBot", "/artist/disputed")


def test_no_declarations_means_no_rule_for_anyone():
    text = robots_txt([PathPolicy("/artist/none", NO_DECLARATIONS)])
    parser = Protego.parse(text)
    for agent in [*TRAINERS, *FETCHERS, *SEARCHERS, "Googlebot"]:
        assert can(parser, agent, "/artist/none")
    assert "Disallow" not in text and "Content-Usage" not in text


def test_rules_match_the_registered_url_exactly_and_not_its_neighbours():
    parser = feed(full_opt_out=FULL_OPT_OUT)
    assert not can(parser, "GPTBot", "/artist/full_opt_out")
    assert can(parser, "GPTBot", "/artist/full_opt_out-remix")
    assert can(parser, "GPTBot", "/artist")
    text = robots_txt([PathPolicy("/watch?v=abc", FULL_OPT_OUT)])
    parser = Protego.parse(text)
    assert not can(parser, "GPTBot", "/watch?v=abc")
    assert can(parser, "GPTBot", "/watch?v=abcd")


def test_other_crawlers_read_the_usage_preferences_and_ai_groups_carry_them_where_they_may_fetch():
    text = robots_txt(PathPolicy(f"/artist/{name}", policy) for name, policy in SCENARIOS.items())
    usage = content_usage_rules(text)
    assert usage["*"]["/artist/full_opt_out$"] == [("train-ai", "n"), ("ai-use", "n")]
    assert usage["*"]["/artist/opt_out_search_allowed$"] == [
        ("train-ai", "n"),
        ("ai-use", "n"),
        ("search", "y"),
    ]
    assert usage["*"]["/artist/licence_only$"] == [("train-ai", "n")]
    assert usage["*"]["/artist/loosened$"] == [("train-ai", "y"), ("ai-use", "y")]
    disputed = [("train-ai", "n"), ("ai-use", "y"), ("search", "y")]
    assert usage["*"]["/artist/disputed$"] == disputed
    assert "/artist/no_declarations$" not in usage["*"]
    # A crawler in its own group ignores `*`, so its group repeats what it may fetch...
    assert usage["FacebookBot"]["/artist/disputed$"] == disputed
    assert usage["GPTBot"]["/artist/loosened$"] == [("train-ai", "y"), ("ai-use", "y")]
    # ...and nothing for paths it may not fetch, where preferences do not apply.
    assert "/artist/full_opt_out$" not in usage["GPTBot"]


def test_the_licence_line_and_comments_are_global_and_cannot_break_a_line():
    text = robots_txt(
        [PathPolicy("/a", FULL_OPT_OUT)],
        licence_url="https://registry.example/licenses/catalogue.xml",
        comments=["Feed for soundcloud.com\nDisallow: /"],
    )
    assert "License: https://registry.example/licenses/catalogue.xml" in text.splitlines()
    assert "# Feed for soundcloud.com Disallow: /" in text.splitlines()
    assert can(Protego.parse(text), "GPTBot", "/")


def test_always_disallowed_prefixes_reach_every_group():
    text = robots_txt(
        [PathPolicy("/t/1/", FULL_OPT_OUT, exact=False)], always_disallow=["/accounts/"]
    )
    parser = Protego.parse(text)
    for agent in ["GPTBot", "ChatGPT-User", "Googlebot"]:
        assert not can(parser, agent, "/accounts/login/"), agent
    assert not can(parser, "GPTBot", "/t/1/cawg.json")
    assert can(parser, "Googlebot", "/t/1/")


def test_several_tracks_on_one_url_combine_to_the_most_restrictive():
    text = robots_txt([PathPolicy("/same", LOOSENED), PathPolicy("/same", FULL_OPT_OUT)])
    assert not can(Protego.parse(text), "GPTBot", "/same")
    # One line in each group whose purposes the opt-out reserves.
    assert text.count("Disallow: /same$") == groups_reserving(FULL_OPT_OUT)


# --- Percent-encoding: unusual URLs cannot inject a line, a comment or a wildcard -------------

NASTY = "/a*b$c d\ne#f/é"


def test_the_encoded_path_has_no_character_that_means_something_in_robots_txt():
    encoded = encode_path(NASTY)
    assert encoded == "/a%2Ab%24c%20d%0Ae%23f/%C3%A9"
    assert not set(encoded) & set("*$ \n\r\t#")
    assert encode_path("/already%2aencoded%zz") == "/already%2Aencoded%25zz"


def test_a_nasty_path_is_blocked_exactly_and_nothing_else_is():
    text = robots_txt([PathPolicy(NASTY, FULL_OPT_OUT)])
    parser = Protego.parse(text)
    assert not can(parser, "GPTBot", "/a*b$c%20d%0Ae%23f/%C3%A9")
    assert not can(parser, "GPTBot", "/a*b$c%20d%0Ae%23f/é")
    # `*` stayed a literal star, `$` did not end the pattern, `#` did not start a comment.
    assert can(parser, "GPTBot", "/aXYZb$c%20d%0Ae%23f/%C3%A9")
    assert can(parser, "GPTBot", "/a")
    assert can(parser, "GPTBot", "/")
    for line in text.splitlines():
        assert line == "" or re.fullmatch(r"(#.*|[A-Za-z-]+: \S+( \S.*)?)", line), line


@pytest.mark.parametrize(
    ("path", "exact", "blocked", "free"),
    [
        # A raw `$` would end a prefix pattern: `/price` exact, the registered URL left open.
        ("/price$", False, "/price$", "/price"),
        # A raw newline would add a rule of its own: `Disallow: /` for everything.
        ("/x\nDisallow: /", False, "/x%0ADisallow:%20/", "/"),
        # A raw `#` would start a comment and leave `Disallow: /h`, covering `/hello`.
        ("/h#tag", True, "/h%23tag", "/hello"),
        # A raw `*` would block everything under `/a`.
        ("/a*", True, "/a*", "/abc"),
        ("/é", True, "/%C3%A9", "/e"),
    ],
)
def test_each_special_character_is_literal(path, exact, blocked, free):
    parser = Protego.parse(robots_txt([PathPolicy(path, FULL_OPT_OUT, exact=exact)]))
    assert not can(parser, "GPTBot", blocked)
    assert can(parser, "GPTBot", free)


def test_a_space_cannot_split_a_content_usage_rule():
    text = robots_txt([PathPolicy("/s p", FULL_OPT_OUT)])
    assert content_usage_rules(text)["*"] == {"/s%20p$": [("train-ai", "n"), ("ai-use", "n")]}


# --- Overflow: more than 500 KiB is cut deliberately, most restrictive first -------------------

DENIED = [PathPolicy(f"/denied-artist/track-number-{n:05d}", FULL_OPT_OUT) for n in range(3000)]
LICENSED = [PathPolicy(f"/licence-artist/track-number-{n:05d}", LICENCE_ONLY) for n in range(6000)]
ALLOWED = [PathPolicy(f"/open-artist/track-number-{n:05d}", LOOSENED) for n in range(2000)]
COMPLETE = ["https://registry.example/hosts/soundcloud.com/.well-known/tdmrep.json"]
LINE = re.compile(
    r"(#.*|User-agent: [A-Za-z0-9*_-]+|(Allow|Disallow): /[^\s$]*\$"
    r"|Content-Usage: /[^\s$]*\$ [a-z-]+=[yn](, [a-z-]+=[yn])*"
    r"|Content-Signal: [a-z-]+=(yes|no)(, [a-z-]+=(yes|no))*)?"
)


def disallow_kinds(text: str) -> list[list[str]]:
    """Per group, the kind of each rule line in file order: a denial, or a licence-only Allow."""
    groups: list[list[str]] = []
    for block in text.split("\n\n"):
        kinds = []
        for line in block.splitlines():
            if line.startswith("Disallow: /denied-"):
                kinds.append("deny")
            elif line.startswith("Allow: /licence-"):
                kinds.append("licence")
        groups.append(kinds)
    return groups


def test_an_oversized_feed_is_cut_to_the_limit_with_a_note_at_the_end():
    text = robots_txt([*ALLOWED, *LICENSED, *DENIED], complete_urls=COMPLETE)
    assert len(text.encode()) <= MAX_ROBOTS_BYTES
    lines = text.rstrip("\n").splitlines()
    assert lines[-1] == f"# Complete list: {COMPLETE[0]}"
    assert lines[-4].startswith("# Cut on purpose: ")
    # Every line is whole: no pattern or preference was cut in the middle.
    for line in lines:
        assert LINE.fullmatch(line), line


def test_denials_all_come_before_any_licence_rule():
    # Each denial is written in every group it reserves, so fewer denials leave room for licences.
    denied = DENIED[:1000]
    text = robots_txt([*ALLOWED, *LICENSED, *denied], complete_urls=COMPLETE)
    groups = disallow_kinds(text)
    kept_licence = sum(kinds.count("licence") for kinds in groups)
    assert 0 < kept_licence < len(LICENSED)
    for kinds in groups:
        if "licence" in kinds:
            assert kinds.index("licence") > max(
                (i for i, kind in enumerate(kinds) if kind == "deny"), default=-1
            )
    # Every denial survived, in both groups it belongs to, before any licence rule was kept.
    assert sum(kinds.count("deny") for kinds in groups) == groups_reserving(FULL_OPT_OUT) * len(
        denied
    )
    # Usage preferences of paths that are only allowed come after every licence rule: none fit.
    assert "Content-Usage: /open-" not in text
    parser = Protego.parse(text)
    for entry in denied[::97]:
        assert not can(parser, "GPTBot", entry.path)
        assert not can(parser, "ChatGPT-User", entry.path)
    assert can(parser, "GPTBot", LICENSED[0].path)


def test_when_even_denials_overflow_no_licence_rule_is_written():
    text = robots_txt([*LICENSED[:50], *DENIED], max_bytes=100 * 1024, complete_urls=COMPLETE)
    assert len(text.encode()) <= 100 * 1024
    groups = disallow_kinds(text)
    assert all("licence" not in kinds for kinds in groups)
    kept = sum(kinds.count("deny") for kinds in groups)
    assert 0 < kept < groups_reserving(FULL_OPT_OUT) * len(DENIED)
    assert f"# Complete list: {COMPLETE[0]}" == text.rstrip("\n").splitlines()[-1]
    Protego.parse(text)


def test_a_feed_within_the_limit_is_complete_and_has_no_note():
    text = robots_txt([*LICENSED[:10], *DENIED[:10]], complete_urls=COMPLETE)
    assert "Cut on purpose" not in text
    licences = sum(kinds.count("licence") for kinds in disallow_kinds(text))
    # A licence-only path is allowed (with its preferences) in each group the denials opened
    # whose purposes it reserves; crawlers without a group of their own read `*`.
    opened = {
        a.purposes
        for a in ai_agents()
        if agent_disallowed(FULL_OPT_OUT, a.purposes)
        and agent_licence_only(LICENCE_ONLY, a.purposes)
    }
    assert opened and licences == 10 * len(opened)


# --- ai.txt -----------------------------------------------------------------------------------


def test_host_ai_txt_disallows_paths_reserved_for_generative_training():
    text = ai_txt(PathPolicy(f"/artist/{name}", policy) for name, policy in SCENARIOS.items())
    parser = Protego.parse(text)
    for name in ("full_opt_out", "opt_out_search_allowed", "licence_only", "disputed"):
        assert not can(parser, "img2dataset", f"/artist/{name}"), name
    for name in ("loosened", "no_declarations"):
        assert can(parser, "img2dataset", f"/artist/{name}"), name


def test_host_ai_txt_overflows_like_robots_txt():
    text = ai_txt([*LICENSED, *DENIED], max_bytes=64 * 1024, complete_urls=COMPLETE)
    assert len(text.encode()) <= 64 * 1024
    assert all("licence" not in kinds for kinds in disallow_kinds(text))
    assert text.rstrip("\n").endswith(COMPLETE[0])


def test_a_creators_ai_txt_keeps_dataset_tools_off_their_audio():
    parser = Protego.parse(creator_ai_txt(LICENCE_ONLY))
    for ext in AUDIO_EXTENSIONS:
        assert not can(parser, "img2dataset", f"/music/song.{ext}"), ext
    assert can(parser, "img2dataset", "/about.html")


def test_a_creators_ai_txt_covers_every_audio_format_spawnings_generator_lists_and_more():
    text = creator_ai_txt(LICENCE_ONLY)
    parser = Protego.parse(text)
    spawning = ("ogg", "dss", "dvf", "mmf", "msv", "vox", "aac", "flac", "mp3", "wav", "weba")
    common = ("aif", "mid", "midi", "caf", "ape", "wv")
    for ext in (*spawning, *common):
        assert f"Disallow: *.{ext}" in text.splitlines(), ext
        assert not can(parser, "img2dataset", f"/music/song.{ext}"), ext


def test_a_full_opt_out_keeps_dataset_tools_off_the_whole_site():
    parser = Protego.parse(creator_ai_txt(FULL_OPT_OUT))
    assert not can(parser, "img2dataset", "/about.html")
    assert not can(parser, "img2dataset", "/music/song.mp3")


def test_a_creators_ai_txt_allows_audio_when_training_is_allowed_and_is_silent_when_unset():
    allowed = creator_ai_txt(Policy({Purpose.TRAIN_GENAI: Value.ALLOW}))
    assert "Allow: *.mp3" in allowed.splitlines()
    assert can(Protego.parse(allowed), "img2dataset", "/song.mp3")
    silent = creator_ai_txt(NO_DECLARATIONS)
    assert all(line.startswith("#") for line in silent.splitlines())


def test_a_creators_robots_txt_covers_their_whole_site():
    text = robots_txt([PathPolicy("/", OPT_OUT_SEARCH_ALLOWED, exact=False)])
    parser = Protego.parse(text)
    assert not can(parser, "GPTBot", "/music/song.mp3")
    assert not can(parser, "Perplexity-User", "/")
    assert not can(parser, "PerplexityBot", "/music/song.mp3")
    assert can(parser, "Googlebot", "/music/song.mp3")
    assert content_usage_rules(text)["*"]["/"] == [
        ("train-ai", "n"),
        ("ai-use", "n"),
        ("search", "y"),
    ]
    # Cloudflare's Content Signals, in every group: a crawler in its own group ignores `*`.
    groups = text.count("User-agent: ")
    signal = "Content-Signal: search=yes, ai-input=no, ai-train=no"
    assert text.splitlines().count(signal) == len(
        [b for b in text.split("\n\n") if "User-agent" in b]
    )
    assert groups >= 2


def test_a_cut_keeps_each_path_in_every_group_that_needs_it_or_in_none():
    """A kept path is disallowed for every crawler it is reserved for, never for some only."""
    denied = DENIED[:400]
    text = robots_txt(denied, max_bytes=12 * 1024, complete_urls=COMPLETE)
    assert len(text.encode()) <= 12 * 1024
    assert text.rstrip("\n").splitlines()[-1] == f"# Complete list: {COMPLETE[0]}"
    parser = Protego.parse(text)
    blocked = {e.path for e in denied if not can(parser, "GPTBot", e.path)}
    assert 0 < len(blocked) < len(denied)
    for entry in denied:
        for agent in ["ChatGPT-User", "Claude-User", "Perplexity-User", "ClaudeBot"]:
            assert can(parser, agent, entry.path) is (entry.path not in blocked), (agent, entry)


# --- Line breaks: no character a parser reads as the end of a line survives in a comment ------

INJECTED_NAME = "Night Owls\u2028User-agent: GPTBot\u2028Allow: /\u2028#"
LINE_BREAKERS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\r", "\u200e", "\ufeff"]


@pytest.mark.parametrize("write", [robots_txt, ai_txt])
def test_an_artist_name_in_a_comment_cannot_add_a_rule(write):
    paths = [PathPolicy("/", FULL_OPT_OUT, exact=False)]
    plain = write(paths, comments=["Feed for Night Owls"])
    text = write(paths, comments=[INJECTED_NAME, *(f"a{ch}b" for ch in LINE_BREAKERS)])
    assert len(text.splitlines()) == len(plain.splitlines()) + len(LINE_BREAKERS)
    assert text.splitlines()[0] == "# Night Owls User-agent: GPTBot Allow: / #"
    assert text.splitlines()[1 : 1 + len(LINE_BREAKERS)] == ["# a b"] * len(LINE_BREAKERS)
    before, after = Protego.parse(plain), Protego.parse(text)
    for agent in [*TRAINERS, *FETCHERS, *SEARCHERS, "Googlebot", "img2dataset"]:
        for path in ["/", "/music/song.mp3"]:
            assert can(after, agent, path) is can(before, agent, path), (agent, path)
    assert not can(after, "GPTBot", "/music/song.mp3")


def test_single_line_replaces_every_line_or_format_control_with_a_space():
    assert single_line(" a\u2028b\u2029c\x85d\x00e\u200bf\x7fg ") == "a b c d e f g"
    assert single_line("Sigur Rós — Ágætis byrjun") == "Sigur Rós — Ágætis byrjun"
