"""The rebuild command proves the materialized policy matches the declarations, and repairs it."""

import pytest
from django.core.management import CommandError, call_command

from consent.models import ChangeEvent, EffectivePolicy
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def track(artist):
    track = register_track(
        artist, TrackData(title="Tampered", artist_credit="A", roles=["recording"])
    ).tracks[0]
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    return track


def test_it_reports_that_everything_matches(track, capsys):
    call_command("rebuild_policies", "--check")
    assert "Every effective policy matches" in capsys.readouterr().out


def test_it_finds_a_tampered_policy_and_names_the_difference(track, capsys):
    EffectivePolicy.objects.filter(track=track).update(train_genai="allow")
    with pytest.raises(CommandError, match="1 track"):
        call_command("rebuild_policies", "--check")
    out = capsys.readouterr().out
    assert str(track.public_id) in out
    assert "train-genai: stored 'allow', declarations give 'deny'" in out
    assert EffectivePolicy.objects.get(track=track).train_genai == "allow"


def test_it_repairs_a_policy_and_logs_the_repair_as_a_change(track, capsys):
    EffectivePolicy.objects.filter(track=track).update(train_genai="allow")
    before = ChangeEvent.objects.count()
    call_command("rebuild_policies")
    assert EffectivePolicy.objects.get(track=track).train_genai == "deny"
    assert ChangeEvent.objects.count() == before + 1
    assert ChangeEvent.objects.last().cause == "rebuild"
    call_command("rebuild_policies", "--check")


def test_it_rebuilds_a_missing_policy(track):
    EffectivePolicy.objects.filter(track=track).delete()
    call_command("rebuild_policies")
    assert EffectivePolicy.objects.get(track=track).train_genai == "deny"


def test_it_finds_and_repairs_a_tampered_api_answer(track, capsys):
    EffectivePolicy.objects.filter(track=track).update(answer_policy={})
    with pytest.raises(CommandError, match="1 track"):
        call_command("rebuild_policies", "--check")
    call_command("rebuild_policies")
    stored = EffectivePolicy.objects.get(track=track).answer_policy
    assert stored["train-genai"]["value"] == "deny"
    assert stored["train-genai"]["source"]["level"] == "catalogue"
    call_command("rebuild_policies", "--check")
