"""Proving a claim by link proof, against real pages served on 127.0.0.1.

The registry fetches each page itself through the guarded client; these tests serve the artist's
profile, meta tags, .well-known files and rel="me" links from a real HTTP server, and read what
platforms would see: the policy in force and the change events.
"""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consent import proof_pages, proofs
from consent.links import add_links
from consent.models import ChangeEvent, Claim, ClaimVerification, ProfileProof
from consent.purposes import Purpose, Value
from consent.services import ConsentError, PurposeChoice, TrackData, declare, register_tracks
from registry.tasks import recheck_proofs
from tests.conftest import make_artist
from tests.consent.proof_pages import Page, PageServer, html
from tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fetch_settings(settings):
    # The pages are served on the loopback interface, which only this allowance opens, as
    # webhook tests open it for their receivers.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.0/8"]
    settings.PROOF_FETCH_TIMEOUT_SECONDS = 2
    return settings


@pytest.fixture
def site():
    with PageServer() as server:
        yield server


@pytest.fixture
def juniper(db):
    return make_artist("Juniper Vale", "juniper-vale")


def claim_of(creator, track) -> Claim:
    return Claim.objects.get(creator=creator, track=track, status=Claim.Status.ACTIVE)


def verified(creator, track) -> bool:
    return claim_of(creator, track).verifications.filter(ended_at__isnull=True).exists()


def allow_training(creator, track) -> None:
    declare(creator, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)}, track=track)


def train_ai(track) -> str:
    track.policy.refresh_from_db()
    return track.policy.train_ai


# --- Finding the proof --------------------------------------------------------------------------


def test_a_code_in_the_profile_text_verifies_every_claim_linked_beneath_the_profile(site, juniper):
    lanterns = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    elsewhere = register(juniper, site.url("/juniper-vale2/elsewhere"), title="Elsewhere")
    allow_training(juniper, lanterns)
    assert train_ai(lanterns) == Value.UNSET  # an unverified allow does not count

    proof = proofs.start(juniper, site.url("/juniper-vale/"))
    assert proof.url == site.url("/juniper-vale")  # stored normalized
    assert proof.token.startswith("crv-")
    site.pages["/juniper-vale"] = html(f"<p>Songs from the marsh. {proof.token}</p>")

    result = proofs.check(proof)

    assert result.proven and result.verified == 1
    assert "is proven by the code in the page's text" in result.message
    assert verified(juniper, lanterns)
    assert not verified(juniper, elsewhere)  # /juniper-vale2 is not beneath /juniper-vale
    verification = claim_of(juniper, lanterns).current_verification()
    assert (verification.method, verification.detail) == ("link", proof.url)
    assert train_ai(lanterns) == Value.ALLOW
    assert ChangeEvent.objects.filter(track=lanterns, cause="claim-verified").exists()


def test_a_meta_tag_in_the_head_proves_the_page(site, juniper):
    track = register(juniper, site.url("/tracks/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(juniper, site.url("/tracks/paper-lanterns"))
    site.pages["/tracks/paper-lanterns"] = html(
        "<p>No code in the text.</p>",
        head=f'<meta name="consent-registry-verification" content="{proof.token}">',
    )

    result = proofs.check(proof)

    assert result.proven
    assert ProfileProof.objects.get(pk=proof.pk).found_by == ProfileProof.Found.META
    assert verified(juniper, track)


def test_a_well_known_file_proves_a_site_root_which_covers_every_link_on_the_host(site, juniper):
    first = register(juniper, site.url("/music/paper-lanterns"), title="Paper Lanterns")
    second = register(juniper, site.url("/b-sides/reed-song"), title="Reed Song")
    proof = proofs.start(juniper, site.root)
    site.pages["/"] = html("<p>Juniper Vale, official site.</p>")
    site.pages["/.well-known/consent-registry.txt"] = Page(
        f"crv-someoneelse\n{proof.token}\n", content_type="text/plain"
    )

    result = proofs.check(proof)

    assert result.proven and result.verified == 2
    assert ProfileProof.objects.get(pk=proof.pk).found_by == ProfileProof.Found.WELL_KNOWN
    assert verified(juniper, first) and verified(juniper, second)


def test_a_rel_me_link_to_the_artists_registry_page_proves_their_site(site, juniper, settings):
    track = register(juniper, site.url("/paper-lanterns"), title="Paper Lanterns")
    other = make_artist("Someone Else", "someone-else")
    proof = proofs.start(juniper, site.root)
    site.pages["/"] = html(f'<a rel="me" href="{settings.SITE_URL}/c/someone-else/">Me</a>')

    assert not proofs.check(proof).proven  # a link to another artist's page proves nothing
    assert not verified(juniper, track)
    assert other.handle == "someone-else"

    me = f"{settings.SITE_URL}/c/juniper-vale"
    site.pages["/"] = html("<p>Find me elsewhere</p>", head=f'<link rel="me authn" href="{me}">')
    result = proofs.check(proof)

    assert result.proven
    assert ProfileProof.objects.get(pk=proof.pk).found_by == ProfileProof.Found.REL_ME
    assert verified(juniper, track)


def test_a_page_without_the_code_is_not_proven_and_says_how_to_publish_it(site, juniper):
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = html("<p>Songs from the marsh.</p>")

    result = proofs.check(proof)

    assert not result.proven
    assert f"The code {proof.token} is not on {proof.url}" in result.message
    assert "<meta> tag" in result.message
    proof.refresh_from_db()
    assert proof.status == ProfileProof.Status.FAILED
    assert proof.last_error == result.message
    assert not verified(juniper, track)


# --- What the guarded client refuses ------------------------------------------------------------


def test_a_redirect_to_another_host_is_not_followed_and_the_message_names_the_host(site, juniper):
    register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    with PageServer("127.0.0.2") as elsewhere:
        proof = proofs.start(juniper, site.url("/juniper-vale"))
        elsewhere.pages["/juniper-vale"] = html(proof.token)
        site.pages["/juniper-vale"] = Page(
            status=302, headers={"Location": elsewhere.url("/juniper-vale")}
        )

        result = proofs.check(proof)

        assert not result.proven
        assert "redirects to another host (127.0.0.2)" in result.message
        assert elsewhere.requests == []


def test_a_redirect_within_the_same_host_is_followed(site, juniper):
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = Page(status=301, headers={"Location": "/profiles/juniper-vale"})
    site.pages["/profiles/juniper-vale"] = html(proof.token)

    assert proofs.check(proof).proven
    assert verified(juniper, track)


def test_a_page_larger_than_the_limit_is_not_read_to_the_end(site, juniper, settings):
    settings.PROOF_FETCH_MAX_BYTES = 4096
    register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = html("<p>marsh</p>" * 20_000 + proof.token)

    result = proofs.check(proof)

    assert not result.proven
    assert "is larger than 4 KB" in result.message
    assert "near the top of the page" in result.message


def test_a_page_that_does_not_answer_in_time_is_given_up(site, juniper, settings):
    settings.PROOF_FETCH_TIMEOUT_SECONDS = 1
    register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = Page(html(proof.token).body, delay=3)

    result = proofs.check(proof)

    assert not result.proven
    assert "did not answer within 1 second." in result.message


def test_an_unreachable_page_says_it_could_not_be_reached(juniper):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proof = proofs.start(juniper, f"http://127.0.0.1:{port}/juniper-vale")

    result = proofs.check(proof)

    assert not result.proven
    assert "could not be reached" in result.message
    assert "Connection refused" in result.message or "ConnectionRefused" in result.message


def test_a_private_address_is_never_fetched_without_the_allowance(site, juniper, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = []
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = html(proof.token)

    result = proofs.check(proof)

    assert not result.proven
    assert "is a loopback address: the registry never fetches pages from there" in result.message
    assert site.requests == []


def test_an_error_page_is_reported_with_its_status(site, juniper):
    proof = proofs.start(juniper, site.url("/juniper-vale"))

    result = proofs.check(proof)

    assert not result.proven
    assert "answered “404 Not Found”" in result.message


def test_the_registrys_own_pages_cannot_be_proven(juniper, settings):
    settings.SITE_URL = "https://registry.example"
    with pytest.raises(ConsentError, match="Pages of this registry cannot prove"):
        proofs.start(juniper, "https://registry.example/t/5f0c0000-0000-0000-0000-0000000000e2/")
    assert not ProfileProof.objects.exists()


def test_checks_are_limited_per_account_and_hour(site, juniper, settings):
    settings.PROOF_CHECKS_PER_HOUR = 2
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    proofs.check(proof)
    proofs.check(proof)

    with pytest.raises(ConsentError, match="checked proof pages 2 times this hour"):
        proofs.check(proof)
    assert len(site.requests) == 2


# --- Coverage, now and later ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "covered"),
    [
        ("https://soundcloud.com/juniper-vale", True),
        ("https://soundcloud.com/juniper-vale/paper-lanterns", True),
        ("https://soundcloud.com/juniper-vale/sets/marsh?si=1", True),
        ("https://soundcloud.com/juniper-vale2/paper-lanterns", False),
        ("https://soundcloud.com/juniper", False),
        ("https://m.soundcloud.com/juniper-vale/paper-lanterns", False),
        ("https://soundcloud.com:8443/juniper-vale/paper-lanterns", False),
        ("http://soundcloud.com/juniper-vale/paper-lanterns", True),
    ],
)
def test_a_proven_profile_covers_links_beneath_it_at_a_segment_boundary(link, covered):
    assert proofs.covers("https://soundcloud.com/juniper-vale", link) is covered


def test_a_site_root_covers_the_whole_host_and_a_query_page_only_itself():
    assert proofs.covers("https://juniper.example", "https://juniper.example/any/path")
    assert proofs.covers("https://juniper.example", "https://juniper.example")
    assert proofs.covers("https://host.example/watch?v=a", "https://host.example/watch?v=a")
    assert not proofs.covers("https://host.example/watch?v=a", "https://host.example/watch?v=b")


def test_a_link_added_later_under_a_proven_profile_verifies_its_claim_at_once(site, juniper):
    register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = html(proof.token)
    assert proofs.check(proof).proven

    later = register(juniper, site.url("/juniper-vale/reed-song"), title="Reed Song")
    unlinked = register(juniper, title="Marsh Lights")
    assert verified(juniper, later)
    assert not verified(juniper, unlinked)

    add_links(juniper, unlinked, [site.url("/juniper-vale/marsh-lights")])
    assert verified(juniper, unlinked)
    assert ChangeEvent.objects.filter(track=unlinked, cause="claim-verified").exists()


def test_another_artists_proof_never_verifies_my_claims(site, juniper):
    other = make_artist("Someone Else", "someone-else")
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(other, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = html(proof.token)

    assert proofs.check(proof).proven
    assert not verified(juniper, track)


# --- Re-checking: lapsing, grace, ending ----------------------------------------------------------


def prove(site, creator, path: str) -> ProfileProof:
    proof = proofs.start(creator, site.url(path))
    site.pages[path] = html(f"<p>{proof.token}</p>")
    assert proofs.check(proof).proven
    return proof


def a_day_passes() -> None:
    ProfileProof.objects.update(checked_at=timezone.now() - timedelta(hours=25))


def test_a_proof_taken_down_lapses_then_after_the_grace_period_the_claim_is_unverified(
    site, juniper, django_capture_on_commit_callbacks
):
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    allow_training(juniper, track)
    proof = prove(site, juniper, "/juniper-vale")
    assert train_ai(track) == Value.ALLOW

    site.pages["/juniper-vale"] = html("<p>New bio, no code.</p>")
    a_day_passes()
    with django_capture_on_commit_callbacks(execute=True):
        recheck_proofs.apply()

    proof.refresh_from_db()
    assert proof.status == ProfileProof.Status.LAPSING
    assert proof.failing_since is not None
    assert verified(juniper, track)  # the grace period: still verified
    assert train_ai(track) == Value.ALLOW
    (lapsing,) = mail.outbox
    assert lapsing.to == [juniper.user.email]
    assert "Your proof on 127.0.0.1 is missing" in lapsing.subject
    assert proof.token in lapsing.body and "stay verified until" in lapsing.body

    # Checked again at every sweep while it lapses; still within the grace period nothing ends.
    recheck_proofs.apply()
    assert verified(juniper, track)

    ProfileProof.objects.filter(pk=proof.pk).update(
        failing_since=timezone.now() - timedelta(days=8)
    )
    with django_capture_on_commit_callbacks(execute=True):
        recheck_proofs.apply()

    proof.refresh_from_db()
    assert proof.status == ProfileProof.Status.FAILED
    assert not verified(juniper, track)
    assert train_ai(track) == Value.UNSET
    ended = ChangeEvent.objects.filter(track=track).latest("sequence")
    assert ended.cause == "verification-ended"
    assert ended.previous["train-ai"] == "allow" and ended.policy["train-ai"] == "unset"
    verification = ClaimVerification.objects.get(claim=claim_of(juniper, track))
    assert "has been missing since" in verification.ended_reason
    assert "no longer verified" in mail.outbox[-1].subject


def test_a_proof_put_back_within_the_grace_period_is_proven_again(site, juniper):
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = prove(site, juniper, "/juniper-vale")
    site.pages["/juniper-vale"] = html("<p>Oops.</p>")
    a_day_passes()
    recheck_proofs.apply()
    assert ProfileProof.objects.get(pk=proof.pk).status == ProfileProof.Status.LAPSING

    site.pages["/juniper-vale"] = html(f"<p>{proof.token}</p>")
    recheck_proofs.apply()

    proof.refresh_from_db()
    assert proof.status == ProfileProof.Status.PROVEN
    assert proof.failing_since is None and proof.last_error == ""
    assert ClaimVerification.objects.filter(claim=claim_of(juniper, track)).count() == 1
    assert verified(juniper, track)


def test_an_unreachable_page_lapses_like_a_missing_code_and_says_so(site, juniper):
    register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = prove(site, juniper, "/juniper-vale")
    site.pages["/juniper-vale"] = Page("Down for maintenance", 503, "text/plain")
    a_day_passes()

    recheck_proofs.apply()

    proof.refresh_from_db()
    assert proof.status == ProfileProof.Status.LAPSING
    assert "answered “503 Service Unavailable”" in proof.last_error


def test_a_proof_checked_recently_is_not_fetched_again_by_the_sweep(site, juniper):
    prove(site, juniper, "/juniper-vale")
    fetched = len(site.requests)

    recheck_proofs.apply()

    assert len(site.requests) == fetched


def test_a_claim_proven_by_two_pages_stays_verified_when_one_of_them_ends(site, juniper):
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    profile = prove(site, juniper, "/juniper-vale")
    prove(site, juniper, "/juniper-vale/paper-lanterns")
    events = ChangeEvent.objects.filter(track=track).count()

    proofs.remove(profile)

    assert verified(juniper, track)
    assert claim_of(juniper, track).current_verification().detail == site.url(
        "/juniper-vale/paper-lanterns"
    )
    assert ChangeEvent.objects.filter(track=track).count() == events  # nothing changed outside


def test_removing_a_proof_ends_the_verifications_it_gave(site, juniper):
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = prove(site, juniper, "/juniper-vale")

    assert proofs.remove(proof) == 1

    assert not verified(juniper, track)
    assert not ProfileProof.objects.filter(pk=proof.pk).exists()
    assert ChangeEvent.objects.filter(track=track, cause="verification-ended").exists()


# --- What a proven page cannot do ----------------------------------------------------------------


def test_a_proven_page_of_the_strangers_own_verifies_nothing_on_someone_elses_track(site, juniper):
    """A link is whatever its claimant typed: proving a paste page proves the page, not the
    track. On a track another creator claims, only a reviewer can verify."""
    owner = make_artist("Owner", "owner")
    data = TrackData(title="Song", artist_credit="Owner", roles=["recording"], isrc="USRC17607839")
    track = register_tracks(owner, [data]).tracks[0]
    paste = site.url("/raw/ab12")
    proof = proofs.start(juniper, paste)
    site.pages["/raw/ab12"] = html(f"<p>{proof.token}</p>")
    assert proofs.check(proof).proven

    stranger = TrackData(
        title="Song",
        artist_credit="Juniper",
        roles=["composition"],
        isrc="USRC17607839",
        links=[paste],
    )
    register_tracks(juniper, [stranger])
    allow_training(juniper, track)

    assert not verified(juniper, track)
    assert train_ai(track) == Value.UNSET
    assert proofs.check(proof).verified == 0


def test_a_proven_page_verifies_nothing_on_a_track_sharing_a_link_with_someone_elses(site, juniper):
    owner = make_artist("Owner", "owner")
    page = site.url("/owner/song")
    register_tracks(
        owner, [TrackData(title="Song", artist_credit="O", roles=["recording"], links=[page])]
    )
    proof = proofs.start(juniper, site.url("/"))
    site.pages["/.well-known/consent-registry.txt"] = Page(proof.token, content_type="text/plain")
    copy = register(juniper, page, title="Copy")
    proofs.check(proof)
    assert not verified(juniper, copy)


def test_a_malformed_rel_me_link_neither_crashes_a_check_nor_stalls_the_sweep(site, juniper):
    first = register(juniper, site.url("/a/song"), title="Paper Lanterns")
    second = register(juniper, site.url("/b/song"), title="Salt")
    broken = proofs.start(juniper, site.url("/a"))
    fine = proofs.start(juniper, site.url("/b"))
    site.pages["/a"] = html(f'<a rel="me" href="http://[oops/">me</a> {broken.token}')
    site.pages["/b"] = html(f"<p>{fine.token}</p>")
    assert proofs.check(broken).proven  # the malformed link is skipped, the code still counts
    assert proofs.check(fine).proven
    site.pages["/a"] = html('<a rel="me" href="http://[oops/">me</a>')
    later = timezone.now() + timedelta(days=2)
    counts = proofs.recheck_due(later)
    assert sum(counts.values()) == 2
    assert verified(juniper, first) and verified(juniper, second)
    assert ProfileProof.objects.get(pk=broken.pk).status == "lapsing"


def test_unfinished_markup_is_read_in_linear_time():
    import time

    page = "<a " * 100_000 + "crv-token"
    started = time.monotonic()
    assert proof_pages.find_in_html(page, "https://x.example/", "crv-nothere", "") == ""
    # Quadratic parsing of this page would take minutes; linear takes milliseconds.
    assert time.monotonic() - started < 5


def test_removing_the_link_that_earned_a_verification_ends_it(site, juniper):
    track = register(juniper, site.url("/juniper-vale/paper-lanterns"), title="Paper Lanterns")
    proof = proofs.start(juniper, site.url("/juniper-vale"))
    site.pages["/juniper-vale"] = html(f"<p>{proof.token}</p>")
    proofs.check(proof)
    assert verified(juniper, track)
    from consent.links import remove_link
    from consent.models import TrackLink

    remove_link(juniper, TrackLink.objects.get(track=track))
    assert not verified(juniper, track)
    assert ChangeEvent.objects.filter(track=track, cause="verification-ended").exists()
