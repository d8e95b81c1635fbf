"""``local`` backend: files under ``STORAGE_DIR``, written atomically (temp file + rename)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from shared.storage.base import CHUNK, InvalidKey, Storage


class LocalStorage(Storage):
    """Objects as files under ``root``. A reader never sees a half-written file: data goes to a
    hidden temp file in the target directory (keys cannot name dot-files), is fsynced, then
    renamed over the target. Downloads stream through the app (there is no provider URL)."""

    name = "local"
    streams_downloads = True

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # resolve() follows symlinks too, so a link planted inside the root cannot lead out of it.
        if path == self.root or not path.is_relative_to(self.root):
            raise InvalidKey(f"key leaves the storage root: {key!r}")
        return path

    def _put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes | bytearray | memoryview):
                    out.write(data)
                else:
                    while chunk := data.read(CHUNK):
                        out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def _open(self, ref: str) -> BinaryIO | None:
        try:
            return open(self._path(ref), "rb")  # the caller closes the stream
        except FileNotFoundError:
            return None

    def _delete(self, ref: str) -> None:
        self._path(ref).unlink(missing_ok=True)

    def _exists(self, ref: str) -> bool:
        return self._path(ref).is_file()

    def _presigned_url(self, ref: str, seconds: int) -> str:
        raise NotImplementedError("local storage has no provider URLs; stream the object")

    def _delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
        return count

    def _list_keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return []
        return [
            p.relative_to(self.root).as_posix()
            for p in folder.rglob("*")
            if p.is_file() and not p.name.startswith(".")  # skip half-written temp files
        ]
