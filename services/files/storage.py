"""Where attachments' bytes live: a key-value store of opaque random keys."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
FILE_MODE = 0o640
DIRECTORY_MODE = 0o750


class Storage(Protocol):
    """Bytes stored under keys the store chooses."""

    def put(self, data: bytes) -> str:
        """Store `data` under a new random key and return the key."""
        ...

    def open(self, key: str) -> BinaryIO:
        """The stored bytes for reading; FileNotFoundError if there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the stored bytes; a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether bytes are stored under `key`."""
        ...


def new_key() -> str:
    """A random key of 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def _checked(key: str) -> str:
    """The key itself if it has exactly the shape `new_key` makes; ValueError otherwise."""
    # The whole path is built from the key, so this check is what keeps every path inside the root.
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise ValueError("not a storage key")
    return key


class LocalStorage:
    """Files under a root directory outside the web root, fanned out as `key[:2]/key`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        """Write `data` atomically (temporary file, fsync, rename) under a new key."""
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        # The temporary name holds a dot, which no key does, so a half-written file is never read as one.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), FILE_MODE)
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)
        return key

    def open(self, key: str) -> BinaryIO:
        """The stored file opened for binary reading; FileNotFoundError if missing."""
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        """Remove the stored file; a missing one is not an error."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether a file is stored under `key`."""
        return self._path(key).is_file()


def _fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` survive a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def storage_from_config(url: str) -> Storage:
    """The store a setting names: "file:///abs/path" or a plain path; ValueError for anything else."""
    if not url or not url.strip():
        raise ValueError("no attachment storage configured")
    if not _SCHEME.match(url):
        return LocalStorage(url)
    parts = urlsplit(url)
    if parts.scheme != "file":
        raise ValueError(f"unsupported attachment storage: {parts.scheme!r}")
    if parts.netloc not in {"", "localhost"} or not parts.path.startswith("/") or parts.query or parts.fragment:
        raise ValueError("a file:// storage URL names an absolute local path, as in file:///srv/dadras/uploads")
    return LocalStorage(unquote(parts.path))
