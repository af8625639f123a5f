"""The render path's own kernels: camera RGB -> noise-reduction encoding, and the streaming finish.

References are plain numpy (float64) compositions of the documented steps, sharing the
tone/colour/sharpen references of test_detail_kernels.
"""
from __future__ import annotations

import numpy as np
import pytest

import test_plane_kernels as ref
from app.isp.kernels.encode import encode_for_nr
from app.isp.kernels.finish import finish

F32 = np.float32


def encode(rgb, matrix):
    h, w = rgb.shape[:2]
    y, cb, cr = (np.full((h, w), np.nan, F32) for _ in range(3))
    encode_for_nr(np.ascontiguousarray(rgb, F32), np.asarray(matrix, F32), y, cb, cr)
    return y, cb, cr


def ref_encode(rgb, matrix):
    lin = rgb.astype(np.float64) @ np.asarray(matrix, np.float64).T  # a NaN sample blacks its pixel
    return ref.ref_rgb_to_ycc(np.sqrt(np.clip(np.nan_to_num(lin, nan=0.0), 0.0, 1.0)))


def run_finish(y, cb, cr, lut, dtype=np.uint8, sharpen_on=False, sigma=1.0, strength=0.0,
               threshold=0.0, limit=1.0, saturation=1.0, hue=0.0):
    out = np.zeros(y.shape + (3,), dtype)
    finish(y, cb, cr, np.asarray(lut, F32), sharpen_on, F32(sigma), F32(strength),
           F32(threshold), F32(limit), F32(saturation), F32(hue), out)
    return out


def ref_finish(y, cb, cr, lut, dtype, sharpen_on=False, sigma=1.0, strength=0.0,
               threshold=0.0, limit=1.0, saturation=1.0, hue=0.0):
    encoded = np.clip(ref.ref_ycc_to_rgb(y, cb, cr), 0.0, 1.0)
    toned = ref.ref_tone(encoded, np.asarray(lut, F32))
    ty, tcb, tcr = ref.ref_rgb_to_ycc(toned)
    return ref.ref_finish(ty, tcb, tcr, sharpen_on, sigma, strength, threshold, limit,
                          saturation, hue, dtype)


def test_encode_matches_reference_including_clips_and_nan():
    rng = np.random.default_rng(1)
    rgb = rng.uniform(-0.3, 1.4, (23, 31, 3)).astype(F32)
    rgb[3, 4, 1] = np.nan
    matrix = [[1.6, -0.4, -0.2], [-0.3, 1.5, -0.2], [0.0, -0.5, 1.5]]
    got = encode(rgb, matrix)
    for g, w in zip(got, ref_encode(rgb, matrix)):
        np.testing.assert_allclose(g, w, atol=2e-6)
        assert np.isfinite(g).all()


def test_encode_then_identity_finish_is_the_square_root_of_linear():
    # The LUT maps encoded values: sampled at linear x = e**2, the identity-in-linear
    # transfer (lut = x) undoes the square root.
    rng = np.random.default_rng(2)
    rgb = rng.uniform(0.0, 1.0, (17, 19, 3)).astype(F32)
    y, cb, cr = encode(rgb, np.eye(3))
    e = np.linspace(0.0, 1.0, 1024)
    out = run_finish(y, cb, cr, (e * e).astype(F32), F32)
    np.testing.assert_allclose(out, rgb, atol=2e-4)


@pytest.mark.parametrize("shape", [(1, 1), (2, 7), (29, 37), (64, 5)])
@pytest.mark.parametrize("sigma", [0.4, 1.0, 2.3, 5.3])
def test_finish_matches_reference_with_everything_on(shape, sigma):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    rgb = np.clip(0.5 + 0.3 * rng.standard_normal(shape + (3,)), 0, 1).astype(F32)
    y, cb, cr = encode(rgb, np.eye(3))
    lut = np.clip(np.linspace(0, 1, 1024) ** 0.8 * 1.05 - 0.02, 0, 1).astype(F32)
    args = dict(sharpen_on=True, sigma=sigma, strength=1.5, threshold=0.02, limit=0.15,
                saturation=1.4, hue=-35.0)
    for dtype, tol in ((np.uint8, 1), (np.uint16, 2), (F32, 3e-5)):
        got = run_finish(y, cb, cr, lut, dtype, **args)
        want = ref_finish(y, cb, cr, lut, dtype, **args)
        assert np.abs(got.astype(np.float64) - want).max() <= tol, (dtype, shape, sigma)


def test_finish_without_sharpening_matches_reference():
    rng = np.random.default_rng(9)
    rgb = rng.uniform(0, 1, (40, 50, 3)).astype(F32)
    y, cb, cr = encode(rgb, np.eye(3))
    lut = np.linspace(0, 1, 256, dtype=F32) ** 0.5
    got = run_finish(y, cb, cr, lut, F32, saturation=0.5, hue=20.0)
    want = ref_finish(y, cb, cr, lut, F32, saturation=0.5, hue=20.0)
    np.testing.assert_allclose(got, want, atol=3e-5)


def test_bgrx_display_copy_of_a_strided_crop():
    from app.isp.kernels.colour import to_bgrx
    rgb = np.random.default_rng(3).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    crop = rgb[5:25, 7:33]
    out = np.zeros(crop.shape[:2] + (4,), np.uint8)
    to_bgrx(crop, out)
    np.testing.assert_array_equal(out[..., 2::-1], crop)
    assert (out[..., 3] == 255).all()
