"""What a file really is, from its first bytes: the name and the browser's label can lie.

Plain functions over bytes, so the rules are testable without uploads. Only the formats the
registry accepts as evidence are recognised; anything else is `None`.
"""

from pathlib import PurePath

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
MP3 = "audio/mpeg"
WAV = "audio/wav"
FLAC = "audio/flac"

DESCRIPTIONS = {
    PDF: "a PDF document",
    PNG: "a PNG image",
    JPEG: "a JPEG image",
    TEXT: "a plain-text file",
    MP3: "an MP3 audio file",
    WAV: "a WAV audio file",
    FLAC: "a FLAC audio file",
}
# How a list of accepted types names each one: "PDF, PNG or plain text".
NAMES = {
    PDF: "PDF",
    PNG: "PNG",
    JPEG: "JPEG",
    TEXT: "plain text",
    MP3: "MP3",
    WAV: "WAV",
    FLAC: "FLAC",
}
EXTENSIONS = {
    ".pdf": PDF,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".txt": TEXT,
    ".text": TEXT,
    ".mp3": MP3,
    ".wav": WAV,
    ".flac": FLAC,
}
# How many leading bytes `sniff` needs to see.
HEAD_BYTES = 4096
# Text may contain these control characters; any other one means binary.
_TEXT_CONTROLS = {0x09, 0x0A, 0x0C, 0x0D}


def sniff(head: bytes) -> str | None:
    """The content type the bytes show, or None when they are none of the accepted formats."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"fLaC"):
        return FLAC
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    # An ID3 tag, or an MPEG audio frame header (11 sync bits, then a valid layer).
    if head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06
    ):
        return MP3
    if head and _is_text(head):
        return TEXT
    return None


def _is_text(head: bytes) -> bool:
    # The head may end in the middle of a multi-byte character; ignore at most that one.
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    return not any(ord(c) < 0x20 and ord(c) not in _TEXT_CONTROLS for c in text)


def type_of_name(file_name: str) -> str | None:
    """The content type a file's extension promises, or None for an unknown extension."""
    return EXTENSIONS.get(PurePath(file_name).suffix.lower())
