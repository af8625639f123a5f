"""Image-quality measures and synthetic test inputs (CPSNR, RGB -> Bayer mosaic)."""
from __future__ import annotations

import math

import numpy as np

from app.capture import cfa_channels


def cpsnr(reference: np.ndarray, test: np.ndarray, border: int = 10, peak: float = 1.0) -> float:
    """Colour PSNR in dB: one mean squared error over all channels of two HxWx3 images.

    `border` pixels are excluded on every side (demosaic borders are not what is being
    judged). Identical images give `inf`. Computed in float64 whatever the input dtype.
    """
    ref = np.asarray(reference)
    tst = np.asarray(test)
    if ref.shape != tst.shape:
        raise ValueError(f"shape mismatch: reference {ref.shape} vs test {tst.shape}")
    if ref.ndim < 2:
        raise ValueError(f"expected an image, got an array of shape {ref.shape}")
    b = int(border)
    if b < 0:
        raise ValueError(f"border must be >= 0, got {border}")
    h, w = ref.shape[:2]
    if 2 * b >= h or 2 * b >= w:
        raise ValueError(f"border {b} leaves nothing of a {h}x{w} image")
    if b:
        ref = ref[b:h - b, b:w - b]
        tst = tst[b:h - b, b:w - b]
    diff = ref.astype(np.float64) - tst.astype(np.float64)
    mse = float(np.mean(diff * diff))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(float(peak) ** 2 / mse)


def mosaic_from_rgb(rgb: np.ndarray, pattern: str) -> np.ndarray:
    """Sample an HxWx3 RGB image through a Bayer CFA `pattern` ("RGGB", "BGGR", "GRBG",
    "GBRG"): a float32 HxW mosaic holding, at each pixel, the channel its filter passes."""
    img = np.asarray(rgb)
    if img.ndim != 3 or img.shape[2] < 3:
        raise ValueError(f"expected an HxWx3 image, got shape {img.shape}")
    ch = cfa_channels(pattern)
    h, w = img.shape[:2]
    mosaic = np.empty((h, w), dtype=np.float32)
    for dy in range(2):
        for dx in range(2):
            mosaic[dy::2, dx::2] = img[dy::2, dx::2, int(ch[dy, dx])]
    return mosaic
