"""Reviewers tell who registered or answered first: every time the desks print reads to the
second, on the claim's review page and in the admin's lists, which use the site's formats."""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.utils import display_for_value
from django.urls import reverse
from django.utils import formats

from consent.models import Claim
from tests.disputes_helpers import owned_track

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_dates_printed_without_a_format_of_their_own_read_to_the_second():
    assert formats.date_format(AT, "DATETIME_FORMAT") == "4 Mar 2026, 05:06:07"
    assert display_for_value(AT, "") == "4 Mar 2026, 05:06:07"


def test_the_claim_list_and_the_claim_page_show_when_it_was_made_to_the_second(
    reviewer_client, artist
):
    owned_track(artist, verified=False)
    claim = Claim.objects.get(creator=artist)
    Claim.objects.filter(pk=claim.pk).update(created_at=AT)

    listing = reviewer_client.get(reverse("admin:consent_claim_changelist"))
    page = reviewer_client.get(reverse("admin:consent_claim_change", args=[claim.pk]))

    assert "4 Mar 2026, 05:06:07" in listing.content.decode()
    assert "4 Mar 2026, 05:06:07" in page.content.decode()
