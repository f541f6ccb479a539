"""File storage for signed XML, CDRs and PDFs, behind a small interface.

Keys are relative paths such as ``comprobantes/01/F001/20100066603-01-F001-1.xml``. The local
implementation keeps them under ``settings.storage_dir``; an S3 or Azure Blob implementation would map
the same keys to objects (S3's ``If-None-Match: *`` gives the same create-once semantics).
"""

import os
import tempfile
from pathlib import Path
from typing import Protocol

from core.settings import get_settings


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Write or replace."""
        ...

    def put_if_absent(self, key: str, data: bytes) -> bytes:
        """Write only if nothing is stored under `key`; return what is stored afterwards (atomic)."""
        ...

    def get(self, key: str) -> bytes:
        """Raise FileNotFoundError when missing."""
        ...

    def exists(self, key: str) -> bool: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    def _temp(self, path: Path, data: bytes) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return tmp

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        os.replace(self._temp(path, data), path)

    def put_if_absent(self, key: str, data: bytes) -> bytes:
        path = self._path(key)
        tmp = self._temp(path, data)
        try:
            os.link(tmp, path)  # fails if the name exists: the first writer wins, readers never see half a file
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        return path.read_bytes()

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def get_storage() -> Storage:
    return LocalStorage(get_settings().storage_dir)
