"""An artist name is printed into comments of robots.txt and ai.txt: it must stay on one line."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

REFUSAL = "The artist name cannot contain a line break"


@pytest.mark.parametrize(
    "name",
    [
        "Night Owls\u2028User-agent: GPTBot\u2028Allow: /\u2028#",
        "Night\u2029Owls",
        "Night\x85Owls",
        "Night\nOwls",
        "Night\x1cOwls",
    ],
)
def test_a_name_that_could_break_a_line_is_refused_with_a_sentence(owner_client, artist, name):
    response = owner_client.post(
        reverse("profile"), {"artist_name": name, "handle": "owner-band", "isni": ""}
    )
    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    artist.refresh_from_db()
    assert artist.artist_name == "Owner Band"


def test_a_name_in_any_script_with_punctuation_is_accepted(owner_client, artist):
    # Persian spelling needs the zero-width non-joiner (U+200C), a format character.
    name = "Sigur Rós — Ágætis & Björk’s Band 夜のフクロウ می\u200cخواهم"
    response = owner_client.post(
        reverse("profile"), {"artist_name": name, "handle": "owner-band", "isni": ""}
    )
    assert response.status_code == 302
    artist.refresh_from_db()
    assert artist.artist_name == name
