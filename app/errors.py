"""The one error type a user sees: it names the file (or value) and the reason."""
from __future__ import annotations

from pathlib import Path


class CamtuneError(Exception):
    """A problem the user can act on. `str()` is the whole message; no traceback is shown."""

    def __init__(self, reason: str, path: str | Path | None = None):
        self.reason = reason
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class CaptureError(CamtuneError):
    """A capture cannot be read: missing, truncated, corrupt, unsupported or mislabelled."""


class GeometryError(CaptureError):
    """A headerless dump whose geometry is unknown or does not fit its size: asking the user
    for it (the workbench's geometry dialog, `--raw-format`) can fix it."""
