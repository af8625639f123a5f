"""Camera RGB -> the noise-reduction encoding: colour matrix, clip, square root, Y'CbCr.

Noise reduction runs before the tone curve, on Y'CbCr of square-root-encoded linear sRGB.
The square root roughly equalises shot noise across brightness (Anscombe's transform), so
one edge-stop suits shadows and highlights alike, and the encoding does not depend on the
tone curve: a tone edit re-runs only the finishing kernel, never the filters. The matrix
(colour correction with the exposure gain folded in) is applied here so linear RGB is never
written out on the render path (the "linear" tap computes it on request).

Decoding (finish.py) squares the encoded R'G'B' implicitly: the tone LUT is sampled on a
uniform grid of encoded values, i.e. at linear x = (i/(N-1))**2 (finish.tone_lut_inputs).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from app.isp.kernels.planes import chroma_code, luma_code
from app.isp.kernels.rows import _JIT, _PJIT
from app.isp.kernels.ycc import _KB, _KG, _KR, _TO_CB, _TO_CR

_F = np.float32
_ZERO = _F(0.0)
_ONE = _F(1.0)


@njit(**_JIT)
def encode_row(src, matrix, yr, cbr, crr):
    """One row: src (3*W float32, interleaved camera RGB) -> yr, cbr, crr (planes.py types)."""
    m00, m01, m02 = matrix[0, 0], matrix[0, 1], matrix[0, 2]
    m10, m11, m12 = matrix[1, 0], matrix[1, 1], matrix[1, 2]
    m20, m21, m22 = matrix[2, 0], matrix[2, 1], matrix[2, 2]
    for x in range(yr.shape[0]):
        r = src[3 * x]
        g = src[3 * x + 1]
        b = src[3 * x + 2]
        o0 = m00 * r + m01 * g + m02 * b
        o1 = m10 * r + m11 * g + m12 * b
        o2 = m20 * r + m21 * g + m22 * b
        # Compare-and-select: NaN fails "> 0" and becomes 0.
        o0 = np.sqrt(min(o0 if o0 > _ZERO else _ZERO, _ONE))
        o1 = np.sqrt(min(o1 if o1 > _ZERO else _ZERO, _ONE))
        o2 = np.sqrt(min(o2 if o2 > _ZERO else _ZERO, _ONE))
        yy = _KR * o0 + _KG * o1 + _KB * o2
        yr[x] = luma_code(yr, yy)
        cbr[x] = chroma_code(cbr, (o2 - yy) * _TO_CB)
        crr[x] = chroma_code(crr, (o0 - yy) * _TO_CR)


@njit(**_PJIT)
def encode_for_nr(rgb, matrix, y, cb, cr):
    """y, cb, cr (HxW float32, or uint16 codes: planes.py) = Y'CbCr of
    sqrt(clip(matrix @ rgb, 0, 1)) per pixel.

    rgb: HxWx3 float32 camera RGB (C-contiguous). matrix: float32 3x3. Values are clipped to
    [0, 1] before encoding (the tone LUT reads that range only); NaN lands on 0.
    """
    h, w = y.shape
    if rgb.shape[0] != h or rgb.shape[1] != w or rgb.shape[2] != 3:
        raise ValueError("encode_for_nr: rgb must be HxWx3 with the planes' H and W")
    if cb.shape != y.shape or cr.shape != y.shape:
        raise ValueError("encode_for_nr: y, cb and cr must have the same shape")
    flat = rgb.reshape(h, 3 * w)
    for row in prange(h):
        encode_row(flat[row], matrix, y[row], cb[row], cr[row])
