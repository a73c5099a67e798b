"""The database itself refuses to rewrite or erase a declaration."""

import pytest
from django.db import DatabaseError, connection, transaction

from consent.models import Declaration
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def declaration(artist) -> Declaration:
    return declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})[0]


def test_the_orm_cannot_update_a_declaration(declaration):
    declaration.value = "allow"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        declaration.save()
    assert Declaration.objects.get(pk=declaration.pk).value == "deny"


def test_a_bulk_update_is_refused(declaration):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Declaration.objects.update(value="allow")
    assert Declaration.objects.get(pk=declaration.pk).value == "deny"


def test_raw_sql_cannot_update_or_delete_a_declaration(declaration):
    for sql in (
        "UPDATE consent_declaration SET value = 'allow'",
        "DELETE FROM consent_declaration",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert Declaration.objects.filter(pk=declaration.pk, value="deny").exists()


def test_deleting_through_the_orm_is_refused(declaration):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        declaration.delete()
    assert Declaration.objects.filter(pk=declaration.pk).exists()
