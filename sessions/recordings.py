"""Spoken answers kept on the server: what is accepted (size, container) and where it goes.

Only for a candidate who turned on "keep recordings" (Preferences.keep_recordings); otherwise
the browser keeps its recordings to itself (static/js/recorder.js). The declared content type
must be one MediaRecorder writes and the first bytes must be that container's signature, so a
mislabelled file is refused rather than served back as audio.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from sessions.models import Item, Recording

# How each accepted container begins: the EBML magic (WebM), the Ogg page mark, the MP4 box.
_SIGNATURES = {
    "audio/webm": lambda head: head.startswith(b"\x1a\x45\xdf\xa3"),
    "audio/ogg": lambda head: head.startswith(b"OggS"),
    "audio/mp4": lambda head: head[4:8] == b"ftyp",
}


class RecordingRefused(Exception):
    """An upload that is not kept; the message says why, for the candidate."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def max_bytes() -> int:
    return settings.RECORDING_MAX_BYTES


def too_big_message() -> str:
    return f"The recording is larger than {max_bytes() // (1024 * 1024)} MB, so it was not kept."


def keep_recording(*, item: Item, upload: UploadedFile, now: datetime) -> Recording:
    """Store `upload` as the item's recording, replacing an earlier one; refuse what is too big,
    empty or not audio in an accepted container."""
    if item.shown_at is None:
        raise RecordingRefused("This question has not been asked yet.", 409)
    size = upload.size or 0
    if size > max_bytes():
        raise RecordingRefused(too_big_message(), 413)
    if size == 0:
        raise RecordingRefused("The recording is empty.", 400)
    content_type = (upload.content_type or "").lower()
    data = upload.read()
    check = _SIGNATURES.get(content_type)
    if check is None or not check(data[:12]):
        accepted = ", ".join(Recording.CONTENT_TYPES)
        raise RecordingRefused(f"Only audio recordings ({accepted}) are kept.", 415)
    recording, _ = Recording.objects.update_or_create(
        item=item,
        defaults={"content_type": content_type, "audio": data, "size": size, "recorded_at": now},
    )
    return recording
