"""Audio uploads: hashed while they stream in, kept only when the operator asks for it.

An artist may attach the audio of a track so that its SHA-256 identifies the exact file. Most
deployments have no reason to hold artists' audio, so by default nothing is written anywhere:
each chunk updates the hash and is dropped. With settings.KEEP_AUDIO_UPLOADS the bytes go to a
temporary file under MEDIA_ROOT/audio/, which becomes `audio/<sha256><ext>` only once the view
calls `keep()` after a successful registration; MEDIA_ROOT is never served.
"""

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path, PurePath
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

AUDIO_EXTENSIONS = frozenset(
    {".aac", ".aif", ".aiff", ".alac", ".flac", ".m4a", ".mp3", ".oga", ".ogg", ".opus", ".wav"}
)
# Browsers label some audio containers with a generic or video type; the extension decides then.
AMBIGUOUS_CONTENT_TYPES = frozenset(
    {"", "application/octet-stream", "application/ogg", "video/mp4", "video/ogg", "video/webm"}
)
AUDIO_DIRECTORY = "audio"


def is_audio(file_name: str, content_type: str) -> bool:
    """An audio extension, and a content type that is audio or does not say otherwise."""
    extension = PurePath(file_name).suffix.lower()
    content_type = (content_type or "").split(";")[0].strip().lower()
    return extension in AUDIO_EXTENSIONS and (
        content_type.startswith("audio/") or content_type in AMBIGUOUS_CONTENT_TYPES
    )


def not_audio_message(file_name: str) -> str:
    return (
        f"“{file_name}” is not an audio file. Upload an MP3, WAV, FLAC, AIFF, OGG, Opus, M4A "
        "or AAC file, or leave the field empty."
    )


def too_large_message(file_name: str, max_bytes: int) -> str:
    return (
        f"“{file_name}” is larger than the {filesizeformat(max_bytes)} limit for audio files. "
        "Upload a smaller version, such as an MP3, or leave the field empty."
    )


class HashedAudioFile(UploadedFile):
    """An audio upload as the form sees it: name, type, size and SHA-256, but no content.

    `kept_path` is the temporary copy on disk when KEEP_AUDIO_UPLOADS is on; `keep()` gives it
    its permanent name and `close()` (called when the request ends) removes the temporary copy.
    """

    def __init__(
        self,
        name: str,
        content_type: str,
        size: int,
        sha256: str,
        temporary: IO[bytes] | None = None,
    ) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.sha256 = sha256
        self._temporary = temporary
        self.kept_path: Path | None = None

    def keep(self) -> Path | None:
        """Give the copy on disk its permanent, content-addressed name; None when not kept."""
        if self._temporary is None:
            return None
        extension = PurePath(self.name or "").suffix.lower()
        target = Path(settings.MEDIA_ROOT) / AUDIO_DIRECTORY / f"{self.sha256}{extension}"
        # A hard link keeps the bytes after the temporary name is removed on close. The same
        # hash already kept means the very same bytes, so the existing copy is the right one.
        with contextlib.suppress(FileExistsError):
            os.link(self._temporary.name, target)
        self.kept_path = target
        return target

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.close()
            self._temporary = None


class AudioHashUploadHandler(FileUploadHandler):
    """Computes the SHA-256 of one file field while it streams, never holding it in memory.

    Refusals (not audio, too large) skip the file and are recorded in `errors` under the field
    name, so that the form can show them next to the field while the rest of the form is kept.
    """

    def __init__(self, request: HttpRequest | None = None, field_name: str = "audio") -> None:
        super().__init__(request)
        self.handled_field = field_name
        self.max_bytes: int = settings.AUDIO_MAX_BYTES
        self.keep_uploads: bool = settings.KEEP_AUDIO_UPLOADS
        self.errors: dict[str, str] = {}
        self.active = False

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict | None = None,
    ) -> None:
        super().new_file(
            field_name, file_name, content_type, content_length, charset, content_type_extra
        )
        self.active = field_name == self.handled_field
        if not self.active:
            return
        self.digest = hashlib.sha256()
        self.received = 0
        self.errors.pop(field_name, None)
        if not is_audio(file_name, content_type):
            self._refuse(not_audio_message(file_name))
        if content_length is not None and content_length > self.max_bytes:
            self._refuse(too_large_message(file_name, self.max_bytes))
        if self.keep_uploads:
            directory = Path(settings.MEDIA_ROOT) / AUDIO_DIRECTORY / "incoming"
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Named `file` so that the parser closes (and so deletes) it if the upload aborts.
            self.file = tempfile.NamedTemporaryFile(dir=directory, suffix=".part")  # noqa: SIM115
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if not self.active:
            return raw_data
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self._refuse(too_large_message(self.file_name, self.max_bytes))
        self.digest.update(raw_data)
        if self.keep_uploads:
            self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> HashedAudioFile | None:
        if not self.active:
            return None
        self.active = False
        temporary = None
        if self.keep_uploads:
            temporary = self.file
            temporary.flush()
            del self.file
        return HashedAudioFile(
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            sha256=self.digest.hexdigest(),
            temporary=temporary,
        )

    def upload_interrupted(self) -> None:
        self._discard()

    def _refuse(self, message: str) -> None:
        self.errors[self.field_name] = message
        self.active = False
        self._discard()
        raise SkipFile(message)

    def _discard(self) -> None:
        if hasattr(self, "file"):
            self.file.close()
            del self.file
