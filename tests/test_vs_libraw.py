"""Correctness against a real peer: `render --linear` agrees with LibRaw's linear sRGB output."""
from __future__ import annotations

import numpy as np
import pytest
import rawpy
import tifffile

from app.cli import run

GOPRO = ["gopro/Hero6_GOPR0024.DNG", "gopro/HERO7_GOPR9231.DNG", "gopro/Fusion_GPFR7066.DNG"]


def libraw_linear(path) -> np.ndarray:
    with rawpy.imread(str(path)) as raw:
        return raw.postprocess(demosaic_algorithm=rawpy.DemosaicAlgorithm.LINEAR, use_camera_wb=True,
                               output_bps=16, gamma=(1, 1), no_auto_bright=True,
                               output_color=rawpy.ColorSpace.sRGB, user_flip=0)


def psnr(a: np.ndarray, b: np.ndarray, border: int = 10) -> float:
    a = a[border:-border, border:-border].astype(np.float64) / 65535.0
    b = b[border:-border, border:-border].astype(np.float64) / 65535.0
    return float(10.0 * np.log10(1.0 / np.mean((a - b) ** 2)))


@pytest.mark.parametrize("name", GOPRO)
def test_render_linear_matches_libraw(shared, tmp_path, name):
    path = shared(f"captures/{name}")
    out = tmp_path / "linear.tif"
    assert run(["render", str(path), "--linear", "-o", str(out)]) == 0
    ours = tifffile.imread(out)
    reference = libraw_linear(path)
    assert ours.dtype == np.uint16 and ours.shape == reference.shape
    assert psnr(ours, reference) >= 40.0
