"""`consent.bulk.update_rows` saves each row's own values, as `bulk_update` would."""

import pytest
from django.db import DataError, transaction

from consent.bulk import update_rows
from consent.models import EffectivePolicy
from tests.factories import register

pytestmark = pytest.mark.django_db


def test_every_row_gets_its_own_values_of_every_type(artist):
    tracks = register(artist, title="Song {n}", isrc="QZES5240000{n}", count=3)
    policies = list(EffectivePolicy.objects.filter(track__in=tracks).order_by("track_id"))
    untouched = EffectivePolicy.objects.get(pk=policies[2].pk)
    for n, policy in enumerate(policies[:2]):
        policy.train_ai = ["deny", "allow"][n]
        policy.disputed = n == 1
        policy.links = [f"https://example.org/{n}", 'https://example.org/it\'s "quoted"']
        policy.provenance = {"n": n, "nested": [None, True]}
        policy.sequence = 1000 + n
    update_rows(
        EffectivePolicy, policies[:2], ["train_ai", "disputed", "links", "provenance", "sequence"]
    )
    for n, policy in enumerate(policies[:2]):
        stored = EffectivePolicy.objects.get(pk=policy.pk)
        assert (stored.train_ai, stored.disputed, stored.sequence) == (
            ["deny", "allow"][n],
            n == 1,
            1000 + n,
        )
        assert stored.links == policy.links
        assert stored.provenance == {"n": n, "nested": [None, True]}
    after = EffectivePolicy.objects.get(pk=policies[2].pk)
    assert (after.train_ai, after.sequence, after.links) == (
        untouched.train_ai,
        untouched.sequence,
        untouched.links,
    )


def test_a_value_longer_than_its_column_is_refused_not_cut_short(artist):
    [track] = register(artist, title="Song", isrc="QZES52400009", count=1)
    policy = EffectivePolicy.objects.get(track=track)
    policy.train_ai = "x" * 100
    with pytest.raises(DataError), transaction.atomic():
        update_rows(EffectivePolicy, [policy], ["train_ai"])
    assert EffectivePolicy.objects.get(pk=policy.pk).train_ai != "x" * 100
