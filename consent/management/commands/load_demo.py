"""Demo data for development: six fictional creators and eighteen tracks that show every feature.

Everything goes through `consent.services`, exactly as the website would write it, so the
effective policies, change events and disputes are real. Between them the tracks carry every
value (allow, deny, licence only, no reservation) of every purpose, catalogue defaults with
track overrides, a recording owner and a songwriter on one track, and a disputed track.

Trust is shown too: the owners' claims are verified (by a reviewer, as after reading their
evidence), and an unverified account tries what strangers try: its `allow` on someone else's
track does not count, and its licence offer on a copy of someone else's link publishes no terms.
Both collisions went to the review desk.
"""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from consent.identifiers import iswc_check_digit, normalize_isrc, normalize_iswc
from consent.models import Claim, Creator
from consent.policies import lock_consent_writes
from consent.purposes import Purpose, Value
from consent.services import (
    PurposeChoice,
    TrackData,
    declare,
    opt_out_of_ai_training,
    register_tracks,
)
from consent.verification import Method, verify_claims

DEMO_EMAIL = "demo@example.org"
# Public on purpose: printed by `make run`, and load_demo refuses to run outside debug mode.
DEMO_PASSWORD = "listen-before-you-train"  # noqa: S105

ALLOW = PurposeChoice(Value.ALLOW)
DENY = PurposeChoice(Value.DENY)


def iswc(work_digits: str) -> str:
    """A valid ISWC for nine work digits (the check digit is computed, never typed)."""
    return normalize_iswc(f"T{work_digits}{iswc_check_digit(work_digits)}")


@dataclass
class DemoCreator:
    email: str
    artist_name: str
    handle: str
    catalogue: list[dict[Purpose, PurposeChoice]] = field(default_factory=list)
    opts_out_of_ai: bool = False


@dataclass
class DemoTrack:
    owner: str  # handle of the registering creator
    title: str
    isrc: str
    roles: tuple[str, ...] = ("recording",)
    iswc: str = ""
    duration_seconds: int | None = None
    links: tuple[str, ...] = ()
    choices: dict[Purpose, PurposeChoice] = field(default_factory=dict)
    # Owners' claims are verified by a reviewer; a stranger's are not.
    verified: bool = True


def licence(terms_url: str, contact_email: str) -> PurposeChoice:
    return PurposeChoice(Value.LICENSE, terms_url=terms_url, contact_email=contact_email)


JUNIPER_LICENCE = licence(
    "https://junipervale.example.org/licensing", "licensing@junipervale.example.org"
)
MARA_LICENCE = licence("https://maraokafor.example.org/ai-licence", "")
ORCHARD_LICENCE = licence(
    "https://staticorchard.example.org/library-licence", "sync@staticorchard.example.org"
)

CREATORS = [
    # The demo login: catalogue-wide "search yes", then the one-click AI opt-out.
    DemoCreator(
        DEMO_EMAIL,
        "Juniper Vale",
        "juniper-vale",
        catalogue=[{Purpose.SEARCH: ALLOW}],
        opts_out_of_ai=True,
    ),
    DemoCreator(
        "harbour-lights@example.org",
        "The Harbour Lights",
        "harbour-lights",
        catalogue=[{Purpose.TDM: ALLOW, Purpose.SEARCH: ALLOW}],
    ),
    # A songwriter with no catalogue-wide choices: what she has not declared stays unset.
    DemoCreator("mara@example.org", "Mara Okafor", "mara-okafor"),
    DemoCreator(
        "static-orchard@example.org",
        "Static Orchard",
        "static-orchard",
        catalogue=[{Purpose.TDM: ORCHARD_LICENCE, Purpose.SEARCH: ALLOW}],
    ),
    DemoCreator(
        "northbound@example.org",
        "Northbound Records",
        "northbound-records",
        catalogue=[{Purpose.TDM: ALLOW, Purpose.SEARCH: ALLOW}],
    ),
    # A stranger with a verified email and nothing else: it proves no claim.
    DemoCreator("copycat@example.org", "Copycat Uploads", "copycat-uploads"),
]
STRANGER = "copycat-uploads"
COPYCAT_LICENCE = licence("https://copycat.example.org/pay-here", "money@copycat.example.org")

SIGNAL_DECAY_ISRC = "GB-X7Q-25-00011"

TRACKS = [
    DemoTrack(
        "juniper-vale",
        "Paper Lanterns",
        "GB-X7Q-24-00101",
        roles=("recording", "composition"),
        iswc=iswc("912304517"),
        duration_seconds=214,
        links=(
            "https://soundcloud.com/juniper-vale/paper-lanterns",
            "https://junipervale.bandcamp.com/track/paper-lanterns",
            "https://open.spotify.com/track/4kQe7ZpVv2nLwR8sT1bXyA",
        ),
    ),
    DemoTrack(
        "juniper-vale",
        "Salt in the Gears",
        "GB-X7Q-24-00102",
        roles=("recording", "composition"),
        iswc=iswc("912304528"),
        duration_seconds=187,
        links=("https://junipervale.bandcamp.com/track/salt-in-the-gears",),
        # Analysis and non-generative training are welcome on this one; generative is not.
        choices={Purpose.TDM: ALLOW, Purpose.TRAIN_AI: ALLOW, Purpose.TRAIN_GENAI: DENY},
    ),
    DemoTrack(
        "juniper-vale",
        "Quiet Machinery",
        "GB-X7Q-24-00103",
        roles=("recording", "composition"),
        iswc=iswc("912304539"),
        duration_seconds=256,
        links=(
            "https://www.youtube.com/watch?v=Qm7xT2vLp9c",
            "https://music.apple.com/gb/album/quiet-machinery/1740012345?i=1740012351",
        ),
        # The licence-only track: AI uses are open to anyone who takes a licence.
        choices={Purpose.TRAIN_AI: JUNIPER_LICENCE, Purpose.AI_INPUT: JUNIPER_LICENCE},
    ),
    DemoTrack(
        "juniper-vale",
        "Northern Static (demo)",
        "GB-X7Q-24-00104",
        duration_seconds=142,
        links=("https://soundcloud.com/juniper-vale/northern-static-demo",),
        # An unreleased demo: nothing at all, not even search.
        choices={Purpose.TDM: DENY, Purpose.SEARCH: DENY},
    ),
    DemoTrack(
        "juniper-vale",
        "Signal Decay",
        SIGNAL_DECAY_ISRC,
        roles=("recording", "composition"),
        iswc=iswc("912304540"),
        duration_seconds=233,
        links=("https://open.spotify.com/track/7bNw3JcY1uXk5Ht0LsR9eD",),
    ),
    DemoTrack(
        "harbour-lights",
        "Tidewater",
        "DE-A4K-23-00417",
        duration_seconds=301,
        links=(
            "https://harbourlights.bandcamp.com/track/tidewater",
            "https://www.youtube.com/watch?v=hL4bW8nKe2Q",
        ),
    ),
    DemoTrack(
        "harbour-lights",
        "The Lighthouse Keeper's Daughter",
        "DE-A4K-23-00418",
        duration_seconds=268,
        links=("https://harbourlights.bandcamp.com/track/the-lighthouse-keepers-daughter",),
        choices={Purpose.TRAIN_GENAI: DENY},
    ),
    DemoTrack(
        "harbour-lights",
        "Brackish",
        "DE-A4K-23-00419",
        iswc=iswc("734118206"),
        duration_seconds=245,
        links=("https://music.apple.com/de/album/brackish/1690023456?i=1690023460",),
    ),
    DemoTrack(
        "mara-okafor",
        "Small Hours Waltz",
        "SE-K2M-22-00007",
        roles=("recording", "composition"),
        iswc=iswc("605512339"),
        duration_seconds=198,
        links=("https://soundcloud.com/maraokafor/small-hours-waltz",),
    ),
    DemoTrack(
        "mara-okafor",
        "Cartographer",
        "SE-K2M-22-00008",
        roles=("recording", "composition"),
        iswc=iswc("605512340"),
        duration_seconds=222,
        choices={Purpose.SEARCH: ALLOW},
    ),
    # Mara wrote "Brackish": her claim on the composition sits beside the band's recording
    # claim, and her licence-only choice is more restrictive than their "allow", so it wins.
    DemoTrack(
        "mara-okafor",
        "Brackish",
        "DE-A4K-23-00419",
        roles=("composition",),
        choices={Purpose.TRAIN_GENAI: MARA_LICENCE},
    ),
    DemoTrack(
        "static-orchard",
        "Glass Harmonica",
        "US-S7R-21-01234",
        duration_seconds=164,
        links=("https://staticorchard.bandcamp.com/track/glass-harmonica",),
        choices={Purpose.SEARCH: ORCHARD_LICENCE},
    ),
    DemoTrack(
        "static-orchard",
        "Afterimage",
        "US-S7R-21-01235",
        duration_seconds=176,
        links=("https://open.spotify.com/track/1dVf8QeM3sTz6Ka2Wp0YhN",),
        choices={Purpose.AI_INPUT: ALLOW},
    ),
    DemoTrack(
        "static-orchard",
        "Dust Motes",
        "US-S7R-21-01236",
        duration_seconds=151,
        links=("https://soundcloud.com/staticorchard/dust-motes",),
    ),
    DemoTrack(
        "northbound-records",
        "Low Orbit",
        "NL-N8B-20-00042",
        duration_seconds=289,
        links=("https://www.youtube.com/watch?v=Zr5kP0aNw3s",),
        choices={Purpose.SEARCH: DENY},
    ),
    DemoTrack(
        "northbound-records",
        "Meridian",
        "NL-N8B-20-00043",
        duration_seconds=207,
        links=("https://music.apple.com/nl/album/meridian/1580034567?i=1580034572",),
    ),
    # The label registers Juniper's ISRC as its own recording: the registry opens a dispute,
    # and because the most restrictive value wins, her opt-out still holds meanwhile.
    DemoTrack(
        "northbound-records",
        "Signal Decay",
        SIGNAL_DECAY_ISRC,
        duration_seconds=233,
        verified=False,
    ),
    # A squatter claims the composition of the band's "Tidewater" and allows everything: an
    # unverified `allow` counts as nothing, and the collision with a verified owner went to review.
    DemoTrack(
        "copycat-uploads",
        "Tidewater",
        "DE-A4K-23-00417",
        roles=("composition",),
        choices={p: ALLOW for p in Purpose},
        verified=False,
    ),
    # A licence hijack: a copy of Static Orchard's "Afterimage" under its Spotify link, offering
    # AI training for a fee paid to the copycat. The reservation counts; no terms are published.
    DemoTrack(
        "copycat-uploads",
        "Afterimage (Remastered)",
        "",
        duration_seconds=176,
        links=("https://open.spotify.com/track/1dVf8QeM3sTz6Ka2Wp0YhN",),
        choices={Purpose.TRAIN_AI: COPYCAT_LICENCE},
        verified=False,
    ),
]


class Command(BaseCommand):
    help = (
        "Load fictional demo creators and tracks (development only). Does nothing when the "
        "demo artist already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="Password of every demo account (default: %(default)s).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when DJANGO_DEBUG is off. The demo passwords are public.",
        )

    def handle(self, *args, password: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates accounts whose password is published, so it only runs with "
                "DJANGO_DEBUG=true. Pass --force if you really want demo data here."
            )
        user_model = get_user_model()
        existing = user_model.objects.filter(email__iexact=DEMO_EMAIL).first()
        if existing is not None:
            self.stdout.write("Demo data is already loaded; nothing was changed.")
            known = password if existing.check_password(password) else None
            self._print_login(known)
            return
        # The demo dispute would email its fictional parties on commit; nobody reads those, and
        # they would bury the login banner that `make run` prints next.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            creators = {spec.handle: self._create_creator(spec, password) for spec in CREATORS}
            verified = False
            for spec in CREATORS:
                for choices in spec.catalogue:
                    declare(creators[spec.handle], choices)
                if spec.opts_out_of_ai:
                    opt_out_of_ai_training(creators[spec.handle])
            # The owners register, then a reviewer verifies their claims; the stranger comes last.
            tracks: dict[int, list[Claim]] = {}
            for track in [t for t in TRACKS if t.owner != STRANGER] + [
                t for t in TRACKS if t.owner == STRANGER
            ]:
                if track.owner == STRANGER and not verified:
                    verified = self._verify(tracks)
                creator = creators[track.owner]
                registered = register_tracks(creator, [self._track_data(track)]).tracks[0]
                mine = Claim.objects.filter(track=registered, creator=creator)
                tracks.setdefault(registered.pk, [])
                if track.verified:
                    tracks[registered.pk] += list(mine)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {len(CREATORS)} demo creators and {len(tracks)} tracks, three of them "
                "disputed."
            )
        )
        self._print_login(password)

    def _create_creator(self, spec: DemoCreator, password: str) -> Creator:
        user = get_user_model().objects.create_user(
            username=spec.handle, email=spec.email, password=password
        )
        EmailAddress.objects.create(user=user, email=spec.email, verified=True, primary=True)
        return Creator.objects.create(user=user, artist_name=spec.artist_name, handle=spec.handle)

    def _verify(self, tracks: dict[int, list[Claim]]) -> bool:
        lock_consent_writes()
        claims = [claim for claims in tracks.values() for claim in claims]
        verify_claims(claims, Method.REVIEW, "Demo: distribution statement checked.")
        return True

    def _track_data(self, track: DemoTrack) -> TrackData:
        credit = next(c.artist_name for c in CREATORS if c.handle == track.owner)
        return TrackData(
            title=track.title,
            artist_credit=credit,
            roles=list(track.roles),
            isrc=normalize_isrc(track.isrc) if track.isrc else None,
            iswc=track.iswc,
            duration_seconds=track.duration_seconds,
            links=list(track.links),
            choices=dict(track.choices),
        )

    def _print_login(self, password: str | None) -> None:
        shown = password or "(the password given when the demo data was loaded)"
        rule = "=" * 64
        lines = [
            "",
            rule,
            "  Demo artist login (Juniper Vale)",
            f"    email:    {DEMO_EMAIL}",
            f"    password: {shown}",
            "  The other demo artists use the same password:",
            *(f"    {spec.email:<30} {spec.artist_name}" for spec in CREATORS[1:]),
            rule,
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
