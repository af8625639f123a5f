"""bin_preview (the preview's fitted camera RGB straight from the mosaic) against a numpy reference.

The reference spells the semantics out per output pixel in float64: whole 2x2 tiles
ty in [ty0, ty1), tx in [tx0, tx1) with ty0 = oy*th//oh, ty1 = max((oy+1)*th//oh, ty0+1);
each sample min((raw - black[p]) * scale[p] * gain[p], 1 if clip), gain[p] being the shading
grid at the output pixel's centre (full-frame pixels, `_lsc_axis` convention) blended by the
strength; a colour at several positions (G) averaged over them.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.capture import CFA_PATTERNS, cfa_channels
from app.isp.kernels.mosaic import bin_preview

NO_LSC = np.zeros((4, 0, 0), np.float32)


def ref_axis(pos, size, cells):
    """Grid cell and weight of `pos` (cell-centred samples, clamped), as _lsc_axis."""
    f = (pos + 0.5) * cells / size - 0.5
    if f <= 0:
        return 0, 0.0
    if f >= cells - 1:
        return cells - 2, 1.0
    return int(f), f - int(f)


def ref_bin(raw, oh, ow, black, scale, colour_of, lsc, strength, clip):
    h, w = raw.shape
    th, tw = h // 2, w // 2
    gh, gw = lsc.shape[1:]
    grids = lsc.astype(np.float64)
    count = np.bincount(colour_of, minlength=3)
    out = np.zeros((oh, ow, 3))
    for oy in range(oh):
        ty0 = oy * th // oh
        ty1 = max((oy + 1) * th // oh, ty0 + 1)
        for ox in range(ow):
            tx0 = ox * tw // ow
            tx1 = max((ox + 1) * tw // ow, tx0 + 1)
            for p in range(4):
                gain = 1.0
                if gh >= 2 and gw >= 2:
                    iy, fy = ref_axis(ty0 + ty1 - 0.5, h, gh)
                    ix, fx = ref_axis(tx0 + tx1 - 0.5, w, gw)
                    g = grids[p]
                    g0 = g[iy, ix] + (g[iy, ix + 1] - g[iy, ix]) * fx
                    g1 = g[iy + 1, ix] + (g[iy + 1, ix + 1] - g[iy + 1, ix]) * fx
                    gain = 1.0 + strength * (g0 + (g1 - g0) * fy - 1.0)
                tiles = raw[2 * ty0 + (p >> 1):2 * ty1:2, 2 * tx0 + (p & 1):2 * tx1:2]
                v = (tiles.astype(np.float64) - black[p]) * scale[p] * gain
                if clip:
                    v = np.minimum(v, 1.0)
                out[oy, ox, colour_of[p]] += v.mean() / count[colour_of[p]]
    return out


def make_case(h, w, seed, near_white=False):
    """A 12-bit mosaic, per-position levels and WB-like scales; optionally mostly near white."""
    rng = np.random.default_rng(seed)
    black = np.array([64.0, 60.0, 62.0, 66.0], np.float32)
    scale = (rng.uniform(1.0, 2.2, 4) / (4095.0 - black)).astype(np.float32)
    lo = 2500 if near_white else 0
    raw = rng.integers(lo, 4096, (h, w)).astype(np.uint16)
    return raw, black, scale


def run(raw, oh, ow, black, scale, colour_of, lsc, strength, clip):
    out = np.full((oh, ow, 3), np.nan, np.float32)
    bin_preview(raw, out, black, scale, colour_of.astype(np.int32), lsc, np.float32(strength), clip)
    return out


def check(raw, oh, ow, black, scale, pattern, lsc, strength, clip):
    colour_of = cfa_channels(pattern).ravel()
    got = run(raw, oh, ow, black, scale, colour_of, lsc, strength, clip)
    want = ref_bin(raw, oh, ow, black, scale, colour_of, lsc, strength, clip)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    return got


SIZES = [
    (300, 400, 108, 144),   # the 4000x3000 -> 1440x1080 ratio, scaled down
    (64, 96, 32, 48),       # exactly half: one tile per pixel
    (67, 99, 20, 31),       # odd mosaic, uneven tile counts
    (90, 2000, 9, 377),     # wide rows, several tiles per pixel
    (40, 50, 7, 9),         # coarse: 2-3 tiles per pixel
]


@pytest.mark.parametrize("pattern", CFA_PATTERNS)
@pytest.mark.parametrize("h,w,oh,ow", SIZES)
@pytest.mark.parametrize("shading", [False, True])
@pytest.mark.parametrize("clip", [True, False])
def test_matches_reference(pattern, h, w, oh, ow, shading, clip):
    raw, black, scale = make_case(h, w, seed=h * 7 + w)
    rng = np.random.default_rng(w)
    lsc = rng.uniform(1.0, 2.0, (4, 5, 7)).astype(np.float32) if shading else NO_LSC
    check(raw, oh, ow, black, scale, pattern, lsc, 0.7 if shading else 0.0, clip)


@pytest.mark.parametrize("pattern", CFA_PATTERNS)
def test_clips_each_sample_before_averaging(pattern):
    """Near white, gains push many samples past 1: each is clipped alone (the mean stays < 1)."""
    raw, black, scale = make_case(300, 400, seed=3, near_white=True)
    lsc = np.random.default_rng(4).uniform(1.0, 2.0, (4, 5, 7)).astype(np.float32)
    clipped = check(raw, 108, 144, black, scale, pattern, lsc, 0.7, True)
    unclipped = check(raw, 108, 144, black, scale, pattern, lsc, 0.7, False)
    assert clipped.max() <= 1.0 + 1e-6
    assert unclipped.max() > 1.2
    assert (clipped < unclipped - 1e-3).mean() > 0.5


def test_output_larger_than_tile_grid_repeats_tiles():
    """ty1 = max(.., ty0 + 1): more output pixels than tiles still follows the stated ranges."""
    raw, black, scale = make_case(10, 12, seed=5)
    lsc = np.random.default_rng(6).uniform(1.0, 2.0, (4, 3, 4)).astype(np.float32)
    check(raw, 8, 9, black, scale, "GRBG", lsc, 0.5, True)


def test_flat_field_gives_white_balanced_levels():
    """A flat mosaic without shading bins to (level - black) * scale per colour, G averaged."""
    black = np.array([64.0, 64.0, 64.0, 64.0], np.float32)
    scale = np.array([2.0, 1.0, 1.5, 1.2], np.float32) / 4031.0
    raw = np.full((120, 160), 1064, np.uint16)
    got = run(raw, 37, 53, black, scale, cfa_channels("RGGB").ravel(), NO_LSC, 0.0, True)
    want = 1000.0 * np.array([2.0, (1.0 + 1.5) / 2, 1.2]) / 4031.0
    np.testing.assert_allclose(got, np.broadcast_to(want, got.shape), rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(2, 120), w=st.integers(2, 160), fy=st.floats(0.05, 1.0), fx=st.floats(0.05, 1.0),
       pattern=st.sampled_from(CFA_PATTERNS), grid=st.sampled_from([(0, 0), (2, 2), (3, 5), (6, 4)]),
       strength=st.floats(0.0, 1.0), clip=st.booleans(), seed=st.integers(0, 2**16))
def test_matches_reference_any_size(h, w, fy, fx, pattern, grid, strength, clip, seed):
    raw, black, scale = make_case(h, w, seed)
    oh = max(1, int(h // 2 * fy))
    ow = max(1, int(w // 2 * fx))
    lsc = np.random.default_rng(seed).uniform(1.0, 2.0, (4,) + grid).astype(np.float32)
    check(raw, oh, ow, black, scale, pattern, lsc, strength, clip)
