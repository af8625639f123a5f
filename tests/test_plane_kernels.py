"""Y'CbCr plane kernels (encode, tone + sharpen + colour in `finish`, luma and chroma noise
reduction) against small pure-numpy references.

The references are written for clarity (float64, whole-plane numpy), not speed; the kernels
must agree with them and show the intended behaviour on synthetic edges and noise.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from app.isp.kernels import denoise_chroma, denoise_luma, finish as finish_kernels, sharpen, ycc
from app.isp.kernels.encode import encode_for_nr

F32 = np.float32
KR, KB = 0.2126, 0.0722
KG = 1.0 - KR - KB


# ----------------------------------------------------------------------------- references

def ref_rgb_to_ycc(rgb):
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = KR * r + KG * g + KB * b
    return y, (b - y) / (2 * (1 - KB)), (r - y) / (2 * (1 - KR))


def ref_ycc_to_rgb(y, cb, cr):
    y, cb, cr = (np.asarray(a, np.float64) for a in (y, cb, cr))
    r = y + 2 * (1 - KR) * cr
    b = y + 2 * (1 - KB) * cb
    g = (y - KR * r - KB * b) / KG
    return np.stack([r, g, b], axis=-1)


def ref_tone(rgb, lut):
    x = np.nan_to_num(rgb.astype(np.float64), nan=0.0)
    grid = np.linspace(0.0, 1.0, lut.size)
    return np.interp(np.clip(x, 0, 1), grid, lut.astype(np.float64))


def ref_box_mean(a, r):
    """Mean over a (2r+1)^2 window, borders replicated."""
    p = np.pad(a.astype(np.float64), r, mode="edge")
    n = 2 * r + 1
    c = np.cumsum(np.pad(p, ((1, 0), (1, 0))), axis=0)
    c = np.cumsum(c, axis=1)
    s = c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]
    return s / (n * n)


def ref_guided_luma(y, strength, radius):
    eps = (denoise_luma.LUMA_EDGE_STOP * strength) ** 2
    i = y.astype(np.float64)
    m = ref_box_mean(i, radius)
    var = np.maximum(ref_box_mean(i * i, radius) - m * m, 0)
    a = var / (var + eps)
    b = m - a * m
    return ref_box_mean(a, radius) * i + ref_box_mean(b, radius)


def ref_downsample(p):
    h, w = p.shape
    q = np.pad(p.astype(np.float64), ((0, h % 2), (0, w % 2)), mode="edge")
    return 0.25 * (q[0::2, 0::2] + q[1::2, 0::2] + q[0::2, 1::2] + q[1::2, 1::2])


def ref_upsample(p, h, w):
    """Bilinear 2x upsampling matching 2x2-mean pixel centres, borders clamped."""
    def axis_weights(n_out, n_in):
        u = (np.arange(n_out) + 0.5) / 2 - 0.5
        i0 = np.floor(u).astype(int)
        f = u - i0
        return np.clip(i0, 0, n_in - 1), np.clip(i0 + 1, 0, n_in - 1), f
    r0, r1, fy = axis_weights(h, p.shape[0])
    c0, c1, fx = axis_weights(w, p.shape[1])
    rows = p[r0] * (1 - fy)[:, None] + p[r1] * fy[:, None]
    return rows[:, c0] * (1 - fx) + rows[:, c1] * fx


def ref_block_sum(p):
    """Sums over 2x2 blocks (even shape)."""
    return p.reshape(p.shape[0] // 2, 2, p.shape[1] // 2, 2).sum(axis=(1, 3))


def ref_corner_mean(p, r):
    """Mean over the 2r x 2r samples around each corner of the sample grid: corner (I, J)
    averages rows I-r .. I+r-1 and columns J-r .. J+r-1, borders replicated."""
    q = np.pad(p, r, mode="edge")
    n = 2 * r
    c = np.cumsum(np.cumsum(np.pad(q, ((1, 0), (1, 0))), axis=0), axis=1)
    return (c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]) / (n * n)


def ref_corner_upsample(p, h, w):
    """Bilinear upsampling from the corners of 4x4 blocks: corner i sits between full-res
    pixels 4i-1 and 4i, so pixel x lies (x + 0.5)/4 corners from corner 0."""
    def axis_weights(n_out):
        u = (np.arange(n_out) + 0.5) / 4
        i0 = np.floor(u).astype(int)
        return i0, i0 + 1, u - i0
    r0, r1, fy = axis_weights(h)
    c0, c1, fx = axis_weights(w)
    rows = p[r0] * (1 - fy)[:, None] + p[r1] * fy[:, None]
    return rows[:, c0] * (1 - fx) + rows[:, c1] * fx


def ref_guided_chroma(y, cb, cr, strength, radius):
    """Colour-guided filter (guide Y, Cb, Cr) with window statistics from 2x2 means.

    Radius 1..3: fitted at half resolution (windows of 2r+1 2x2 means, r = ceil(radius/2)),
    coefficients box-averaged over the same windows, upsampled 2x. Radius 4..8: the planes
    are edge-padded to a multiple of 4 and the model is fitted per 4x4 block over windows of
    2r+1 blocks (r = 1 for radius 4, else 2) from the 2x2 means inside them; coefficients
    averaged over the 2q x 2q blocks around each block corner (q = 1 up to radius 6, then
    2) and upsampled 4x from the corners.
    """
    eps = (denoise_chroma.CHROMA_EDGE_STOP * strength) ** 2
    h, w = y.shape
    if radius >= 4:
        r = 1 if radius == 4 else 2
        q = 1 if radius <= 6 else 2
        padded = [np.pad(c.astype(np.float64), ((0, -h % 4), (0, -w % 4)), mode="edge")
                  for c in (y, cb, cr)]
        half = [ref_downsample(c) for c in padded]

        def window_mean(p):  # p at half resolution; mean over the 4(2r+1)^2 samples
            return ref_box_mean(ref_block_sum(p), r) / 4

        def smooth(p):
            return ref_corner_upsample(ref_corner_mean(p, q), h, w)
    else:
        r = (radius + 1) // 2
        half = [ref_downsample(c) for c in (y, cb, cr)]

        def window_mean(p):
            return ref_box_mean(p, r)

        def smooth(p):
            return ref_upsample(ref_box_mean(p, r), h, w)
    means = [window_mean(g) for g in half]
    sigma = np.empty(means[0].shape + (3, 3))
    for i in range(3):
        for j in range(3):
            sigma[..., i, j] = window_mean(half[i] * half[j]) - means[i] * means[j]
    reg = sigma + eps * np.eye(3)
    full = [a.astype(np.float64) for a in (y, cb, cr)]
    outs = []
    for t in (1, 2):
        a = np.linalg.solve(reg, sigma[..., :, t][..., None])[..., 0]
        b = means[t] - sum(a[..., i] * means[i] for i in range(3))
        outs.append(sum(smooth(a[..., i]) * full[i] for i in range(3)) + smooth(b))
    return outs


def ref_gaussian_blur(y, sigma):
    k = min(max(math.ceil(3 * sigma), 1), sharpen.MAX_SHARPEN_TAPS)
    x = np.arange(-k, k + 1)
    taps = np.exp(-0.5 * (x / sigma) ** 2)
    taps /= taps.sum()
    p = np.pad(y.astype(np.float64), k, mode="edge")
    v = sum(t * p[i:i + y.shape[0], :] for i, t in enumerate(taps))
    return sum(t * v[:, i:i + y.shape[1]] for i, t in enumerate(taps))


def ref_finish(y, cb, cr, sharpen_on, sigma, strength, threshold, limit, sat, hue, dtype):
    y = y.astype(np.float64)
    if sharpen_on:
        d = y - ref_gaussian_blur(y, sigma)
        d = d - np.clip(d, -threshold, threshold)
        y = y + np.clip(d * strength, -limit, limit)
    th = math.radians(hue)
    cb2 = sat * (cb * math.cos(th) - cr * math.sin(th))
    cr2 = sat * (cb * math.sin(th) + cr * math.cos(th))
    rgb = np.clip(ref_ycc_to_rgb(y, cb2, cr2), 0, 1)
    if dtype == np.float32:
        return rgb
    top = np.iinfo(dtype).max
    return np.floor(rgb * top + 0.5)


# ----------------------------------------------------------------------------- helpers

def planes(h, w):
    return tuple(np.full((h, w), np.nan, F32) for _ in range(3))


def to_ycc(rgb):
    """Y'CbCr planes of encoded R'G'B' (clipped to [0, 1]) through the encode kernel, which
    takes linear values: it is given their squares."""
    h, w = rgb.shape[:2]
    y, cb, cr = planes(h, w)
    linear = np.square(np.clip(rgb.astype(np.float64), 0, 1)).astype(F32)
    encode_for_nr(np.ascontiguousarray(linear), np.eye(3, dtype=F32), y, cb, cr)
    return y, cb, cr


IDENTITY_LUT = np.linspace(0, 1, 4096, dtype=F32)  # in encoded values: tone changes nothing


def finish(y, cb, cr, dtype=np.uint8, sharpen_on=False, sigma=1.0, strength=0.0,
           threshold=0.0, limit=1.0, saturation=1.0, hue=0.0, lut=IDENTITY_LUT):
    out = np.full(y.shape + (3,), np.nan if dtype == F32 else 0, dtype)
    finish_kernels.finish(y, cb, cr, lut, sharpen_on, F32(sigma), F32(strength), F32(threshold),
                          F32(limit), F32(saturation), F32(hue), out)
    return out


def luma(y, strength, radius):
    out = np.full_like(y, np.nan)
    denoise_luma.denoise_luma(y, F32(strength), radius, out)
    return out


def chroma(y, cb, cr, strength, radius):
    cb_out = np.full_like(cb, np.nan)
    cr_out = np.full_like(cr, np.nan)
    denoise_chroma.denoise_chroma(y, cb, cr, F32(strength), radius, cb_out, cr_out)
    return cb_out, cr_out


def step_image(h=64, w=96, low=0.25, high=0.75, noise=0.05, seed=0):
    """Vertical step edge at the middle column plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    clean = np.where(np.arange(w) < w // 2, low, high) * np.ones((h, 1))
    return clean.astype(F32), (clean + rng.normal(0, noise, (h, w))).astype(F32)


def edge_width(img, lo=0.1, hi=0.9):
    """10-90 % rise distance (px, linear interpolation) of the row-averaged profile."""
    prof = img.astype(np.float64).mean(axis=0)
    a, b = prof[:8].mean(), prof[-8:].mean()
    n = (prof - a) / (b - a)

    def crossing(level):
        i = int(np.argmax(n >= level))
        return i - 1 + (level - n[i - 1]) / (n[i] - n[i - 1])
    return crossing(hi) - crossing(lo)


# ----------------------------------------------------------------------------- tone / colour

@pytest.mark.parametrize("size", [2, 17, 1024, 8192])
def test_tone_lut_interpolation_matches_numpy(size):
    """The LUT is read on a uniform grid of encoded values, interpolated, after a clip."""
    rng = np.random.default_rng(size)
    rgb = rng.uniform(-0.2, 1.3, (19, 23, 3))
    y, cb, cr = (a.astype(F32) for a in ref_rgb_to_ycc(rgb))
    y[0, 0] = np.nan
    lut = (np.linspace(0, 1, size) ** 1.2).astype(F32)
    got = finish(y, cb, cr, F32, lut=lut)
    encoded = ref_ycc_to_rgb(y, cb, cr)
    want = np.clip(ref_tone(encoded, lut), 0, 1)
    want[0, 0] = lut[0]  # a NaN pixel reads the LUT at 0
    np.testing.assert_allclose(got, want, atol=3e-6)


@pytest.mark.parametrize("size", [2, 17, finish_kernels.TONE_LUT_SIZE])
def test_encode_then_tone_interpolates_in_the_square_root_of_linear(size):
    """lut[i] sits at linear x = (i/(N-1))**2 (tone_lut_inputs) and is interpolated in sqrt(x)."""
    rng = np.random.default_rng(100 + size)
    rgb = rng.uniform(-0.2, 1.3, (21, 19, 3)).astype(F32)
    rgb[:, :3] = rng.uniform(0, 1e-4, (21, 3, 3))  # deep shadows, where the grid is densest
    grid = finish_kernels.tone_lut_inputs(size)
    assert grid[0] == 0.0 and grid[-1] == 1.0 and grid.size == size
    lut = (grid ** (1 / 2.2)).astype(F32)
    y, cb, cr = planes(21, 19)
    encode_for_nr(rgb, np.eye(3, dtype=F32), y, cb, cr)
    got = finish(y, cb, cr, F32, lut=lut)
    x = np.clip(rgb.astype(np.float64), 0, 1)
    want = np.interp(np.sqrt(x), np.linspace(0, 1, size), lut.astype(np.float64))
    np.testing.assert_allclose(got, want, atol=3e-6)


@pytest.mark.parametrize("tone", [
    dict(transfer="srgb"), dict(transfer="gamma", gamma=2.2), dict(transfer="gamma", gamma=3.0),
    dict(transfer="linear"),
    dict(transfer="srgb", curve=((0, 0), (0.25, 0.15), (0.75, 0.85), (1, 1))),
    dict(transfer="linear", curve=((0, 0), (0.4, 0.1), (0.6, 0.9), (1, 1)))])
def test_tone_lut_size_for_the_pipeline_is_accurate(tone):
    """Through encode and finish, a TONE_LUT_SIZE LUT from the pipeline's tone response stays
    within 0.02 % of full scale of the exact response (16-bit export) from linear 1e-6 up, and
    within half an 8-bit step everywhere (a pure gamma's slope is unbounded at 0)."""
    from app.isp.stages import Tone
    from app.isp.tone import response
    params = Tone(**tone)
    lut = response(params, finish_kernels.tone_lut_inputs()).astype(F32)
    x = np.concatenate([np.linspace(0, 1, 200_001), np.geomspace(1e-9, 1e-2, 20_001)])
    x = x.astype(F32)
    grey = np.ascontiguousarray(np.repeat(x[:, None], 3, axis=1).reshape(1, -1, 3))
    y, cb, cr = planes(1, x.size)
    encode_for_nr(grey, np.eye(3, dtype=F32), y, cb, cr)
    out = finish(y, cb, cr, F32, lut=lut)
    err = np.abs(out[0, :, 1].astype(np.float64) - response(params, x.astype(np.float64)))
    assert err.max() < 0.5 / 255
    assert err[x >= 1e-6].max() < 2e-4


def test_ycc_round_trip_is_exact():
    rgb = np.random.default_rng(1).random((33, 47, 3), dtype=F32)
    y, cb, cr = to_ycc(rgb)
    ry, rcb, rcr = ref_rgb_to_ycc(rgb)
    np.testing.assert_allclose(y, ry, atol=1e-6)
    np.testing.assert_allclose(cb, rcb, atol=1e-6)
    np.testing.assert_allclose(cr, rcr, atol=1e-6)
    back = np.empty_like(rgb)
    ycc.ycc_to_rgb(y, cb, cr, back)
    np.testing.assert_allclose(back, rgb, atol=1e-5)
    np.testing.assert_allclose(finish(y, cb, cr, F32), rgb, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_finish_identity_through_integer_output(dtype):
    rgb = np.random.default_rng(2).random((21, 30, 3), dtype=F32)
    y, cb, cr = to_ycc(rgb)
    top = np.iinfo(dtype).max
    want = np.round(rgb.astype(np.float64) * top)
    assert np.abs(finish(y, cb, cr, dtype).astype(np.int64) - want).max() <= 1
    shown = np.empty(rgb.shape, dtype)
    ycc.ycc_to_rgb(y, cb, cr, shown)
    assert np.abs(shown.astype(np.int64) - want).max() <= 1


def test_finish_clamps_to_output_range():
    y = np.array([[-0.5, 0.0, 0.5, 1.0, 1.5]], F32).repeat(16, 0)
    y = np.ascontiguousarray(np.tile(y, (1, 4)))
    cb = np.zeros_like(y)
    cr = np.full_like(y, 0.4)
    for dtype in (np.uint8, np.uint16, F32):
        got = finish(y, cb, cr, dtype)
        want = ref_finish(y, cb, cr, False, 1, 0, 0, 1, 1, 0, dtype)
        np.testing.assert_allclose(got.astype(np.float64), want, atol=1.0 if dtype != F32 else 1e-6)
        if dtype == F32:
            assert got.min() >= 0.0 and got.max() <= 1.0


def test_saturation_zero_gives_grey():
    rgb = np.random.default_rng(3).random((16, 24, 3), dtype=F32)
    y, cb, cr = to_ycc(rgb)
    out = finish(y, cb, cr, saturation=0.0)
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert np.abs(out[..., 0].astype(int) - np.round(y * 255)).max() <= 1


def test_hue_rotation_turns_chroma_by_the_angle():
    rng = np.random.default_rng(4)
    y = np.full((16, 20), 0.5, F32)
    ang = rng.uniform(-np.pi, np.pi, y.shape)
    mag = rng.uniform(0.02, 0.12, y.shape)
    cb, cr = (mag * np.cos(ang)).astype(F32), (mag * np.sin(ang)).astype(F32)
    out = finish(y, cb, cr, F32, hue=120.0)
    y2, cb2, cr2 = ref_rgb_to_ycc(out)
    np.testing.assert_allclose(y2, 0.5, atol=1e-5)
    turned = np.angle((cb2 + 1j * cr2) / (cb + 1j * cr), deg=True)
    np.testing.assert_allclose(turned, 120.0, atol=1e-2)
    np.testing.assert_allclose(np.hypot(cb2, cr2), mag, atol=1e-5)
    np.testing.assert_allclose(out, ref_finish(y, cb, cr, False, 1, 0, 0, 1, 1.0, 120.0, F32),
                               atol=1e-5)


def test_finish_matches_reference_with_everything_on():
    rng = np.random.default_rng(5)
    rgb = np.clip(0.5 + 0.3 * rng.standard_normal((29, 37, 3)), 0, 1).astype(F32)
    y, cb, cr = to_ycc(rgb)
    args = (True, 1.3, 1.5, 0.02, 0.15, 1.4, -35.0)
    for dtype, tol in ((np.uint8, 1), (np.uint16, 1), (F32, 2e-5)):
        got = finish(y, cb, cr, dtype, *args)
        want = ref_finish(y, cb, cr, *args, dtype)
        assert np.abs(got.astype(np.float64) - want).max() <= tol


# ----------------------------------------------------------------------------- noise reduction

@pytest.mark.parametrize("radius", [1, 2, 3, 8])
def test_denoise_luma_matches_reference(radius):
    _, noisy = step_image(45, 61, seed=radius)
    got = luma(noisy, 0.7, radius)
    np.testing.assert_allclose(got, ref_guided_luma(noisy, 0.7, radius), atol=2e-5)


@pytest.mark.parametrize("radius", [1, 2, 4, 8])
def test_denoise_luma_smooths_noise_and_keeps_the_edge(radius):
    clean, noisy = step_image(96, 128, noise=0.05, seed=10 + radius)
    out = luma(noisy, 1.0, radius)
    flat = (slice(8, -8), slice(8, 40))
    before = (noisy - clean)[flat].std()
    after = (out - clean)[flat].std()
    assert after <= before / 2, (before, after)
    assert edge_width(out) <= edge_width(noisy) + 1.0


def test_denoise_luma_strength_zero_is_identity():
    _, noisy = step_image(20, 33)
    np.testing.assert_array_equal(luma(noisy, 0.0, 4), noisy)


@pytest.mark.parametrize("chroma_radius", [2, 4, 8])
def test_denoise_small_strength_is_nearly_identity(chroma_radius):
    _, noisy = step_image(40, 50)
    assert np.abs(luma(noisy, 0.01, 4) - noisy).max() < 2e-3
    cb = (0.05 * np.random.default_rng(0).standard_normal(noisy.shape)).astype(F32)
    cr = (-0.7 * cb).astype(F32) + F32(0.01)
    cb_o, cr_o = chroma(noisy, cb, cr, 0.01, chroma_radius)
    assert np.abs(cb_o - cb).max() < 5e-3 and np.abs(cr_o - cr).max() < 5e-3


@pytest.mark.parametrize("shape,radius", [((40, 56), 1), ((37, 51), 4), ((33, 45), 8),
                                          ((36, 50), 3), ((41, 64), 6), ((44, 60), 4),
                                          ((38, 54), 5), ((39, 63), 7), ((42, 46), 8)])
def test_denoise_chroma_matches_reference(shape, radius):
    rng = np.random.default_rng(radius)
    rgb = np.clip(0.5 + 0.15 * rng.standard_normal(shape + (3,)), 0, 1).astype(F32)
    y, cb, cr = to_ycc(rgb)
    got_cb, got_cr = chroma(y, cb, cr, 0.6, radius)
    want_cb, want_cr = ref_guided_chroma(y, cb, cr, 0.6, radius)
    np.testing.assert_allclose(got_cb, want_cb, atol=5e-5)
    np.testing.assert_allclose(got_cr, want_cr, atol=5e-5)


def blotchy_chroma(h, w, seed, amp=0.04):
    """Low-frequency coloured noise (blotches ~4 px), as demosaicing leaves it."""
    rng = np.random.default_rng(seed)
    small = rng.standard_normal((2, h // 4 + 2, w // 4 + 2))
    big = np.stack([ref_upsample(ref_upsample(c, *(2 * np.array(c.shape))), h + 8, w + 8)
                    for c in small])[:, :h, :w]
    big *= amp / big.std()
    return big.astype(F32)


@pytest.mark.parametrize("radius", [4, 6, 8])
def test_denoise_chroma_removes_blotches_and_keeps_edges(radius):
    h, w = 96, 128
    _, y = step_image(h, w, 0.3, 0.7, noise=0.01, seed=7)
    # A chroma step where the luma steps too, and an isoluminant one at column 96.
    cb_clean = np.where(np.arange(w) < w // 2, -0.1, 0.1) * np.ones((h, 1))
    cr_clean = np.where(np.arange(w) < 96, 0.0, 0.5) * np.ones((h, 1))
    noise = blotchy_chroma(h, w, seed=8, amp=0.03)
    cb = (cb_clean + noise[0]).astype(F32)
    cr = (cr_clean + noise[1]).astype(F32)
    cb_o, cr_o = chroma(y, cb, cr, 1.0, radius)
    flat = (slice(8, -8), slice(8, 56))
    for got, noisy, clean in ((cb_o, cb, cb_clean), (cr_o, cr, cr_clean)):
        assert (got - clean)[flat].std() <= (noisy - clean)[flat].std() / 2
    assert edge_width(cb_o[:, 32:80]) <= edge_width(cb[:, 32:80]) + 1
    assert edge_width(cr_o[:, 72:120]) <= edge_width(cr[:, 72:120]) + 1


@pytest.mark.parametrize("radius", [2, 4, 6, 8])
def test_denoise_chroma_keeps_edges_at_every_grid_phase(radius):
    """An isoluminant chroma step stays sharp wherever it falls on the fit grid (2 or 4 px):
    a coarse fit must not smear it when it lies between or on block boundaries."""
    h, w = 64, 96
    for off in range(4):
        col = 48 + off
        y = (0.5 + 0.01 * np.random.default_rng(off).standard_normal((h, w))).astype(F32)
        cr_clean = np.where(np.arange(w) < col, 0.0, 0.5) * np.ones((h, 1))
        noise = blotchy_chroma(h, w, seed=20 + off, amp=0.03)
        cb = noise[0].astype(F32)
        cr = (cr_clean + noise[1]).astype(F32)
        _, cr_o = chroma(y, cb, cr, 1.0, radius)
        near = (slice(None), slice(col - 24, col + 24))
        assert edge_width(cr_o[near]) <= edge_width(cr[near]) + 1, off


def test_denoise_chroma_strength_zero_is_identity():
    rgb = np.random.default_rng(9).random((18, 27, 3), dtype=F32)
    y, cb, cr = to_ycc(rgb)
    cb_o, cr_o = chroma(y, cb, cr, 0.0, 3)
    np.testing.assert_array_equal(cb_o, cb)
    np.testing.assert_array_equal(cr_o, cr)


# ----------------------------------------------------------------------------- sharpening

def test_sharpen_overshoot_is_bounded_by_limit():
    w = 64
    edge = np.where(np.arange(w) < w // 2, 0.3, 0.7)
    y = np.ascontiguousarray(ref_gaussian_blur(np.tile(edge, (24, 1)), 1.5), F32)
    zeros = np.zeros_like(y)
    limit = 0.04
    out = finish(y, zeros, zeros, F32, True, 2.0, 3.0, 0.0, limit)[..., 1]
    assert out.max() > y.max() + limit * 0.9  # it does sharpen, up to the limit
    assert out.max() <= y.max() + limit + 1e-5
    assert out.min() >= y.min() - limit - 1e-5
    assert np.abs(out - y).max() <= limit + 1e-5


def test_sharpen_threshold_leaves_small_noise_alone():
    rng = np.random.default_rng(11)
    y = (0.5 + rng.uniform(-0.004, 0.004, (32, 40))).astype(F32)
    zeros = np.zeros_like(y)
    kept = finish(y, zeros, zeros, F32, True, 1.0, 2.0, 0.01, 0.5)[..., 0]
    np.testing.assert_allclose(kept, y, atol=1e-6)
    amplified = finish(y, zeros, zeros, F32, True, 1.0, 2.0, 0.0, 0.5)[..., 0]
    assert (amplified - 0.5).std() > 1.5 * (y - 0.5).std()


# ----------------------------------------------------------------------------- shapes / NaN

@pytest.mark.parametrize("shape", [(16, 16), (17, 23), (31, 16), (16, 45)])
def test_odd_shapes_fill_every_pixel_without_nan(shape):
    rng = np.random.default_rng(sum(shape))
    rgb = rng.uniform(-0.1, 1.2, shape + (3,)).astype(F32)
    y, cb, cr = to_ycc(rgb)
    for radius in (1, 8):
        y2 = luma(y, 0.8, radius)
        cb2, cr2 = chroma(y, cb, cr, 0.8, radius)
        assert np.isfinite(y2).all() and np.isfinite(cb2).all() and np.isfinite(cr2).all()
        want_cb, _ = ref_guided_chroma(y, cb, cr, 0.8, radius)
        np.testing.assert_allclose(cb2, want_cb, atol=1e-4)
        np.testing.assert_allclose(y2, ref_guided_luma(y, 0.8, radius), atol=3e-5)
    out = finish(y, cb, cr, F32, True, 4.0, 1.0, 0.0, 0.2, 1.0, 0.0)
    assert np.isfinite(out).all()
    want = ref_finish(y, cb, cr, True, 4.0, 1.0, 0.0, 0.2, 1.0, 0.0, F32)
    np.testing.assert_allclose(out, want, atol=2e-5)


@pytest.mark.parametrize("shape", [(1, 1), (1, 2), (2, 1), (2, 2), (3, 5), (2, 7), (5, 2)])
def test_tiny_planes_match_references(shape):
    """Edge handling of the strips, the half-resolution fit and the upsampling on planes
    smaller than the filter windows."""
    rgb = np.random.default_rng(sum(shape)).uniform(0, 1, shape + (3,)).astype(F32)
    y, cb, cr = to_ycc(rgb)
    for radius in (1, 2, 4, 8):
        cb2, cr2 = chroma(y, cb, cr, 0.8, radius)
        want_cb, want_cr = ref_guided_chroma(y, cb, cr, 0.8, radius)
        np.testing.assert_allclose(cb2, want_cb, atol=1e-5)
        np.testing.assert_allclose(cr2, want_cr, atol=1e-5)
        np.testing.assert_allclose(luma(y, 0.8, radius), ref_guided_luma(y, 0.8, radius),
                                   atol=1e-5)
    out = finish(y, cb, cr, F32, True, 2.0, 1.0, 0.0, 0.2, 1.0, 0.0)
    np.testing.assert_allclose(out, ref_finish(y, cb, cr, True, 2.0, 1.0, 0.0, 0.2, 1.0, 0.0,
                                               F32), atol=2e-5)


@pytest.mark.parametrize("sigma", [0.3, 1.0, 1.4, 2.0, 4.0])
def test_sharpen_matches_reference_for_every_tap_grouping(sigma):
    """Taps are summed three per pass; half-widths 1..12 cover full and partial groups."""
    rng = np.random.default_rng(int(sigma * 10))
    rgb = np.clip(0.5 + 0.3 * rng.standard_normal((27, 41, 3)), 0, 1).astype(F32)
    y, cb, cr = to_ycc(rgb)
    args = (True, sigma, 1.2, 0.005, 0.2, 1.0, 0.0)
    np.testing.assert_allclose(finish(y, cb, cr, F32, *args), ref_finish(y, cb, cr, *args, F32),
                               atol=2e-5)


def test_flat_image_has_no_nan():
    y = np.full((20, 20), 0.5, F32)
    zeros = np.zeros_like(y)
    assert np.isfinite(luma(y, 1.0, 3)).all()
    cb_o, cr_o = chroma(y, zeros, zeros, 1.0, 3)
    assert np.isfinite(cb_o).all() and np.abs(cb_o).max() < 1e-6
