"""Unsharp mask of one luma row: separable Gaussian blur, soft threshold, strength and limit."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from app.isp.kernels.rows import _JIT, _ONE, _ZERO, _pad_edges

MAX_SHARPEN_TAPS = 16  # Gaussian half-width cap: sigma up to ~5.3 px


@njit(**_JIT)
def _gaussian_taps(sigma):
    """Normalised half kernel w[0..k] (w[0] centre), k = ceil(3 sigma) capped."""
    sigma = max(sigma, 0.05)
    k = min(max(int(math.ceil(3.0 * sigma)), 1), MAX_SHARPEN_TAPS)
    taps = np.empty(k + 1, np.float32)
    total = 0.0
    for j in range(k + 1):
        v = math.exp(-0.5 * (j / sigma) ** 2)
        taps[j] = v
        total += v if j == 0 else 2.0 * v
    for j in range(k + 1):
        taps[j] = taps[j] / total
    return taps


@njit(**_JIT)
def _tap(taps, j):
    """Weight of tap j, 0 beyond the kernel's half-width (padding taps up to a group of 3)."""
    return taps[j] if j < taps.shape[0] else _ZERO


@njit(**_JIT)
def _sharpen_row(y, row, taps, strength, threshold, limit, vrow, brow, ydst):
    """Unsharp mask of one luma row into ydst.

    blur = separable Gaussian (replicated borders); d = Y - blur; the soft threshold
    d - clamp(d, -t, t) leaves small (noise) detail alone without a step at |d| = t; the
    result is scaled by strength and clamped to +-limit to stop halos.
    Taps are summed three at a time per pass over the row (taps beyond the half-width get
    weight 0 and read the centre sample) and the last horizontal pass applies the mask, so
    sigma <= 1 costs one vertical and one horizontal pass.
    """
    h, w = y.shape
    k = taps.shape[0] - 1
    yr = y[row]
    vin = vrow[k:]
    w0 = taps[0]
    for j in range(1, k + 1, 3):
        u1 = y[max(row - j, 0)]
        d1 = y[min(row + j, h - 1)]
        u2 = y[max(row - j - 1, 0)] if j + 1 <= k else yr
        d2 = y[min(row + j + 1, h - 1)] if j + 1 <= k else yr
        u3 = y[max(row - j - 2, 0)] if j + 2 <= k else yr
        d3 = y[min(row + j + 2, h - 1)] if j + 2 <= k else yr
        w1 = taps[j]
        w2 = _tap(taps, j + 1)
        w3 = _tap(taps, j + 2)
        if j == 1:
            for x in range(w):
                vin[x] = (w0 * yr[x] + w1 * (u1[x] + d1[x])) + (w2 * (u2[x] + d2[x])
                                                                  + w3 * (u3[x] + d3[x]))
        else:
            for x in range(w):
                vin[x] += w1 * (u1[x] + d1[x]) + (w2 * (u2[x] + d2[x]) + w3 * (u3[x] + d3[x]))
    _pad_edges(vrow, k, w)
    neg_t = -threshold
    neg_l = -limit
    for j in range(1, k + 1, 3):
        l1 = vrow[k - j:]
        r1 = vrow[k + j:]
        l2 = vrow[k - j - 1:] if j + 1 <= k else vin
        r2 = vrow[k + j + 1:] if j + 1 <= k else vin
        l3 = vrow[k - j - 2:] if j + 2 <= k else vin
        r3 = vrow[k + j + 2:] if j + 2 <= k else vin
        w1 = taps[j]
        w2 = _tap(taps, j + 1)
        w3 = _tap(taps, j + 2)
        if j + 3 <= k:  # more taps to come: accumulate the blur
            if j == 1:
                for x in range(w):
                    brow[x] = (w0 * vin[x] + w1 * (l1[x] + r1[x])) + (w2 * (l2[x] + r2[x])
                                                                       + w3 * (l3[x] + r3[x]))
            else:
                for x in range(w):
                    brow[x] += (w1 * (l1[x] + r1[x])
                                + (w2 * (l2[x] + r2[x]) + w3 * (l3[x] + r3[x])))
            continue
        # Last group: finish the blur and apply the unsharp mask in the same pass.
        base = vin if j == 1 else brow
        w_base = w0 if j == 1 else _ONE
        for x in range(w):
            blur = (w_base * base[x] + w1 * (l1[x] + r1[x])) + (w2 * (l2[x] + r2[x])
                                                                 + w3 * (l3[x] + r3[x]))
            d = yr[x] - blur
            d = d - min(max(d, neg_t), threshold)
            d = min(max(d * strength, neg_l), limit)
            ydst[x] = yr[x] + d
