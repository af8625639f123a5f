"""Shared set-up of the workbench GUI tests (offscreen, settings kept in a temporary folder)."""
from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CAMTUNE_SETTINGS_DIR", tempfile.mkdtemp(prefix="camtune-test-settings-"))

WAIT_MS = 60_000  # generous: the machine may be busy
DEMO_SIZE = (640, 360)


@pytest.fixture(scope="session", autouse=True)
def warm_kernels():
    """Compile (or load from numba's cache) every kernel before any window waits for a frame."""
    from app.warmup import warm_kernels as warm
    warm()


def new_window(interactive: bool = False, size=(1200, 800)):
    from widgets.app import apply_theme, use_settings_dir
    from widgets.main_window import MainWindow, application
    use_settings_dir()
    app = application()
    apply_theme(app)
    window = MainWindow(interactive=interactive)
    window.resize(*size)
    window.show()
    return window


class FrameLog:
    """Records the frames the viewer paints: [(RenderResult, time shown)]."""

    def __init__(self, viewer):
        self.frames: list = []
        viewer.frameShown.connect(self.frames.extend)

    def reset(self) -> None:
        """Forget the frames so far: the next checks see only what comes after."""
        self.frames.clear()

    def shown_with(self, profile, side: str = "A", layer: str = "base") -> bool:
        return any(r.job.profile is profile and r.job.side == side and r.job.layer == layer
                   for r, _ in self.frames)

    def last(self, side: str = "A", layer: str = "base"):
        for r, _ in reversed(self.frames):
            if r.job.side == side and r.job.layer == layer:
                return r
        return None


def shown_rgb(item) -> np.ndarray:
    """The RGB pixels an image layer shows (a copy)."""
    image = item.image
    assert image is not None, "the layer shows nothing"
    return np.ascontiguousarray(image[..., 2::-1] if image.shape[2] == 4 else image)


def wait_idle(qtbot, window, timeout=WAIT_MS) -> None:
    qtbot.waitUntil(lambda: not window.worker.busy and not window.loader.busy, timeout=timeout)
