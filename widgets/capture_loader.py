"""Loading captures off the GUI thread: a decode (LibRaw, a large dump) must not freeze the window."""
from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, Signal

from app.errors import CamtuneError


class CaptureLoader(QObject):
    """Runs `load` calls one after another on a thread; reports each as a signal."""

    loaded = Signal(object, object)  # request, Capture
    failed = Signal(object, object)  # request, exception (CamtuneError: the user's message)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._queue: list = []
        self._running = False

    @property
    def busy(self) -> bool:
        return self._running

    def load(self, request, fn) -> None:
        """Call `fn()` on the loader thread; `request` identifies it in the signals."""
        with self._lock:
            self._queue.append((request, fn))
            if self._running:
                return
            self._running = True
        self.busyChanged.emit(True)
        threading.Thread(target=self._drain, name="camtune-load", daemon=True).start()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._running = False
                    break
                request, fn = self._queue.pop(0)
            try:
                capture = fn()
            except CamtuneError as err:
                self.failed.emit(request, err)
            except Exception as err:  # a loader bug: report, never crash the window
                err.details = traceback.format_exc(limit=6)
                self.failed.emit(request, err)
            else:
                self.loaded.emit(request, capture)
        self.busyChanged.emit(False)
