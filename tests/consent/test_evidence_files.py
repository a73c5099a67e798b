"""Evidence files are recognised by their bytes: wrong types, large files and lies are refused."""

import pytest

from consent import filetypes
from consent.evidence import check_evidence_file
from consent.services import ConsentError
from tests.disputes_helpers import PDF_BYTES, PNG_BYTES, upload

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF_BYTES, filetypes.PDF),
        (PNG_BYTES, filetypes.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", filetypes.JPEG),
        (b"ID3\x04\x00\x00\x00", filetypes.MP3),
        (b"\xff\xfb\x90\x00", filetypes.MP3),
        (WAV, filetypes.WAV),
        (b"fLaC\x00\x00\x00\x22", filetypes.FLAC),
        ("Contrat signé le 3 mai.\n".encode(), filetypes.TEXT),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
        (b"PK\x03\x04\x14\x00", None),
        (b"", None),
    ],
)
def test_it_recognises_each_accepted_type_from_its_first_bytes(head, expected):
    assert filetypes.sniff(head) == expected


def test_an_accepted_file_gets_the_type_its_bytes_show():
    evidence = upload("Contract.PDF", PDF_BYTES)
    check_evidence_file(evidence)
    assert evidence.content_type == "application/pdf"


def test_a_lying_extension_is_refused_with_a_clear_message():
    with pytest.raises(ConsentError) as refused:
        check_evidence_file(upload("contract.pdf", PNG_BYTES))
    assert str(refused.value) == (
        "“contract.pdf” is named like a PDF document but contains a PNG image. "
        "Rename it with the right extension, or upload the file you meant."
    )


def test_an_executable_renamed_as_a_pdf_is_refused():
    with pytest.raises(ConsentError, match="not a file type accepted as evidence"):
        check_evidence_file(upload("contract.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04"))


def test_a_type_not_in_the_settings_is_refused(settings):
    settings.EVIDENCE_TYPES = ["application/pdf"]
    with pytest.raises(ConsentError, match="Upload PDF"):
        check_evidence_file(upload("photo.png", PNG_BYTES))


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(ConsentError, match="larger than the 10\xa0bytes limit"):
        check_evidence_file(upload("contract.pdf", PDF_BYTES))


def test_every_form_and_refusal_names_the_types_the_settings_accept(settings):
    from registry.forms_disputes import ContestForm, EvidenceForm
    from registry.forms_verification import VerificationRequestForm

    settings.EVIDENCE_TYPES = ["application/pdf", "text/plain"]
    helps = [
        EvidenceForm().fields["files"].help_text,
        ContestForm(claims=[]).fields["files"].help_text,
        VerificationRequestForm(claims=[]).fields["file"].help_text,
    ]
    assert all(text.startswith("PDF or plain text, up to ") for text in helps), helps
    with pytest.raises(ConsentError, match=r"Upload PDF or plain text\.$"):
        check_evidence_file(upload("photo.png", PNG_BYTES))
    settings.EVIDENCE_TYPES = ["image/png"]
    assert EvidenceForm().fields["files"].help_text.startswith("PNG, up to ")
