"""Every dialog the tuning side opens, behind small functions tests replace with monkeypatch.

Offscreen tests cannot click a native file dialog or a message box; patching these functions
(or `QMessageBox`'s static functions they call) answers them instead.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget


def ask_path(parent: QWidget | None, mode: str, caption: str, start: str | Path = "",
             filters: str = "") -> Path | None:
    """A file chosen by the user (`mode` "open" or "save"), or None if cancelled."""
    if mode == "open":
        name, _ = QFileDialog.getOpenFileName(parent, caption, str(start), filters)
    elif mode == "save":
        name, _ = QFileDialog.getSaveFileName(parent, caption, str(start), filters)
    else:
        raise ValueError(f"mode must be 'open' or 'save', not {mode!r}")
    return Path(name) if name else None


def ask_number(parent: QWidget | None, title: str, text: str, value: float, minimum: float | None,
               maximum: float | None, decimals: int) -> float | None:
    lo = -1e12 if minimum is None else minimum
    hi = 1e12 if maximum is None else maximum
    number, ok = QInputDialog.getDouble(parent, title, text, value, lo, hi, decimals)
    return number if ok else None


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.critical(parent, title, message)


def show_info(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """'save', 'discard' or 'cancel' for a document with unsaved changes."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent, "Unsaved changes", f"The profile “{name}” has unsaved changes.\nSave them first?",
        buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")
