"""Seed the benchmark database with a realistic registry, once.

    DATABASE_URL=postgres://…/registry_bench python bench/seed.py [--tracks N] [--creators N]

What it writes (defaults: 1,000,000 tracks, 100,000 creators), deterministic for a given size:

- one user and one creator per artist; every creator owns at least one track, the rest of the
  catalogue is spread with a long tail (a few labels with thousands of tracks);
- tracks with a valid ISRC each (about a third with an ISWC), 1–4 links each on well-known hosts
  (Spotify, Apple Music, YouTube, SoundCloud, Bandcamp), already in the registry's normalized form;
- one active recording claim per track; 1% of tracks disputed: a second creator claims the same
  recording and an open dispute holds both claims;
- verification (docs/trust.md): 70% of creators are proven, each of their claims with a
  verification in force (a link proof, or a reviewer's decision); the disputed second claims
  stay unverified; every link belongs to its owner's claim, and 1% of tracks also keep a link
  their owner removed (hidden, reason "removed");
- declarations: about a third of creators with the one-click catalogue-wide AI opt-out (some
  of them changed their mind before, some also allow search or licence TDM), a few others with
  catalogue-wide licences or permissions, and a tenth of creators with track-level overrides;
- the effective policy of every track and one change event per track (sequence 1..N, cause
  "claim", as a registration writes it), and the sequence counter at N.

Effective policies and change events are computed with the domain's own resolution
(`consent.resolution`: `resolve_claim` with each claim's proof, `unverified`, `combine`; then
`consent.policies.ComputedPolicy` with the verification summary), so they have exactly the
shapes the services write; a sample is then checked with `find_policy_differences`.

Speed: everything is written with COPY in one transaction, into tables truncated in that same
transaction (so COPY FREEZE writes rows already frozen and visible: no VACUUM needed), with the
secondary indexes and foreign keys dropped first and rebuilt at the end. One thread generates
rows while another streams them to PostgreSQL. The seed refuses a database that already holds
data, and records itself in a `bench_seed` table so that later runs reuse it.
"""

import argparse
import hashlib
import os
import queue
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.db import connection  # noqa: E402

from consent import policies  # noqa: E402
from consent.identifiers import iswc_check_digit  # noqa: E402
from consent.models import EffectivePolicy  # noqa: E402
from consent.policies import ComputedPolicy, verification_summary  # noqa: E402
from consent.purposes import Purpose, Value  # noqa: E402
from consent.resolution import Statement, combine, resolve_claim, unverified  # noqa: E402

# The API's precomputed `policy`, stored beside the provenance (when this version has it).
ANSWER_FIELD = any(f.name == "answer_policy" for f in EffectivePolicy._meta.get_fields())
answer_of = getattr(policies, "policy_from_provenance", None) if ANSWER_FIELD else None
# Each policy row's and change event's visible links (when this version has them).
LINKS_FIELD = any(f.name == "links" for f in EffectivePolicy._meta.get_fields())

SEED_VERSION = 4
MARKER_TABLE = "bench_seed"
# Every table the seed writes; they are truncated and filled in one transaction.
TABLES = [
    "auth_user",
    "consent_creator",
    "consent_track",
    "consent_tracklink",
    "consent_claim",
    "consent_claimverification",
    "consent_dispute",
    "consent_dispute_claims",
    "consent_declaration",
    "consent_effectivepolicy",
    "consent_changeevent",
]
# The transparency log's tables: written after the rows, from them (`write_log`).
LOG_TABLES = ["consent_logentry", "consent_loghash", "consent_checkpoint"]
CHUNK = 25_000
T0 = datetime(2023, 1, 1, tzinfo=UTC)
TRACK_SPACING = timedelta(minutes=1)
COUNTRIES = ["US", "GB", "DE", "FR", "SE", "NL", "JP", "CA", "AU", "BR", "ES", "IT", "NO", "QZ"]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64URL = B62 + "-_"
# Trust (docs/trust.md): the share of creators whose claims are proven, how, and by whom.
PROVEN_SHARE = 0.70
LINK_PROOF_SHARE = 0.80  # of the proven: a link proof; the others a reviewer's decision
REVIEWERS = 20  # staff users who decide reviews, numbered after the creators' users
REVIEW_REASON = "Distributor statement checked against the ISRC registrant."
REMOVED_LINK_SHARE = 0.01  # tracks that also keep a link their owner removed (hidden)


def words(text: str) -> list[str]:
    return text.split()


FIRST = words(
    "Juniper Night Velvet Static Golden Hollow Paper Neon Quiet Silver Northern Broken Lunar "
    "Crimson Electric Wild Little Bright Distant Amber Glass Cosmic Gentle Iron Violet Stone "
    "Summer Winter Ocean Desert Midnight Morning Faded Lost Secret Painted Wandering Honey"
)
SECOND = words(
    "Vale Owls Harbor Engines Foxes Parade Choir Rivers Tides Lanterns Saints Machines Pilots "
    "Gardens Wolves Sparrows Signals Ghosts Cartographers Satellites Orchards Arcade Kids Bloom "
    "Collective Ensemble Quartet Sound System Brothers Sisters Club Society Orchestra Trio"
)
WORDS = words(
    "love night fire heart light dream rain road home blue time dance city river moon sun "
    "shadow song wind gold morning summer ghost echo wave stars falling running burning "
    "slow fast little forever tonight highway neon velvet paper glass silence thunder honey "
    "coffee window mirror garden ocean island letter secret wild young old cold warm"
)


# --- Small fast helpers -----------------------------------------------------------------------


def make_uuid(rng: random.Random) -> str:
    """A random version-4 UUID in canonical text form, from the seeded generator."""
    bits = rng.getrandbits(128)
    bits = (bits & ~(0xF << 76)) | (4 << 76)
    bits = (bits & ~(0x3 << 62)) | (0x2 << 62)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def ts(moment: datetime) -> str:
    return moment.isoformat()


def copy_text(value: str) -> str:
    """Escape for COPY's text format (generated names never contain these, JSON might)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    return value


def slug_words(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(WORDS) for _ in range(count)]


class Progress:
    """A one-line textual progress bar on stderr."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.done = total, label, 0
        self.start = time.monotonic()
        self.last = 0.0
        self.shown_complete = False
        self.tty = sys.stderr.isatty()

    def advance(self, amount: int) -> None:
        self.done += amount
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else 5) and self.done < self.total:
            return
        self.last = now
        self.shown_complete = self.done >= self.total
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        elapsed = now - self.start
        eta = elapsed / share - elapsed if share else 0
        line = (
            f"{self.label} [{bar:<30}] {share:6.1%} {self.done:>10,}/{self.total:,} rows "
            f"{elapsed:5.0f}s elapsed, ~{eta:3.0f}s left"
        )
        sys.stderr.write(("\r" + line) if self.tty else (line + "\n"))
        sys.stderr.flush()

    def finish(self) -> None:
        if not self.shown_complete:
            self.done = self.total
            self.advance(0)
        if self.tty:
            sys.stderr.write("\n")


# --- The model of the registry to generate ---------------------------------------------------


@dataclass
class CreatorInfo:
    id: int
    public_id: str
    name: str
    handle: str
    created_at: datetime
    opted_out: bool = False
    proof: str = ""  # how each of this creator's claims is verified; "" when unverified
    reviewer: int = 0  # the user who decided a verification by review
    overrides_left: int = 0
    registered: int = 0
    catalogue: dict = field(default_factory=dict)  # Purpose -> Statement
    # Per-creator cache for single-claim tracks without overrides (the common case).
    provenance_json: str = ""
    answer_json: str = ""
    verification_json: str = ""
    snapshot: dict = field(default_factory=dict)
    event_json: dict = field(default_factory=dict)


PLACEHOLDER_CLAIM = "00000000-0000-4000-8000-000000000000"


class Registry:
    def __init__(self, tracks: int, creators: int, seed: int = 20240601):
        self.n_tracks, self.n_creators = tracks, creators
        self.rng = random.Random(seed)
        # Verification and hidden links draw from a generator of their own, so every other row
        # is the same as in seeds made before verification existed (runs compare like for like).
        self.trust_rng = random.Random(seed + 1)
        self.verification_id = 0
        self.hidden_links: list[str] = []
        self.declaration_id = 0
        self.claim_id = tracks  # extra (dispute) claims are numbered after one per track
        self.dispute_id = 0
        self.dispute_claim_id = 0
        self.link_id = 0
        self.creators: list[CreatorInfo] = []
        self.owner: list[int] = []

    # Owners: every creator gets one track, the rest go to a long tail of big catalogues.
    def assign_owners(self) -> None:
        rng, n, c = self.rng, self.n_tracks, self.n_creators
        owner = list(range(1, c + 1))
        owner += [1 + int(c * rng.random() ** 2) for _ in range(n - c)]
        rng.shuffle(owner)
        self.owner = [0, *owner]  # 1-based by track id
        first_track: dict[int, int] = {}
        for track_id in range(1, n + 1):
            first_track.setdefault(self.owner[track_id], track_id)
        self.first_track = first_track

    def track_time(self, track_id: int) -> datetime:
        return T0 + track_id * TRACK_SPACING

    def make_creators(self) -> None:
        rng = self.rng
        for cid in range(1, self.n_creators + 1):
            name = f"{rng.choice(FIRST)} {rng.choice(SECOND)}"
            handle = f"{name.lower().replace(' ', '-')}-{cid}"
            created = self.track_time(self.first_track[cid]) - timedelta(days=1)
            creator = CreatorInfo(cid, make_uuid(rng), name, handle, created, opted_out=False)
            if self.trust_rng.random() < PROVEN_SHARE:
                if self.trust_rng.random() < LINK_PROOF_SHARE:
                    creator.proof = "link"
                else:
                    creator.proof = "review"
                    creator.reviewer = self.n_creators + 1 + self.trust_rng.randrange(REVIEWERS)
            self.creators.append(creator)

    def user_rows(self) -> str:
        out = []
        for c in self.creators:
            out.append(
                f"{c.id}\t!bench{c.id}\t\\N\tf\tartist{c.id}\t\t\t"
                f"artist{c.id}@bench.example\tf\tt\t{ts(c.created_at)}\n"
            )
        for uid in range(self.n_creators + 1, self.n_creators + 1 + REVIEWERS):
            out.append(
                f"{uid}\t!bench{uid}\t\\N\tf\treviewer{uid}\t\t\t"
                f"reviewer{uid}@bench.example\tt\tt\t{ts(T0)}\n"
            )
        return "".join(out)

    def creator_rows(self) -> str:
        out = []
        for c in self.creators:
            out.append(
                f"{c.id}\t{c.public_id}\t{c.name}\t{c.handle}\t\t{ts(c.created_at)}\t{c.id}\t\\N\n"
            )
        return "".join(out)

    # --- Declarations ------------------------------------------------------------------------

    def _declare(
        self,
        out: list,
        creator: CreatorInfo,
        track_id,
        purpose,
        value,
        at,
        batch,
        terms_url="",
        contact_email="",
    ) -> Statement:
        self.declaration_id += 1
        out.append(
            f"{self.declaration_id}\t{purpose.value}\t{value.value}\t{terms_url}\t{contact_email}"
            f"\t{batch}\t{ts(at)}\t{creator.id}\t{track_id if track_id else chr(92) + 'N'}\n"
        )
        return Statement(
            value=value,
            declaration_id=self.declaration_id,
            declared_at=at,
            terms_url=terms_url,
            contact_email=contact_email,
        )

    def catalogue_declarations(self) -> str:
        """About a third opt out of AI (one click), a few others declare something else."""
        rng, out = self.rng, []
        for c in self.creators:
            at = c.created_at + timedelta(hours=1)
            terms = f"https://{c.handle}.example/licence"
            statements: dict[Purpose, Statement] = {}
            roll = rng.random()
            if roll < 1 / 3:
                c.opted_out = True
                if rng.random() < 0.1:  # first asked for a licence, then opted out
                    earlier = at - timedelta(minutes=30)
                    statements[Purpose.TRAIN_AI] = self._declare(
                        out,
                        c,
                        None,
                        Purpose.TRAIN_AI,
                        Value.LICENSE,
                        earlier,
                        make_uuid(rng),
                        terms_url=terms,
                    )
                batch = make_uuid(rng)
                for purpose in (Purpose.TRAIN_AI, Purpose.TRAIN_GENAI, Purpose.AI_INPUT):
                    statements[purpose] = self._declare(
                        out, c, None, purpose, Value.DENY, at, batch
                    )
                extra = rng.random()
                if extra < 0.10:
                    statements[Purpose.SEARCH] = self._declare(
                        out, c, None, Purpose.SEARCH, Value.ALLOW, at, make_uuid(rng)
                    )
                elif extra < 0.15:
                    statements[Purpose.TDM] = self._declare(
                        out,
                        c,
                        None,
                        Purpose.TDM,
                        Value.LICENSE,
                        at,
                        make_uuid(rng),
                        contact_email=f"licensing@{c.handle}.example",
                    )
            elif roll < 0.40:
                statements[Purpose.TDM] = self._declare(
                    out, c, None, Purpose.TDM, Value.LICENSE, at, make_uuid(rng), terms_url=terms
                )
            elif roll < 0.44:
                batch = make_uuid(rng)
                for purpose in (Purpose.TDM, Purpose.SEARCH):
                    statements[purpose] = self._declare(
                        out, c, None, purpose, Value.ALLOW, at, batch
                    )
            c.catalogue = statements
            if rng.random() < 0.10:
                c.overrides_left = 1 + min(int(rng.expovariate(0.5)), 9)
            # The answer for a track with only this creator's claim and no override.
            computed = self.compute([(PLACEHOLDER_CLAIM, c, {}, c.proof)], disputed=False)
            c.provenance_json = orjson.dumps(computed.provenance()).decode()
            c.verification_json = orjson.dumps(computed.verification).decode()
            if answer_of:
                c.answer_json = orjson.dumps(answer_of(computed.provenance())).decode()
            c.snapshot = computed.snapshot()
        return "".join(out)

    def track_override(self, out: list, c: CreatorInfo, track_id: int) -> dict:
        rng, at = self.rng, self.track_time(track_id)
        batch = make_uuid(rng)
        roll = rng.random()
        if c.opted_out:
            if roll < 0.5:
                choice = [(Purpose.AI_INPUT, Value.ALLOW, "", "")]
            elif roll < 0.8:
                choice = [(Purpose.TRAIN_GENAI, Value.LICENSE, "", f"sync@{c.handle}.example")]
            else:
                choice = [(Purpose.SEARCH, Value.DENY, "", ""), (Purpose.TDM, Value.DENY, "", "")]
        elif roll < 0.6:
            choice = [(Purpose.TRAIN_AI, Value.DENY, "", "")]
        else:
            choice = [(Purpose.TDM, Value.LICENSE, f"https://{c.handle}.example/track-terms", "")]
        return {
            purpose: self._declare(out, c, track_id, purpose, value, at, batch, terms, email)
            for purpose, value, terms, email in choice
        }

    # --- Resolution, with the domain's own functions ------------------------------------------

    @staticmethod
    def compute(claims: list, disputed: bool) -> ComputedPolicy:
        """claims: (claim public id, creator, track-level statements, proof), oldest first;
        proof is the claim's verification method, "" when it is unverified."""
        by_id = {}
        per_claim = []
        for index, (public_id, creator, track_statements, proof) in enumerate(claims):
            by_id[index] = SimpleNamespace(
                public_id=public_id,
                role="recording",
                creator=SimpleNamespace(public_id=creator.public_id),
            )
            resolution = resolve_claim(track_statements, creator.catalogue, index, proof)
            if not proof:
                resolution = unverified(resolution)
            per_claim.append(resolution)
        summary = verification_summary([proof for *_, proof in claims])
        return ComputedPolicy(combine(per_claim), disputed, by_id, summary)

    # --- Tracks and everything per track -----------------------------------------------------

    def track_chunk(self, start: int, end: int) -> dict[str, str]:
        rng = self.rng
        tracks, links, claims, disputes, dispute_claims = [], [], [], [], []
        declarations, policies, events, verifications = [], [], [], []
        for tid in range(start, end):
            c = self.creators[self.owner[tid] - 1]
            at = self.track_time(tid)
            when = ts(at)
            words = slug_words(rng, 1 + int(rng.random() * 3))
            title = " ".join(words).title()
            slug = "-".join(words)
            cc = COUNTRIES[c.id % len(COUNTRIES)]
            reg = c.id // len(COUNTRIES)
            registrant = ALNUM[reg // 1296 % 36] + ALNUM[reg // 36 % 36] + ALNUM[reg % 36]
            c.registered += 1  # designation codes count up per registrant
            isrc = f"{cc}{registrant}{at.year % 100:02d}{c.registered:05d}"
            if rng.random() < 0.33:
                digits = f"{rng.randrange(10**9):09d}"
                iswc = f"T{digits}{iswc_check_digit(digits)}"
            else:
                iswc = ""
            sha = f"{rng.getrandbits(256):064x}" if rng.random() < 0.2 else ""
            duration = 90 + int(rng.random() * 330)
            tracks.append(
                f"{tid}\t{make_uuid(rng)}\t{title}\t{c.name}\t{isrc}\t{iswc}\t{duration}\t{sha}"
                f"\t{when}\n"
            )
            # Links, in the registry's normalized form.
            urls = []
            if rng.random() < 0.7:
                urls.append("https://open.spotify.com/track/" + "".join(rng.choices(B62, k=22)))
            if rng.random() < 0.3:
                urls.append("https://youtube.com/watch?v=" + "".join(rng.choices(B64URL, k=11)))
            if rng.random() < 0.25:
                album = rng.randrange(10**9, 2 * 10**9)
                urls.append(f"https://music.apple.com/us/album/{slug}/{album}?i={album + tid}")
            if rng.random() < 0.15 or not urls:
                urls.append(f"https://soundcloud.com/{c.handle}/{slug}-{tid}")
            if rng.random() < 0.05:
                urls.append(f"https://{c.handle}.bandcamp.com/track/{slug}-{tid}")
            # Every link belongs to the claim that added it: the owner's, whose id is the track's.
            for url in urls:
                self.link_id += 1
                host = url.split("/", 3)[2]
                links.append(
                    f"{self.link_id}\t{url}\t{host}\t{when}\t{c.id}\t{tid}\t{tid}\t\\N\t\t\\N\n"
                )
            if self.trust_rng.random() < REMOVED_LINK_SHARE:
                # An earlier upload its owner removed: hidden, kept for the record and `as_of`.
                # Numbered after every visible link (see `hidden_link_rows`).
                video = "".join(self.trust_rng.choices(B64URL, k=11))
                removed = ts(at + timedelta(days=1 + self.trust_rng.randrange(300)))
                self.hidden_links.append(
                    f"https://youtube.com/watch?v={video}\tyoutube.com\t{when}\t{c.id}\t{tid}"
                    f"\t{tid}\t{removed}\tremoved\t{c.id}\n"
                )
            # The owner's claim has the track's id.
            claim_public = make_uuid(rng)
            claims.append(f"{tid}\t{claim_public}\trecording\tactive\t{when}\t{c.id}\t{tid}\t\\N\n")
            if c.proof:
                # Verified as it was registered, so the track's one change event already
                # carries the verified policy.
                self.verification_id += 1
                if c.proof == "link":
                    detail, reviewer = urls[0], "\\N"
                else:
                    detail, reviewer = REVIEW_REASON, c.reviewer
                verifications.append(
                    f"{self.verification_id}\t{c.proof}\t{detail}\t{when}\t\\N\t\t{tid}"
                    f"\t{reviewer}\n"
                )
            override = {}
            if c.overrides_left:
                c.overrides_left -= 1
                override = self.track_override(declarations, c, tid)
            disputed = rng.random() < 0.01
            if not disputed and not override:
                provenance = c.provenance_json.replace(PLACEHOLDER_CLAIM, claim_public)
                answer = c.answer_json.replace(PLACEHOLDER_CLAIM, claim_public)
                snapshot = c.snapshot
                verification = c.verification_json
            else:
                parties = [(claim_public, c, override, c.proof)]
                if disputed:
                    other = self.creators[rng.randrange(self.n_creators)]
                    if other.id == c.id:
                        other = self.creators[c.id % self.n_creators]
                    self.claim_id += 1
                    other_public = make_uuid(rng)
                    second = ts(at + timedelta(seconds=1))
                    claims.append(
                        f"{self.claim_id}\t{other_public}\trecording\tactive\t{second}"
                        f"\t{other.id}\t{tid}\t\\N\n"
                    )
                    self.dispute_id += 1
                    disputes.append(
                        f"{self.dispute_id}\t{make_uuid(rng)}\trecording\topen\tCompeting claims "
                        f"on the recording: the same ISRC was registered again.\t{second}\t\\N"
                        f"\t{tid}\t\\N\t\\N\t\\N\t\\N\t\t\\N\t\\N\t\t\\N\n"
                    )
                    for claim_id in (tid, self.claim_id):
                        self.dispute_claim_id += 1
                        dispute_claims.append(
                            f"{self.dispute_claim_id}\t{self.dispute_id}\t{claim_id}\n"
                        )
                    parties.append((other_public, other, {}, ""))  # the newcomer is unproven
                computed = self.compute(parties, disputed)
                verification = orjson.dumps(computed.verification).decode()
                provenance = orjson.dumps(computed.provenance()).decode()
                answer = (
                    orjson.dumps(answer_of(computed.provenance())).decode() if answer_of else ""
                )
                snapshot = computed.snapshot()
            values = "\t".join(
                snapshot[p] for p in ("tdm", "train-ai", "train-genai", "ai-input", "search")
            )
            event_time = ts(at + timedelta(seconds=1)) if disputed else when
            answer_column = f"\t{copy_text(answer)}" if answer_of else ""
            links_json = copy_text(orjson.dumps(sorted(urls)).decode())
            links_column = f"\t{links_json}" if LINKS_FIELD else ""
            policies.append(
                f"{tid}\t{values}\t{'t' if disputed else 'f'}\t{copy_text(provenance)}\t{tid}"
                f"\t{event_time}\t{verification}{answer_column}{links_column}\n"
            )
            policy_json = orjson.dumps(snapshot | {"disputed": disputed}).decode()
            event_links = f"\t{links_json}\t[]" if LINKS_FIELD else ""
            events.append(
                f"{tid}\t{tid}\t{copy_text(policy_json)}\t{{}}\t{'t' if disputed else 'f'}"
                f"\tclaim\t{event_time}\t{tid}{event_links}\n"
            )
        return {
            "consent_track": "".join(tracks),
            "consent_tracklink": "".join(links),
            "consent_claim": "".join(claims),
            "consent_claimverification": "".join(verifications),
            "consent_dispute": "".join(disputes),
            "consent_dispute_claims": "".join(dispute_claims),
            "consent_declaration": "".join(declarations),
            "consent_effectivepolicy": "".join(policies),
            "consent_changeevent": "".join(events),
        }, end - start

    def hidden_link_rows(self) -> str:
        """The removed links, numbered after every visible one so that the visible links keep
        the ids they have in seeds made before links could be hidden."""
        out = []
        for row in self.hidden_links:
            self.link_id += 1
            out.append(f"{self.link_id}\t{row}")
        return "".join(out)


COLUMNS = {
    "auth_user": "id, password, last_login, is_superuser, username, first_name, last_name, "
    "email, is_staff, is_active, date_joined",
    "consent_creator": "id, public_id, artist_name, handle, isni, created_at, user_id, "
    "suspended_at",
    "consent_track": "id, public_id, title, artist_credit, isrc, iswc, duration_seconds, "
    "audio_sha256, created_at",
    "consent_tracklink": "id, url, host, created_at, added_by_id, track_id, claim_id, hidden_at, "
    "hidden_reason, hidden_by_id",
    "consent_claim": "id, public_id, role, status, created_at, creator_id, track_id, ended_at",
    "consent_claimverification": "id, method, detail, started_at, ended_at, ended_reason, "
    "claim_id, verified_by_id",
    "consent_dispute": "id, public_id, role, status, reason, opened_at, closed_at, track_id, "
    "contested_claim_id, contester_claim_id, decided_at, decided_by_id, decision_reason, "
    "duplicate_of_id, opened_by_id, outcome, upheld_claim_id",
    "consent_dispute_claims": "id, dispute_id, claim_id",
    "consent_declaration": "id, purpose, value, terms_url, contact_email, batch, declared_at, "
    "creator_id, track_id",
    "consent_effectivepolicy": "track_id, tdm, train_ai, train_genai, ai_input, search, "
    "disputed, provenance, sequence, updated_at, verification"
    + (", answer_policy" if answer_of else "")
    + (", links" if LINKS_FIELD else ""),
    "consent_changeevent": "id, sequence, policy, previous, disputed, cause, created_at, track_id"
    + (", links, previous_links" if LINKS_FIELD else ""),
}


# --- Database side ---------------------------------------------------------------------------


def seeded(cursor) -> dict | None:
    cursor.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(
        f"SELECT tracks, creators, seconds, completed_at, version FROM {MARKER_TABLE} "  # noqa: S608
        "ORDER BY completed_at DESC LIMIT 1"
    )
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip(["tracks", "creators", "seconds", "completed_at", "version"], row, strict=True))


def secondary_objects(cursor) -> tuple[list, list, list]:
    """(drop statements, index statements, constraint statements) of the seeded tables,
    primary keys and check constraints excepted."""
    drops, indexes, constraints = [], [], []
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'f')
        ORDER BY c.contype DESC, c.conname
        """,
        [TABLES],
    )
    constraint_names = set()
    for table, name, definition, _ in cursor.fetchall():
        constraint_names.add(name)
        drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        constraints.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
        ORDER BY 1
        """,
        [TABLES],
    )
    for name, definition in cursor.fetchall():
        if name.strip('"') in constraint_names:
            continue
        drops.append(f"DROP INDEX {name}")
        indexes.append(definition)
    # Unique constraints first (their indexes), then plain indexes, then foreign keys.
    uniques = [s for s in constraints if " UNIQUE " in s]
    foreign = [s for s in constraints if " FOREIGN KEY " in s]
    return drops, uniques + indexes, foreign


def seed(tracks: int, creators: int) -> float:
    started = time.monotonic()
    registry = Registry(tracks, creators)
    with connection.cursor() as cursor:
        if seeded(cursor):
            raise SystemExit("This database is already seeded; `make bench RESEED=1` re-seeds.")
        cursor.execute("SELECT count(*) FROM consent_track")
        if cursor.fetchone()[0]:
            raise SystemExit(
                "The database holds tracks but no seed marker: seed only a fresh database "
                "(`make bench RESEED=1` drops and recreates the bench database)."
            )
    raw = connection.cursor().connection  # the psycopg 3 connection under Django's
    raw.autocommit = False
    sys.stderr.write(f"Seeding {tracks:,} tracks and {creators:,} creators…\n")
    with raw.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("SET LOCAL synchronous_commit = off")
        drops, index_statements, foreign_keys = secondary_objects(cur)
        cur.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        for statement in drops:
            cur.execute(statement)

        registry.assign_owners()
        registry.make_creators()
        # Rows go through a queue: this thread generates, a writer thread streams COPY.
        total = tracks * 6 + creators * 3
        progress = Progress(total, "seed")
        pipe: queue.Queue = queue.Queue(maxsize=3)
        failure: list[BaseException] = []

        def writer() -> None:
            try:
                while (item := pipe.get()) is not None:
                    batch, rows = item
                    for table, text in batch.items():
                        if not text:
                            continue
                        with cur.copy(
                            f"COPY {table} ({COLUMNS[table]}) FROM STDIN WITH (FREEZE)"
                        ) as copy:
                            copy.write(text.encode())
                    progress.advance(rows)
            except BaseException as exc:  # reported by the main thread
                failure.append(exc)
                while pipe.get() is not None:
                    pass

        thread = threading.Thread(target=writer, name="copy-writer")
        thread.start()
        try:
            pipe.put(({"auth_user": registry.user_rows()}, creators))
            pipe.put(({"consent_creator": registry.creator_rows()}, creators))
            pipe.put(({"consent_declaration": registry.catalogue_declarations()}, creators))
            for start in range(1, tracks + 1, CHUNK):
                if failure:
                    break
                batch, count = registry.track_chunk(start, min(start + CHUNK, tracks + 1))
                pipe.put((batch, count * 6))
            if not failure:
                pipe.put(({"consent_tracklink": registry.hidden_link_rows()}, 0))
        finally:
            pipe.put(None)
            thread.join()
        if failure:
            raise failure[0]
        progress.finish()

        sys.stderr.write(
            f"rows written in {time.monotonic() - started:.0f}s; building indexes and keys…\n"
        )
        for statement in index_statements + foreign_keys:
            cur.execute(statement)
        for table in TABLES:
            if table == "consent_effectivepolicy":  # keyed by track, no sequence of its own
                continue
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)",
                [table],
            )
        cur.execute("UPDATE consent_sequencecounter SET value = %s WHERE id = 1", [tracks])
        if cur.rowcount == 0:
            cur.execute("INSERT INTO consent_sequencecounter (id, value) VALUES (1, %s)", [tracks])
    raw.commit()
    sys.stderr.write(f"committed after {time.monotonic() - started:.0f}s; writing the log…\n")
    log_started = time.monotonic()
    entries = write_log(raw)
    log_seconds = time.monotonic() - log_started
    sys.stderr.write(f"log of {entries:,} entries written in {log_seconds:.0f}s; analyzing…\n")
    raw.autocommit = True
    with raw.cursor() as cur:
        for table in TABLES + LOG_TABLES:
            cur.execute(f"ANALYZE {table}")
    # The marker last: a seed that stopped half-way is never reused.
    seconds = time.monotonic() - started
    with raw.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (tracks integer, creators integer, "
            "seconds real, completed_at timestamptz DEFAULT now(), version integer, "
            "log_entries bigint, log_seconds real)"
        )
        cur.execute(
            f"INSERT INTO {MARKER_TABLE} (tracks, creators, seconds, version, log_entries, "  # noqa: S608
            "log_seconds) VALUES (%s, %s, %s, %s, %s, %s)",
            [tracks, creators, seconds, SEED_VERSION, entries, log_seconds],
        )
    return seconds


# --- The transparency log of the seeded rows --------------------------------------------------

# Every row the log records (docs/log.md), as the JSON of its record: PostgreSQL joins the public
# ids and writes the times as `consent.times.rfc3339` does; Python sorts the members (RFC 8785)
# and hashes. Ordered as `consent.transparency.backfill` orders a backfill: by the record's time,
# then kind, then id. The seed writes no decided dispute and no suspension.
LOG_ROWS_SQL = """
SELECT body, kind FROM (
    SELECT d.declared_at AS at, 0 AS kind, d.id, json_build_object(
        'v', 1, 'type', 'declaration', 'declaration', d.id, 'batch', d.batch::text,
        'creator', c.public_id::text, 'track', t.public_id::text, 'purpose', d.purpose,
        'value', d.value, 'at', {time:d.declared_at})::text AS body
    FROM consent_declaration d
    JOIN consent_creator c ON c.id = d.creator_id
    LEFT JOIN consent_track t ON t.id = d.track_id
  UNION ALL
    SELECT e.created_at, 1, e.sequence, json_build_object(
        'v', 1, 'type', 'policy', 'sequence', e.sequence, 'track', t.public_id::text,
        'cause', e.cause, 'values', e.policy, 'disputed', coalesce(e.disputed, false),
        'links', e.links, 'at', {time:e.created_at})::text
    FROM consent_changeevent e JOIN consent_track t ON t.id = e.track_id
  UNION ALL
    SELECT cl.created_at, 2, cl.id, json_build_object(
        'v', 1, 'type', 'claim', 'claim', cl.public_id::text, 'track', t.public_id::text,
        'creator', c.public_id::text, 'role', cl.role, 'status', cl.status,
        'created_at', {time:cl.created_at}, 'ended_at', {time:cl.ended_at})::text
    FROM consent_claim cl
    JOIN consent_track t ON t.id = cl.track_id
    JOIN consent_creator c ON c.id = cl.creator_id
  UNION ALL
    SELECT v.started_at, 3, v.id, json_build_object(
        'v', 1, 'type', 'verification', 'verification', v.id, 'claim', cl.public_id::text,
        'method', v.method, 'started_at', {time:v.started_at},
        'ended_at', {time:v.ended_at})::text
    FROM consent_claimverification v JOIN consent_claim cl ON cl.id = v.claim_id
  UNION ALL
    SELECT l.created_at, 4, l.id, json_build_object(
        'v', 1, 'type', 'link', 'link', l.id, 'track', t.public_id::text, 'url', l.url,
        'added_by', c.public_id::text, 'claim', cl.public_id::text,
        'created_at', {time:l.created_at}, 'hidden_at', {time:l.hidden_at},
        'hidden_reason', nullif(l.hidden_reason, ''))::text
    FROM consent_tracklink l
    JOIN consent_track t ON t.id = l.track_id
    JOIN consent_creator c ON c.id = l.added_by_id
    LEFT JOIN consent_claim cl ON cl.id = l.claim_id
) rows ORDER BY at, kind, id
"""
LOG_CHUNK = 20_000


def _log_rows_sql() -> str:
    from consent.times import SQL_FORMAT

    return re.sub(
        r"\{time:([a-z_.]+)\}",
        lambda m: f"to_char({m.group(1)} AT TIME ZONE 'UTC', '{SQL_FORMAT}')",
        LOG_ROWS_SQL,
    )


def write_log(raw) -> int:
    """Give every seeded row its log entry, store the tree's hashes and sign one checkpoint.

    Rows are read with a server-side cursor on a second connection and written with COPY FREEZE
    into the log tables, truncated in the writing transaction; the tree is built leaf by leaf
    (`merkle.Frontier`), so memory stays flat. The first records, and one in 10,000 after,
    are checked against `consent.transparency.jcs.canonical`; `verify_log` checks them all.
    """
    import psycopg
    from django.conf import settings

    from consent.purposes import PURPOSES
    from consent.transparency import keys, merkle
    from consent.transparency.jcs import canonical
    from consent.transparency.note import checkpoint_text, sign_note

    purposes = [p.value for p in PURPOSES]
    sort_keys = orjson.OPT_SORT_KEYS
    frontier = merkle.Frontier()
    sha256 = hashlib.sha256
    now = ts(datetime.now(UTC))
    hash_index = 0
    entry = 0
    db = settings.DATABASES["default"]
    source = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    with source, source.cursor(name="seed_log") as rows, raw.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(f"TRUNCATE {', '.join(LOG_TABLES)} CASCADE")
        rows.itersize = LOG_CHUNK
        rows.execute(_log_rows_sql())
        while batch := rows.fetchmany(LOG_CHUNK):
            entry_lines, hash_lines = [], []
            for body, kind in batch:
                record = orjson.loads(body)
                if kind == 1:  # a change event's policy holds more than the purposes' values
                    after = record["values"] or {}
                    record["values"] = {p: after[p] for p in purposes if p in after}
                data = orjson.dumps(record, option=sort_keys)
                if entry < 1000 or entry % 10_000 == 0:
                    assert data == canonical(record), data
                entry_lines.append(f"{entry}\t\\\\x{data.hex()}\t{now}\n")
                for value in frontier.append(sha256(b"\x00" + data).digest()):
                    hash_lines.append(f"{hash_index}\t\\\\x{value.hex()}\n")
                    hash_index += 1
                entry += 1
            with cur.copy(
                'COPY consent_logentry ("index", data, created_at) FROM STDIN WITH (FREEZE)'
            ) as copy:
                copy.write("".join(entry_lines).encode())
            with cur.copy('COPY consent_loghash ("index", hash) FROM STDIN WITH (FREEZE)') as copy:
                copy.write("".join(hash_lines).encode())
        assert hash_index == merkle.stored_hash_count(entry), (hash_index, entry)
        root = frontier.root()
        note = sign_note(checkpoint_text(keys.origin(), entry, root), keys.signer())
        cur.execute(
            "INSERT INTO consent_checkpoint (size, root_hash, note, created_at) "
            "VALUES (%s, %s, %s, now())",
            [entry, root, note],
        )
    raw.commit()
    from consent.transparency import log

    assert log.root(entry) == root, "the stored hashes do not give the signed root"
    raw.commit()  # ends the reading transaction Django's connection opened
    return entry


def verify(sample: int = 3000) -> None:
    """Stored policies match what the services compute, links and identifiers are normalized."""
    from consent.identifiers import normalize_isrc, normalize_url
    from consent.models import EffectivePolicy, Track, TrackLink
    from consent.policies import find_policy_differences

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT track_id FROM consent_effectivepolicy TABLESAMPLE SYSTEM (1) LIMIT %s",
            [sample],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT track_id FROM consent_dispute ORDER BY id LIMIT 300")
        ids += [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT DISTINCT track_id FROM consent_declaration WHERE track_id IS NOT NULL "
            "ORDER BY track_id LIMIT 300"
        )
        ids += [row[0] for row in cursor.fetchall()]
    ids = sorted(set(ids))
    differences = find_policy_differences(ids)
    if differences:
        first = differences[0]
        raise SystemExit(
            f"{len(differences)} of {len(ids)} sampled policies differ from the services' "
            f"computation; first: track {first.track.pk}\nstored:   {first.stored}\n"
            f"computed: {first.computed}"
        )
    for track in Track.objects.filter(id__in=ids[:500]):
        assert normalize_isrc(track.isrc) == track.isrc, track.isrc
    for link in TrackLink.objects.filter(track_id__in=ids[:500]):
        assert normalize_url(link.url) == link.url, link.url
    assert EffectivePolicy.objects.filter(track_id__in=ids).count() == len(ids)
    sys.stderr.write(f"verified {len(ids):,} sampled tracks against the services: no difference\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--verify-only", action="store_true")
    args = parser.parse_args()
    if args.creators > args.tracks:
        parser.error("--creators cannot exceed --tracks: every creator owns a track")
    if not args.verify_only:
        seconds = seed(args.tracks, args.creators)
        sys.stderr.write(f"seeded in {seconds:.0f}s\n")
    verify()


if __name__ == "__main__":
    main()
