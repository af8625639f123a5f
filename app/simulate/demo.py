"""camtune's demo capture: the virtual camera's test chart, rendered in memory.

`python main.py` with no file opens this. Deterministic (fixed seed and sensor), and fast:
one spectral integration per material, an analytic paint of ~150 shapes and a vectorised
sensor model (well under a second at 1920x1080 once the numba cache is warm).
"""
from __future__ import annotations

from app.capture import Capture
from app.simulate.camera import CameraModel, Result, Shot, simulate

DEMO_SIZE = (1920, 1080)
DEMO_ILLUMINANT = "D50"
DEMO_SEED = 2024


def _size(size) -> tuple[int, int]:
    if isinstance(size, str):
        w, _, h = size.lower().partition("x")
        size = (int(w), int(h))
    w, h = (int(v) for v in size)
    return w - w % 2, h - h % 2


def demo_result(size=DEMO_SIZE) -> Result:
    """The demo capture and its ground truth. `size` is (width, height) or 'WxH'."""
    w, h = _size(size)
    shot = Shot(scene="demo", width=w, height=h, illuminant=DEMO_ILLUMINANT, seed=DEMO_SEED,
                exposure_target=0.85)
    return simulate(shot, CameraModel())


def demo_capture(size=DEMO_SIZE) -> Capture:
    """The demo capture (a 12-bit RGGB mosaic of the virtual camera's test chart)."""
    return demo_result(size).capture
