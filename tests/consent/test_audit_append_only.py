"""The database itself refuses to rewrite or erase the dispute record: audit log, statements,
evidence."""

import pytest
from django.db import DatabaseError, connection, transaction

from consent.contests import contest_claim
from consent.models import AuditEntry, DisputeStatement, Evidence
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


@pytest.fixture
def submitted(artist, other_artist):
    """A dispute whose contester wrote a statement and gave a link as evidence."""
    track = owned_track(artist)
    dispute = contest_claim(
        other_artist,
        claim_of(artist, track),
        "I own this recording",
        "Mine.",
        links=["https://label.example/release/1"],
    )
    return dispute.statements.get(), dispute.evidence.get()


def test_a_statement_cannot_be_rewritten_or_erased(submitted):
    statement, _ = submitted
    statement.text = "Rewritten"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        statement.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        DisputeStatement.objects.update(text="Rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        DisputeStatement.objects.all().delete()
    assert DisputeStatement.objects.get(pk=statement.pk).text == "Mine."


def test_evidence_cannot_be_replaced_or_erased(submitted):
    _, evidence = submitted
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Evidence.objects.update(url="https://elsewhere.example/")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Evidence.objects.all().delete()
    assert Evidence.objects.get(pk=evidence.pk).url == "https://label.example/release/1"


def test_raw_sql_cannot_rewrite_statements_or_evidence(submitted):
    for sql in (
        "UPDATE consent_disputestatement SET text = 'Rewritten'",
        "DELETE FROM consent_disputestatement",
        "UPDATE consent_evidence SET url = 'https://elsewhere.example/'",
        "DELETE FROM consent_evidence",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert DisputeStatement.objects.filter(text="Mine.").exists()
    assert Evidence.objects.filter(url="https://label.example/release/1").exists()
