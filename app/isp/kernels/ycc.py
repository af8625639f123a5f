"""Y'CbCr planes: BT.709 constants, quantised R'G'B' rows, saturation/hue, display conversion.

Y'CbCr with BT.709 coefficients, full range, Cb/Cr centred on 0, computed on encoded R'G'B'
(the noise-reduction encoding before the tone curve, display values after it).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, types
from numba.core.errors import TypingError
from numba.extending import overload

from app.isp.kernels.planes import chroma_decoding, luma_decoding
from app.isp.kernels.rows import _HALF, _JIT, _NSTRIPS, _ONE, _PJIT, _ZERO

_F = np.float32

# BT.709 luma weights and the Cb/Cr scale factors (full range, chroma centred on 0).
_KR = _F(0.2126)
_KB = _F(0.0722)
_KG = _F(1.0 - 0.2126 - 0.0722)
_TO_CB = _F(1.0 / (2.0 * (1.0 - 0.0722)))  # Cb = (B' - Y') / 1.8556
_TO_CR = _F(1.0 / (2.0 * (1.0 - 0.2126)))  # Cr = (R' - Y') / 1.5748
_R_FROM_CR = 2.0 * (1.0 - 0.2126)
_B_FROM_CB = 2.0 * (1.0 - 0.0722)
_G_FROM_CB = -0.0722 * 2.0 * (1.0 - 0.0722) / (1.0 - 0.2126 - 0.0722)
_G_FROM_CR = -0.2126 * 2.0 * (1.0 - 0.2126) / (1.0 - 0.2126 - 0.0722)


def _quant_params(out):  # pragma: no cover - typing stub, implemented by the overload below
    raise NotImplementedError


@overload(_quant_params)
def _quant_params_impl(out):
    """(scale, rounding offset) for the output dtype, resolved at compile time."""
    dt = out.dtype
    if dt == types.uint8:
        return lambda out: (_F(255.0), _HALF)
    if dt == types.uint16:
        return lambda out: (_F(65535.0), _HALF)
    if dt == types.float32:
        return lambda out: (_ONE, _ZERO)
    raise TypingError("output must be uint8, uint16 or float32, got %s" % dt)


@njit(**_JIT)
def _store_rgb(yr, cbr, crr, coef, orow, w, scale, offset):
    """Y'CbCr row -> R'G'B' row, clamped to [0, 1], scaled, rounded and interleaved.

    coef = (r_cb, r_cr, g_cb, g_cr, b_cb, b_cr): the chroma-to-RGB matrix with saturation and
    hue already folded in, so the colour adjustment costs nothing extra here. Writing the
    row as one flat run of 3*w values lets LLVM vectorise the interleaving store.
    """
    r_cb = coef[0]
    r_cr = coef[1]
    g_cb = coef[2]
    g_cr = coef[3]
    b_cb = coef[4]
    b_cr = coef[5]
    flat = orow.reshape(3 * w)
    sy, oy = luma_decoding(yr)
    sc, oc = chroma_decoding(cbr)
    for x in range(w):
        yy = _F(yr[x]) * sy + oy
        c_b = _F(cbr[x]) * sc + oc
        c_r = _F(crr[x]) * sc + oc
        r_ = min(max(yy + r_cb * c_b + r_cr * c_r, _ZERO), _ONE)
        g_ = min(max(yy + g_cb * c_b + g_cr * c_r, _ZERO), _ONE)
        b_ = min(max(yy + b_cb * c_b + b_cr * c_r, _ZERO), _ONE)
        flat[3 * x] = r_ * scale + offset
        flat[3 * x + 1] = g_ * scale + offset
        flat[3 * x + 2] = b_ * scale + offset


@njit(**_JIT)
def _chroma_matrix(saturation, hue_degrees):
    """Chroma -> R'G'B' offsets after scaling (Cb, Cr) by saturation and rotating it by hue.

    The rotation is counter-clockwise in the (Cb, Cr) plane:
    Cb' = s*(Cb*cos h - Cr*sin h), Cr' = s*(Cb*sin h + Cr*cos h).
    """
    th = math.radians(hue_degrees)
    c = saturation * math.cos(th)
    s = saturation * math.sin(th)
    coef = np.empty(6, np.float32)
    # R' = Y' + R_FROM_CR*Cr'; B' = Y' + B_FROM_CB*Cb'; G' = Y' + G_FROM_CB*Cb' + G_FROM_CR*Cr'
    coef[0] = _R_FROM_CR * s
    coef[1] = _R_FROM_CR * c
    coef[2] = _G_FROM_CB * c + _G_FROM_CR * s
    coef[3] = -_G_FROM_CB * s + _G_FROM_CR * c
    coef[4] = _B_FROM_CB * c
    coef[5] = -_B_FROM_CB * s
    return coef


@njit(**_JIT)
def _check_planes(y, cb, cr, out):
    """Shapes are checked because an out-of-bounds write in a kernel corrupts memory."""
    h, w = y.shape
    if cb.shape != y.shape or cr.shape != y.shape:
        raise ValueError("y, cb and cr must have the same shape")
    if out.shape[0] != h or out.shape[1] != w or out.shape[2] != 3:
        raise ValueError("out must be HxWx3 with the planes' H and W")


@njit(**_PJIT)
def ycc_to_rgb(y, cb, cr, out):
    """Plain Y'CbCr -> R'G'B' into out (HxWx3 uint8/uint16/float32), for intermediate views."""
    h, w = y.shape
    _check_planes(y, cb, cr, out)
    scale, offset = _quant_params(out)
    coef = _chroma_matrix(1.0, 0.0)
    nstrips = min(2 * _NSTRIPS, h)
    for s in prange(nstrips):
        for row in range(s * h // nstrips, (s + 1) * h // nstrips):
            _store_rgb(y[row], cb[row], cr[row], coef, out[row], w, scale, offset)
