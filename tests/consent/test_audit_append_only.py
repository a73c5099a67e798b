"""The database itself refuses to rewrite or erase an entry of the dispute audit log."""

import pytest
from django.db import DatabaseError, connection, transaction

from consent.disputes import contest_claim
from consent.models import AuditEntry
from tests.disputes_helpers import claim_of, owned_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(artist, other_artist) -> AuditEntry:
    track = owned_track(artist)
    contest_claim(other_artist, claim_of(artist, track), "I own this recording", "Mine.")
    return AuditEntry.objects.get(action="opened")


def test_the_orm_cannot_update_an_audit_entry(entry):
    entry.reason = "Rewritten"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "I own this recording"


def test_a_bulk_update_or_delete_is_refused(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.update(reason="Rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.filter(pk=entry.pk, reason="I own this recording").exists()


def test_raw_sql_cannot_update_or_delete_an_audit_entry(entry):
    for sql in (
        "UPDATE consent_auditentry SET reason = 'Rewritten'",
        "DELETE FROM consent_auditentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEntry.objects.filter(pk=entry.pk, reason="I own this recording").exists()
