"""`load_demo`: the demo data of `make run` shows every value of every purpose, and loads once."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from consent.identifiers import normalize_isrc, normalize_iswc
from consent.management.commands.load_demo import DEMO_EMAIL, DEMO_PASSWORD
from consent.models import (
    POLICY_FIELDS,
    ChangeEvent,
    Claim,
    Creator,
    Declaration,
    Dispute,
    EffectivePolicy,
    Track,
    TrackLink,
)
from consent.policies import find_policy_differences
from consent.purposes import AI_OPT_OUT, Purpose, Value

# Most tests load the whole demo data set first: seconds each.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

WELL_KNOWN_HOSTS = (
    "soundcloud.com",
    "bandcamp.com",
    "youtube.com",
    "open.spotify.com",
    "music.apple.com",
)


def load_demo(**options) -> str:
    out = StringIO()
    call_command("load_demo", force=True, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return load_demo()


def test_every_purpose_takes_every_value_somewhere(demo):
    for purpose, column in POLICY_FIELDS.items():
        values = set(EffectivePolicy.objects.values_list(column, flat=True))
        assert values == {v.value for v in Value}, f"{purpose} only takes {values}"


def test_there_are_about_fifteen_tracks_and_each_has_its_effective_policy(demo):
    assert 12 <= Track.objects.count() <= 20
    assert EffectivePolicy.objects.count() == Track.objects.count()
    assert find_policy_differences() == []


def test_a_licence_only_track_says_where_to_ask_for_a_licence(demo):
    licensed = [
        policy
        for policy in EffectivePolicy.objects.all()
        if all(policy.value_of(p) == Value.LICENSE for p in AI_OPT_OUT)
        and all(
            policy.provenance[p.value]["terms_url"].startswith("https://")
            and "@" in policy.provenance[p.value]["contact_email"]
            for p in AI_OPT_OUT
        )
    ]
    assert licensed


def test_a_track_is_disputed_between_two_creators_and_the_opt_out_still_holds(demo):
    dispute = Dispute.objects.get(status=Dispute.Status.OPEN, track__isrc="GBX7Q2500011")
    claims = list(dispute.claims.all())
    assert len(claims) == 2
    assert len({claim.creator_id for claim in claims}) == 2
    policy = EffectivePolicy.objects.get(track=dispute.track)
    assert policy.disputed
    assert policy.value_of(Purpose.TRAIN_GENAI) == Value.DENY


def test_catalogue_defaults_are_overridden_on_some_tracks(demo):
    assert Declaration.objects.filter(track__isnull=True).exists()
    assert Declaration.objects.filter(track__isnull=False).exists()
    levels = {
        entry.get("level")
        for policy in EffectivePolicy.objects.all()
        for entry in policy.provenance.values()
    }
    assert {"track", "catalogue"} <= levels


def test_a_songwriter_and_a_recording_owner_share_a_track(demo):
    creators: dict[tuple[int, str], set[int]] = {}
    for claim in Claim.objects.filter(status=Claim.Status.ACTIVE):
        creators.setdefault((claim.track_id, claim.role), set()).add(claim.creator_id)
    shared = [
        track_id
        for (track_id, role), recording in creators.items()
        if role == Claim.Role.RECORDING
        and creators.get((track_id, Claim.Role.COMPOSITION))
        and not recording & creators[(track_id, Claim.Role.COMPOSITION)]
    ]
    assert shared


def test_links_point_to_well_known_hosts(demo):
    hosts = set(TrackLink.objects.values_list("host", flat=True))
    matched = {known for known in WELL_KNOWN_HOSTS for host in hosts if host.endswith(known)}
    assert len(matched) >= 3


def test_identifiers_are_valid(demo):
    for isrc, iswc in Track.objects.values_list("isrc", "iswc"):
        assert isrc is None or normalize_isrc(isrc) == isrc
        if iswc:
            assert normalize_iswc(iswc) == iswc


def test_every_creator_is_a_verified_user_and_the_demo_login_works(demo):
    creators = Creator.objects.select_related("user")
    assert 5 <= creators.count() <= 6
    for creator in creators:
        assert EmailAddress.objects.filter(
            user=creator.user, email=creator.user.email, verified=True, primary=True
        ).exists()
    demo_user = get_user_model().objects.get(email=DEMO_EMAIL)
    assert demo_user.check_password(DEMO_PASSWORD)
    assert DEMO_EMAIL in demo and DEMO_PASSWORD in demo


def test_loading_again_changes_nothing_and_says_so(demo):
    models = (get_user_model(), Creator, Track, Claim, Declaration, ChangeEvent, Dispute)
    before = {model: model.objects.count() for model in models}
    output = load_demo()
    assert {model: model.objects.count() for model in models} == before
    assert "already loaded" in output


def test_a_chosen_password_is_used_and_printed():
    output = load_demo(password="another demo password")
    user = get_user_model().objects.get(email=DEMO_EMAIL)
    assert user.check_password("another demo password")
    assert "another demo password" in output


def test_it_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("load_demo", stdout=StringIO())
    assert not Creator.objects.exists()


def test_the_owners_are_verified_and_the_stranger_is_not(demo):
    copycat = Creator.objects.get(handle="copycat-uploads")
    for claim in Claim.objects.filter(status=Claim.Status.ACTIVE).select_related("creator"):
        verified = claim.verifications.filter(ended_at__isnull=True).exists()
        squatter = claim.creator == copycat or (
            claim.creator.handle == "northbound-records" and claim.track.title == "Signal Decay"
        )
        assert verified != squatter, claim


def test_a_strangers_allow_counts_as_nothing_and_went_to_review(demo):
    tidewater = EffectivePolicy.objects.get(track__isrc="DEA4K2300417")
    band = Creator.objects.get(handle="harbour-lights")
    # Every value in force is the band's own: the copycat's "allow everything" counts as nothing.
    for entry in tidewater.provenance.values():
        assert entry["value"] == "unset" or entry["creator"] == str(band.public_id)
    assert any(entry["value"] == "allow" for entry in tidewater.provenance.values())
    assert tidewater.disputed
    assert tidewater.verification["status"] == "partly-verified"


def test_a_licence_hijack_publishes_no_terms_and_went_to_review(demo):
    copy = Track.objects.get(title="Afterimage (Remastered)")
    policy = EffectivePolicy.objects.get(track=copy)
    assert policy.train_ai == "license"
    assert policy.provenance["train-ai"]["terms_url"] == ""
    assert policy.provenance["train-ai"]["contact_email"] == ""
    assert policy.provenance["train-ai"]["terms_withheld"] is True
    assert "copycat" not in str(policy.answer_policy)
    assert Dispute.objects.filter(track=copy, status=Dispute.Status.OPEN).exists()
