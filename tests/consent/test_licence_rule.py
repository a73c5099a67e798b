"""A licence needs terms or a contact: one rule and one sentence, on every face."""

import pytest

from consent.importing.catalogue import parse_catalogue_csv
from consent.models import Declaration, Track
from consent.purposes import Purpose, PurposeChoice, Value, licence_terms_missing
from consent.services import ConsentError, TrackData, declare, register_track
from registry.forms import PurposesForm

SENTENCE = (
    "“Only under licence” for Training any AI model and AI input (RAG, grounding) needs a terms "
    "URL or a contact email, so that anyone who wants a licence knows where to ask."
)
BARE = {
    Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE),
    Purpose.AI_INPUT: PurposeChoice(Value.LICENSE),
}


def test_the_rule_names_every_licence_without_terms_in_one_sentence():
    assert licence_terms_missing(BARE) == SENTENCE
    with_contact = {p: PurposeChoice(Value.LICENSE, contact_email="a@b.org") for p in BARE}
    assert licence_terms_missing(with_contact) is None
    assert licence_terms_missing({Purpose.SEARCH: PurposeChoice(Value.DENY)}) is None


def test_the_form_refuses_with_the_rule_s_sentence():
    data = {"train_ai": "license", "ai_input": "license", "tdm": "unset", "search": "unset"}
    form = PurposesForm(data | {"train_genai": "deny"}, unset_label="No reservation")
    assert not form.is_valid()
    assert form.errors["terms_url"] == [SENTENCE]


def test_the_import_refuses_with_the_rule_s_sentence():
    data = b"title,isrc,train-ai,ai-input\nSong,USRC17607839,license,licence\n"
    result = parse_catalogue_csv(data, max_rows=10, max_bytes=10_000, default_artist_credit="A")
    assert [(e.line, e.column, e.message) for e in result.errors] == [(2, "train-ai", SENTENCE)]


def test_the_domain_refuses_with_the_rule_s_sentence_for_declarations_and_registrations(artist):
    with pytest.raises(ConsentError) as refused:
        declare(artist, BARE)
    assert str(refused.value) == SENTENCE
    data = TrackData(title="Song", artist_credit="A", roles=["recording"], choices=BARE)
    with pytest.raises(ConsentError) as refused:
        register_track(artist, data)
    assert str(refused.value) == SENTENCE
    assert not Declaration.objects.exists()
    assert not Track.objects.exists()
