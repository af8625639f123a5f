"""The fused mosaic kernel (black level, shading, white balance, clip) against a numpy reference,
on whole frames and on windows (regions and render bands read absolute positions)."""
from __future__ import annotations

import numpy as np
import pytest

from app.isp.kernels.mosaic import correct_mosaic

from test_bin_preview import ref_axis


def ref_correct(raw, y0, x0, h, w, black, scale, lsc, strength, clip):
    full_h, full_w = raw.shape
    out = np.empty((h, w))
    gh, gw = lsc.shape[1:]
    for y in range(h):
        ay = y0 + y
        for x in range(w):
            ax = x0 + x
            p = 2 * (ay & 1) + (ax & 1)
            gain = 1.0
            if gh >= 2 and gw >= 2:
                iy, fy = ref_axis(ay, full_h, gh)
                ix, fx = ref_axis(ax, full_w, gw)
                g = lsc[p].astype(np.float64)
                top = g[iy, ix] * (1 - fx) + g[iy, ix + 1] * fx
                bot = g[iy + 1, ix] * (1 - fx) + g[iy + 1, ix + 1] * fx
                gain = 1.0 + strength * (top * (1 - fy) + bot * fy - 1.0)
            v = (float(raw[ay, ax]) - black[p]) * scale[p] * gain
            out[y, x] = min(v, 1.0) if clip else v
    return out


@pytest.mark.parametrize("window", [(0, 0, 40, 52), (6, 10, 20, 30), (38, 0, 2, 52), (0, 12, 40, 7)])
@pytest.mark.parametrize("shading", [False, True])
def test_matches_reference_on_frames_and_windows(window, shading):
    rng = np.random.default_rng(sum(window) + shading)
    raw = rng.integers(0, 4096, (40, 52), dtype=np.uint16)
    black = np.array([60, 64, 62, 66], np.float32)
    scale = (np.array([1.9, 1.0, 1.0, 1.5]) / 4000).astype(np.float32)
    lsc = rng.uniform(1.0, 2.0, (4, 5, 7)).astype(np.float32) if shading else np.zeros((4, 0, 0), np.float32)
    y0, x0, h, w = window
    for clip in (True, False):
        out = np.full((h, w), np.nan, np.float32)
        correct_mosaic(raw, y0, x0, out, black, scale, False, np.zeros(4, np.float32), np.float32(0.0),
                       lsc, np.float32(0.7), clip)
        want = ref_correct(raw, y0, x0, h, w, black, scale, lsc, 0.7, clip)
        np.testing.assert_allclose(out, want, rtol=2e-6, atol=1e-7)
