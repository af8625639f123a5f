"""Linear-RGB kernels: the 3x3 colour matrix with exposure gain and highlight clipping, fused."""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True, fastmath=True)
def apply_matrix(rgb, matrix, clip, out):
    """out = matrix @ rgb per pixel (matrix float32 3x3, exposure gain folded in).

    Clipping to [0, 1] happens here, after the gain, when `clip`; otherwise only negatives
    (out-of-gamut colours) are kept as they are for analysis.
    """
    h, w = rgb.shape[0], rgb.shape[1]
    m00, m01, m02 = matrix[0, 0], matrix[0, 1], matrix[0, 2]
    m10, m11, m12 = matrix[1, 0], matrix[1, 1], matrix[1, 2]
    m20, m21, m22 = matrix[2, 0], matrix[2, 1], matrix[2, 2]
    lo = np.float32(0.0)
    hi = np.float32(1.0)
    for y in prange(h):
        src = rgb[y]
        dst = out[y]
        for x in range(w):
            r = src[x, 0]
            g = src[x, 1]
            b = src[x, 2]
            o0 = m00 * r + m01 * g + m02 * b
            o1 = m10 * r + m11 * g + m12 * b
            o2 = m20 * r + m21 * g + m22 * b
            if clip:
                o0 = min(max(o0, lo), hi)
                o1 = min(max(o1, lo), hi)
                o2 = min(max(o2, lo), hi)
            dst[x, 0] = o0
            dst[x, 1] = o1
            dst[x, 2] = o2


@njit(cache=True, nogil=True, parallel=True)
def to_bgrx(rgb, out):
    """8-bit RGB (H, W, 3, any strides) -> (H, W, 4) B, G, R, 255: Qt's native RGB32 layout."""
    for y in prange(rgb.shape[0]):
        src = rgb[y]
        dst = out[y]
        for x in range(rgb.shape[1]):
            dst[x, 0] = src[x, 2]
            dst[x, 1] = src[x, 1]
            dst[x, 2] = src[x, 0]
            dst[x, 3] = 255
