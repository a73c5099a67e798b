"""`registry-client check`: a dataset manifest judged per purpose, offline from a mirror and live,
with malformed rows reported by line and never silently dropped."""

import csv
import json
import subprocess
import sys

import pytest
from registry_client import Mirror, sync
from registry_client.check import ManifestError, check_manifest
from registry_client.cli import main

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.client.compare import comparable
from tests.client.conftest import CLIENT_PATH
from tests.conftest import make_artist, verify_claims_of
from tests.link_variants import PLATFORMS, UNRESOLVED_SHORT_LINKS

CHOICES = [
    {Purpose.TRAIN_AI: PurposeChoice(Value.DENY), Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)},
    {Purpose.TRAIN_GENAI: PurposeChoice(Value.LICENSE, "https://owner.example/licence")},
    {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW), Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)},
]


@pytest.fixture
def catalogue(live_registry, tmp_path):
    """Two tracks with an ISRC and a link, one denying and one allowing training; a synced
    mirror of them."""
    artist = make_artist("Night Owls", "night-owls")
    for n, choices in enumerate([CHOICES[0], CHOICES[2]]):
        data = TrackData(
            title=f"Song {n}",
            artist_credit="Night Owls",
            roles=["recording"],
            isrc=f"USRC1760783{n}",
            links=[f"https://soundcloud.com/night-owls/song-{n}"],
        )
        track = register_track(artist, data).tracks[0]
        declare(artist, choices, track=track)
    verify_claims_of(artist)
    mirror = tmp_path / "mirror"
    with Mirror(mirror) as opened:
        sync(live_registry.client(), opened)
    return mirror


MIXED = [
    # line 2: a registered link as a listener shares it
    {"url": "http://m.soundcloud.com/night-owls/song-0?si=abc", "isrc": "", "caption": "a"},
    # line 3: a registered ISRC, written with hyphens
    {"url": "", "isrc": "us-rc1-76-07831", "caption": "b"},
    # line 4: unknown link and unknown ISRC
    {"url": "https://example.org/unknown.mp3", "isrc": "GBX7Q2400199", "caption": "c"},
    # line 5: a malformed ISRC (no such country) beside nothing else
    {"url": "", "isrc": "XX-RC1-76-07839", "caption": "d"},
    # line 6: no identifier at all
    {"url": "", "isrc": "", "caption": "e"},
    # line 7: a link that is not a web link
    {"url": "ftp://example.org/x.wav", "isrc": "", "caption": "f"},
    # line 8: both identifiers of one track
    {"url": "https://soundcloud.com/night-owls/song-1/", "isrc": "USRC17607831", "caption": "g"},
]


def write_csv(path, rows):
    with open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path):
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def assert_mixed_judged(rows, audit, sequence):
    assert [r["caption"] for r in rows] == list("abcdefg"), "every row kept, in order"
    assert [r["train-genai"] for r in rows] == [
        "deny", "allow", "unset", "unset", "unset", "unset", "allow",
    ]  # fmt: skip
    assert rows[0]["tdm"] == "unset" and rows[0]["train-ai"] == "deny"
    assert rows[0]["track_id"] and rows[1]["track_id"] == rows[6]["track_id"]
    assert rows[2]["track_id"] == "" and {str(r["sequence"]) for r in rows} == {str(sequence)}
    assert [(m["line"], m.get("column")) for m in audit["malformed"]] == [
        (5, "isrc"),
        (6, None),
        (7, "url"),
    ]
    assert audit["counts"]["train-genai"] == {"allow": 2, "deny": 1, "license": 0, "unset": 4}
    assert audit["rows"] == audit["written"] == 7 and audit["sequence"] == sequence
    assert audit["rows_registered"] == 3 and audit["rows_unjudged"] == 3


@pytest.mark.parametrize("mode", ["mirror", "live"])
def test_a_csv_manifest_of_mixed_identifiers(live_registry, catalogue, tmp_path, mode):
    manifest, out = tmp_path / "manifest.csv", tmp_path / "judged.csv"
    write_csv(manifest, MIXED)
    argv = ["check", str(manifest), "-o", str(out), "--quiet"]
    if mode == "mirror":
        argv += ["--mirror", str(catalogue)]
    else:
        argv = live_registry.argv() + argv
    assert main(argv) == 0
    rows = read_csv(out)
    audit = json.loads((tmp_path / "judged.csv.audit.json").read_text())
    assert list(rows[0]) == ["url", "isrc", "caption", *ADDED_COLUMNS]
    assert audit["mode"] == mode and audit["registry"] == live_registry.url
    assert_mixed_judged(rows, audit, live_registry.client().last_sequence())
    assert audit["output"]["sha256"] != audit["input"]["sha256"]
    if mode == "live":
        assert audit["as_of"].endswith("Z")


ADDED_COLUMNS = ["tdm", "train-ai", "train-genai", "ai-input", "search", "track_id", "sequence"]


def test_a_json_lines_manifest_keeps_unreadable_lines(catalogue, tmp_path):
    manifest, out = tmp_path / "manifest.jsonl", tmp_path / "judged.jsonl"
    lines = [json.dumps(row) for row in MIXED]
    lines.insert(3, "{not json")  # line 4
    manifest.write_text("\n".join(lines) + "\n")
    audit = check_manifest(manifest, out, mirror=catalogue)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 8 and rows[3]["_malformed"] == "{not json"
    assert rows[3]["train-genai"] == "unset"
    assert [m["line"] for m in audit["malformed"]] == [4, 5, 6, 7]  # no header line
    # Several links in one cell, as a list: the most restrictive answer among them.
    listed = tmp_path / "listed.jsonl"
    urls = ["https://example.org/x", "https://soundcloud.com/night-owls/song-0"]
    listed.write_text(json.dumps({"urls": urls}) + "\n")
    check_manifest(listed, tmp_path / "listed-out.jsonl", mirror=catalogue)
    (judged,) = [
        json.loads(line) for line in (tmp_path / "listed-out.jsonl").read_text().splitlines()
    ]
    assert judged["train-genai"] == "deny" and judged["urls"] == urls
    with pytest.raises(ManifestError, match="line 4"):
        check_manifest(manifest, out, mirror=catalogue, strict=True)


def test_drop_reserved_writes_only_rows_a_model_may_train_on(catalogue, tmp_path):
    manifest, out = tmp_path / "manifest.csv", tmp_path / "train.csv"
    write_csv(manifest, MIXED)
    audit = check_manifest(
        manifest, out, mirror=catalogue, columns=["url", "isrc"], drop_reserved="train-genai"
    )
    rows = read_csv(out)
    assert [r["caption"] for r in rows] == list("bcdefg")
    assert audit["written"] == 6 and audit["dropped"] == 1


def test_columns_are_named_when_not_recognised(catalogue, tmp_path):
    manifest = tmp_path / "m.csv"
    write_csv(manifest, [{"location": "https://soundcloud.com/night-owls/song-0"}])
    with pytest.raises(ManifestError, match="--column"):
        check_manifest(manifest, tmp_path / "o.csv", mirror=catalogue)
    check_manifest(manifest, tmp_path / "o.csv", mirror=catalogue, columns=["location=url"])
    assert read_csv(tmp_path / "o.csv")[0]["train-ai"] == "deny"


@pytest.mark.subprocess
def test_the_console_script_checks_a_manifest(live_registry, catalogue, tmp_path):
    manifest, out = tmp_path / "manifest.csv", tmp_path / "judged.csv"
    write_csv(manifest, MIXED)
    env = {"REGISTRY_URL": live_registry.url, "REGISTRY_API_KEY": live_registry.key}
    env["PYTHONPATH"] = CLIENT_PATH
    done = subprocess.run(
        [sys.executable, "-m", "registry_client", "check", str(manifest), "-o", str(out)],
        env=env | {"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 7
    assert "checking:" in done.stderr and "rows/s" in done.stderr
    assert [r["train-genai"] for r in read_csv(out)][:2] == ["deny", "allow"]


def test_everyday_variants_of_registered_links_are_judged_as_the_live_api(live_registry, tmp_path):
    """A manifest of every listed variant of registered links (other scheme, `m.` hosts, short
    links, tracking parameters) mixed with unregistered links: with the mirror and live, each
    row answers what the live single lookup of that link answers."""
    artist = make_artist("Owner Band", "owner-band")
    for n, platform in enumerate(PLATFORMS):
        data = TrackData(
            title=f"Song on {platform.name}",
            artist_credit="Owner Band",
            roles=["recording"],
            links=[platform.registered],
        )
        track = register_track(artist, data).tracks[0]
        declare(artist, CHOICES[n % len(CHOICES)], track=track)
    short = TrackData(
        title="Short", artist_credit="Owner Band", roles=["recording"],
        links=[UNRESOLVED_SHORT_LINKS[0]],
    )  # fmt: skip
    declare(artist, CHOICES[0], track=register_track(artist, short).tracks[0])
    verify_claims_of(artist)
    urls = [UNRESOLVED_SHORT_LINKS[0], UNRESOLVED_SHORT_LINKS[1]]
    for platform in PLATFORMS:
        urls += [platform.registered, *platform.variants]
        urls.append(platform.stored.replace("/track", "/other") + "x")  # unregistered
    urls += [f"https://youtu.be/unknown{n}?t=1" for n in range(5)]
    manifest = tmp_path / "variants.jsonl"
    manifest.write_text("".join(json.dumps({"url": u}) + "\n" for u in urls))
    registry = live_registry.client()
    expected = [registry.lookup("url", u) for u in urls]
    assert sum(e["status"] == "registered" for e in expected) == 1 + sum(
        1 + len(p.variants) for p in PLATFORMS
    )
    mirror = tmp_path / "mirror"
    with Mirror(mirror) as opened:
        sync(registry, opened)
        for url, live in zip(urls, expected, strict=True):
            assert comparable(opened.answer("url", url)) == comparable(live), url
    # Live: small batches, three at a time, so the answers must be put back in order.
    for where in ({"mirror": mirror}, {"registry": registry, "batch_size": 7, "workers": 3}):
        out = tmp_path / "judged.jsonl"
        check_manifest(manifest, out, **where)
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        for row, live in zip(rows, expected, strict=True):
            for purpose in ADDED_COLUMNS[:5]:
                assert row[purpose] == live["policy"][purpose]["value"], (row["url"], where)
            assert row["track_id"] == (live["track"]["id"] if live["track"] else "")


def test_a_manifest_is_streamed_in_chunks_in_order_across_worker_processes(catalogue, tmp_path):
    """Chunks judged side by side in worker processes come back in order, with the line numbers
    of malformed rows of every chunk, and the same output and audit as one chunk in-process."""
    rows = [dict(row, caption=f"{row['caption']}{n}") for n in range(9) for row in MIXED]
    manifest = tmp_path / "big.csv"
    write_csv(manifest, rows)
    one = check_manifest(manifest, tmp_path / "one.csv", mirror=catalogue, workers=1)
    many = check_manifest(
        manifest, tmp_path / "many.csv", mirror=catalogue, workers=2, chunk_rows=5
    )
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()
    assert [r["caption"] for r in read_csv(tmp_path / "many.csv")] == [r["caption"] for r in rows]
    lines = [(m["line"], m.get("column")) for m in many["malformed"]]
    assert lines == [(line + 7 * n, column) for n in range(9) for line, column in
                     [(5, "isrc"), (6, None), (7, "url")]]  # fmt: skip
    for key in ("rows", "written", "counts", "malformed", "identifiers", "rows_unjudged"):
        assert one[key] == many[key], key
    assert many["rows"] == 63 and many["counts"]["train-genai"]["deny"] == 9
    assert not (tmp_path / "many.csv.partial").exists()


def test_json_lines_are_streamed_too(catalogue, tmp_path):
    manifest, out = tmp_path / "manifest.jsonl", tmp_path / "judged.jsonl"
    lines = [json.dumps(row) for row in MIXED] * 3
    lines.insert(10, "[1, 2]")  # line 11: JSON, but not an object
    manifest.write_text("\n".join(lines) + "\n\n")
    audit = check_manifest(manifest, out, mirror=catalogue, workers=2, chunk_rows=4)
    judged = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(judged) == 22 and judged[10] == {"_malformed": "[1, 2]"} | {
        **dict.fromkeys(ADDED_COLUMNS[:5], "unset"),
        "track_id": "",
        "sequence": audit["sequence"],
    }
    assert [m["line"] for m in audit["malformed"]] == [4, 5, 6, 11, 12, 13, 14, 19, 20, 21]


def test_strict_writes_nothing_and_a_mirror_that_moved_on_is_refused(catalogue, tmp_path):
    from registry_client.check import MirrorAnswerer

    manifest, out = tmp_path / "manifest.csv", tmp_path / "judged.csv"
    write_csv(manifest, MIXED)
    with pytest.raises(ManifestError, match="line 5"):
        check_manifest(manifest, out, mirror=catalogue, strict=True)
    assert not out.exists() and not (tmp_path / "judged.csv.partial").exists()
    with Mirror(catalogue) as mirror:
        cursor = mirror.cursor
    database = catalogue / "registry-mirror.sqlite3"
    MirrorAnswerer(database, cursor).close()
    with pytest.raises(ManifestError, match="moved on"):
        MirrorAnswerer(database, cursor - 1)


def test_a_csv_record_with_more_fields_than_the_header_is_reported(catalogue, tmp_path):
    manifest = tmp_path / "extra.csv"
    manifest.write_text("url,caption\nhttps://soundcloud.com/night-owls/song-0,a,extra\n")
    audit = check_manifest(manifest, tmp_path / "o.csv", mirror=catalogue)
    (row,) = read_csv(tmp_path / "o.csv")
    assert row["train-genai"] == "deny" and row["caption"] == "a"
    assert [m["line"] for m in audit["malformed"]] == [2]
    assert "3 fields" in audit["malformed"][0]["reason"]
