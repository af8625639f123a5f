"""Saving without ever leaving a half-written or lost file: temp file, flush, fsync, rename."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb", *, backup: bool = False, encoding=None):
    """Open a temporary sibling of `path` for writing; on success it replaces `path` atomically.

    On any exception the temporary file is removed and `path` is untouched. With `backup`, an
    existing file is first copied to `path.bak` (the previous version a user can go back to).
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)  # reopened by name: some writers (tifffile) need the handle's file name
    try:
        with open(tmp, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, tmp)  # a replaced file keeps its permissions
            if backup:
                shutil.copy2(path, path.with_name(path.name + ".bak"))
        else:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a new file follows the umask
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes, *, backup: bool = False) -> None:
    with atomic_open(path, "wb", backup=backup) as handle:
        handle.write(data)


def atomic_write_text(path: str | Path, text: str, *, backup: bool = False) -> None:
    with atomic_open(path, "w", backup=backup, encoding="utf-8") as handle:
        handle.write(text)
