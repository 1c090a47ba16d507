"""Uploaded files checked by their content: type allow-list, size limits, broken containers and a safe name."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from flask_babel import lazy_gettext as _l

from services.i18n import filesize
from tenants.errors import Refused

# Detected MIME type -> canonical extension. Legacy Office (doc, xls, ppt) is included because filetype tells the
# three apart by the first sector after the OLE header; a bare OLE container it cannot place is detected as nothing
# and refused. Plain text is left out: nothing in its content can be checked.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
    "audio/mpeg": "mp3",
    "audio/x-wav": "wav",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/amr": "amr",
    "audio/x-flac": "flac",
    "audio/aac": "aac",
}

# The member every well-formed container of that type lists in its central directory.
_ZIP_REQUIRED_MEMBER: dict[str, str] = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "[Content_Types].xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "[Content_Types].xml",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "[Content_Types].xml",
    "application/vnd.oasis.opendocument.text": "mimetype",
    "application/vnd.oasis.opendocument.spreadsheet": "mimetype",
    "application/vnd.oasis.opendocument.presentation": "mimetype",
}

# Other spellings of a canonical extension that a user's name may keep.
_EXTENSION_ALIASES: dict[str, frozenset[str]] = {
    "jpg": frozenset({"jpeg", "jpe", "jfif"}),
    "heic": frozenset({"heif"}),
    "ogg": frozenset({"oga", "opus"}),
}
# Suffixes read as a (wrong) extension and replaced; any other suffix is kept and the right extension appended.
_KNOWN_EXTENSIONS = (
    frozenset(kind.extension.lower() for kind in filetype.types)
    | frozenset(ALLOWED_TYPES.values())
    | frozenset().union(*_EXTENSION_ALIASES.values())
    | frozenset({"txt", "htm", "html", "xhtml", "svg", "js", "bat", "cmd", "com", "scr", "msi", "sh", "php", "bin"})
)

MAX_NAME_LENGTH = 200
DEFAULT_NAME = "file"
_PDF_EOF_WINDOW = 1024  # readers accept "%%EOF" anywhere in the last 1024 bytes
# Bidirectional embeddings, overrides and isolates: they can make "exe.pdf" display as "fdp.exe".
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
# Control characters, surrogates (not encodable as UTF-8) and line or paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


@dataclass(frozen=True)
class CheckedFile:
    """An accepted upload: its bytes, a safe display name and what its content says it is."""

    data: bytes
    filename: str
    extension: str
    content_type: str
    size: int
    sha256: str


class FileRejected(Refused):
    """A refused upload: `reason` is a short code; too large is 413, anything else 422."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        if reason in {"too_large", "too_large_total"}:
            self.status = 413


def check_upload(data: bytes, filename: str | None, *, max_bytes: int) -> CheckedFile:
    """Accept `data` if it is non-empty, within `max_bytes`, of an allowed type by its content and not broken."""
    # filetype reads a str as a path on disk; only bytes may reach it.
    if not isinstance(data, bytes | bytearray):
        raise TypeError("check_upload takes the file's bytes")
    data = bytes(data)
    if not data:
        raise FileRejected("empty", _l("The file is empty: choose the file again and upload it."))
    if len(data) > max_bytes:
        raise FileRejected(
            "too_large", _l("The file is larger than %(limit)s: upload a smaller file.", limit=filesize(max_bytes))
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise FileRejected(
            "type_not_allowed",
            _l(
                "Files of this type are not accepted: upload a PDF, an image, an office document or an audio recording."
            ),
        )
    content_type: str = kind.mime
    if not _is_intact(data, content_type):
        raise FileRejected(
            "broken", _l("The file is damaged and cannot be opened: save it again and upload the new copy.")
        )
    extension = ALLOWED_TYPES[content_type]
    return CheckedFile(
        data=data,
        filename=safe_filename(filename, extension),
        extension=extension,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_total(existing_bytes: int, new_bytes: int, *, max_total: int) -> None:
    """Refuse a file that would take the complaint's attachments past `max_total` bytes."""
    if existing_bytes + new_bytes > max_total:
        raise FileRejected(
            "too_large_total",
            _l(
                "This complaint already holds %(used)s of files and the limit is %(limit)s: upload a smaller file.",
                used=filesize(existing_bytes),
                limit=filesize(max_total),
            ),
        )


def _is_intact(data: bytes, content_type: str) -> bool:
    """Whether the container's structure can be read; types without a cheap structural check pass."""
    if content_type == "application/pdf":
        return b"%%EOF" in data[-_PDF_EOF_WINDOW:]
    required = _ZIP_REQUIRED_MEMBER.get(content_type)
    if required is None:
        return True
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if required not in names:
                return False
            # Opening a member reads and checks its local header without decompressing it (no zip bomb risk).
            for info in archive.infolist():
                if info.header_offset + info.compress_size > len(data):
                    return False
                with archive.open(info):
                    pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
        return False
    return True


def safe_filename(filename: str | None, extension: str) -> str:
    """A display name: basename only, no control characters, Unicode kept, ending in `extension`, never empty."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        char for char in name if unicodedata.category(char) not in _DROPPED_CATEGORIES and char not in _BIDI_CONTROLS
    )
    name = _WINDOWS_RESERVED.sub("_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and suffix.lower() in {extension} | _EXTENSION_ALIASES.get(extension, frozenset()):
        pass  # the user's spelling of the right extension is kept
    elif dot and stem and suffix.lower() in _KNOWN_EXTENSIONS:
        suffix = extension
    else:
        stem, suffix = name, extension
    stem = stem[: MAX_NAME_LENGTH - len(suffix) - 1].rstrip(" .") or DEFAULT_NAME
    return f"{stem}.{suffix}"
