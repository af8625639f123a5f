"""16-bit storage of the Y'CbCr planes (kernels/planes.py): the codes, and every plane kernel
giving the same picture from uint16 planes as from float32 ones."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from app import analysis
from app.isp.kernels import denoise_chroma, denoise_luma, finish, planes, ycc
from app.isp.kernels.encode import encode_for_nr

F32 = np.float32
Y_STEP = 1 / planes.Y_CODES
C_STEP = 1 / planes.C_CODES
finite = st.floats(-2.0, 2.0, allow_nan=False, width=32)


@given(arrays(np.uint16, 64))
def test_every_code_decodes_and_encodes_back_exactly(codes):
    for chroma in (False, True):
        values = planes.decode(codes, chroma)
        assert values.dtype == np.float32
        back = planes.encode(values, chroma)
        if chroma:  # code 65535 lies past +1/2 and clamps to the top code
            codes = np.minimum(codes, 65534)
        np.testing.assert_array_equal(back, codes)


@given(arrays(np.float32, 64, elements=finite))
def test_values_round_to_the_nearest_code_within_range(values):
    y = planes.decode(planes.encode(values, False), False)
    np.testing.assert_allclose(y, np.clip(values, 0, 1), atol=Y_STEP / 2 + 1e-7)
    c = planes.decode(planes.encode(values, True), True)
    np.testing.assert_allclose(c, np.clip(values, -0.5, 0.5), atol=C_STEP / 2 + 1e-7)


def test_neutral_chroma_and_the_range_ends_are_exact():
    c = planes.encode(np.array([-0.5, 0.0, 0.5]), True)
    assert list(c) == [0, 32767, 65534]
    assert list(planes.decode(c, True)) == [-0.5, 0.0, 0.5]
    assert list(planes.decode(planes.encode(np.array([0.0, 1.0]), False), False)) == [0.0, 1.0]


def test_planes_of_another_type_are_refused_by_name():
    import pytest
    with pytest.raises(TypeError, match="float64"):
        planes.decode(np.zeros(3), False)


# ----------------------------------------------------------------------- kernels on both types
def _scene(h=96, w=130, seed=4):
    """Linear RGB with edges, a colour ramp and noise: encoded both ways."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(F32)
    rgb = np.stack([0.2 + 0.6 * (xx > w / 2), 0.1 + 0.5 * yy / h, 0.3 + 0.2 * np.sin(xx / 5)], -1)
    rgb = np.clip(rgb + rng.normal(0, 0.03, rgb.shape), 0, 1).astype(F32)
    float_planes = tuple(np.empty((h, w), F32) for _ in range(3))
    code_planes = planes.empty_planes((h, w))
    encode_for_nr(rgb, np.eye(3, dtype=F32), *float_planes)
    encode_for_nr(rgb, np.eye(3, dtype=F32), *code_planes)
    return float_planes, code_planes


def test_encode_writes_the_codes_of_its_float_output():
    (y, cb, cr), (y16, cb16, cr16) = _scene()
    for got, want, chroma in ((y16, y, False), (cb16, cb, True), (cr16, cr, True)):
        assert np.abs(got.astype(int) - planes.encode(want, chroma).astype(int)).max() <= 1


def test_noise_reduction_from_codes_matches_the_float_filters():
    (y, cb, cr), (y16, cb16, cr16) = _scene()
    out, out16 = np.empty_like(y), np.empty_like(y16)
    denoise_luma.denoise_luma(y, F32(0.6), 2, out)
    denoise_luma.denoise_luma(y16, F32(0.6), 2, out16)
    assert np.abs(planes.decode(out16, False) - out).max() < 1.5 * Y_STEP
    assert np.abs(out - y).max() > 100 * Y_STEP  # it did filter
    for radius in (2, 4):
        cbo, cro = np.empty_like(cb), np.empty_like(cr)
        cbo16, cro16 = np.empty_like(cb16), np.empty_like(cr16)
        denoise_chroma.denoise_chroma(y, cb, cr, F32(0.8), radius, cbo, cro)
        denoise_chroma.denoise_chroma(y16, cb16, cr16, F32(0.8), radius, cbo16, cro16)
        assert np.abs(planes.decode(cbo16, True) - cbo).max() < 1.5 * C_STEP
        assert np.abs(planes.decode(cro16, True) - cro).max() < 1.5 * C_STEP
        assert np.abs(cbo - cb).max() > 100 * C_STEP


def test_finish_and_display_from_codes_match_the_float_planes():
    (y, cb, cr), code_planes = _scene()
    lut = np.sqrt(np.linspace(0, 1, 1024)).astype(F32)  # x^(1/4) overall: steep shadows
    outs = []
    for p in ((y, cb, cr), code_planes):
        out = np.empty(y.shape + (3,), np.uint16)
        finish.finish(*p, lut, True, F32(1.0), F32(0.8), F32(0.002), F32(0.1), F32(1.2), F32(5.0),
                      out)
        shown = np.empty(y.shape + (3,), np.uint8)
        ycc.ycc_to_rgb(*p, shown)
        outs.append((out.astype(int), shown.astype(int)))
    (a, sa), (b, sb) = outs
    assert np.abs(a - b).max() <= 4  # 16-bit codes (measured 2): a sixtieth of an 8-bit step
    assert np.abs(sa - sb).max() <= 1


def test_pixel_readout_of_stored_planes_is_in_values():
    y = planes.encode(np.full((2, 2), 0.25), False)
    c = planes.encode(np.full((2, 2), -0.125), True)
    got = analysis.image_sample((y, c, c), (0, 0, 2, 2), 0.5, 0.5)
    np.testing.assert_allclose(got, (0.25, -0.125, -0.125), atol=1e-4)


@settings(max_examples=25, deadline=None)
@given(arrays(np.float32, (5, 7, 3), elements=st.floats(-0.5, 1.5, width=32)))
def test_encoded_codes_stay_in_range_for_any_input(rgb):
    y, cb, cr = planes.empty_planes((5, 7))
    encode_for_nr(rgb, np.eye(3, dtype=F32), y, cb, cr)
    assert cb.max() <= 65534 and cr.max() <= 65534
    back = np.stack(planes.decode_planes((y, cb, cr)), -1)
    want = np.stack(ycc_reference(np.sqrt(np.clip(rgb, 0, 1))), -1)
    np.testing.assert_allclose(back, want, atol=2e-5)


def ycc_reference(rgb):
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return y, (b - y) / 1.8556, (r - y) / 1.5748
