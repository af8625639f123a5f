"""Luma noise reduction: a guided filter with the luma as its own guide, at full resolution.

Edge-preserving: local structure whose standard deviation is well below the edge-stop is
averaged away, edges and texture well above it are kept. Streams over row strips with the
shared box-filter rows (rows.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from app.isp.kernels.planes import luma_code, luma_decoding
from app.isp.kernels.rows import (_F, _HALF, _JIT, _MIN_EDGE_STOP, _NSTRIPS, _PJIT, _ZERO,
                                  MAX_RADIUS, _box_rows, _clamp, _pad_edges, _running_update)

# Edge-stop scale: at strength 1, local structure whose standard deviation (in encoded code
# values, 1.0 = white) is well below this is smoothed, well above it is kept.
LUMA_EDGE_STOP = 0.1


@njit(**_JIT)
def _centred_decoding(plane):
    """(scale, offset) giving the plane's Y' - 1/2 (planes.py: float32 or uint16 codes)."""
    sc, off = luma_decoding(plane)
    return sc, off - _HALF


@njit(**_JIT)
def _luma_model(m_i, m_ii, n, inv, eps, ra, rb):
    """Per-pixel model a = var/(var+eps), b = m*(1-a) from the box sums of I and I^2."""
    for x in range(n):
        m = m_i[x] * inv
        var = m_ii[x] * inv - m * m
        var = var if var > _ZERO else _ZERO
        a = var / (var + eps)
        ra[x] = a
        rb[x] = m - a * m


@njit(**_JIT)
def _box5_views(s, r, zero):
    """Five views whose sum at x is the (2r+1)-box of padded s at x, for r = 1 or 2."""
    if r == 2:
        return s, s[1:], s[2:], s[3:], s[4:]
    return s, s[1:], s[2:], zero, zero


@njit(**_JIT)
def _luma_model_fused(s_i, s_ii, r, n, inv, eps, zero, ra, rb):
    """_luma_model with the row box sums (radius 1 or 2) of the padded column sums inline."""
    i0, i1, i2, i3, i4 = _box5_views(s_i, r, zero)
    q0, q1, q2, q3, q4 = _box5_views(s_ii, r, zero)
    for x in range(n):
        m = (((i0[x] + i1[x]) + (i2[x] + i3[x])) + i4[x]) * inv
        var = (((q0[x] + q1[x]) + (q2[x] + q3[x])) + q4[x]) * inv - m * m
        var = var if var > _ZERO else _ZERO
        a = var / (var + eps)
        ra[x] = a
        rb[x] = m - a * m


@njit(**_JIT)
def _luma_apply_fused(s_a, s_b, r, n, inv, zero, src, dst):
    """q = mean(a)*I + mean(b) with the row box sums (radius 1 or 2) inline."""
    sc, off = _centred_decoding(src)
    a0, a1, a2, a3, a4 = _box5_views(s_a, r, zero)
    b0, b1, b2, b3, b4 = _box5_views(s_b, r, zero)
    for x in range(n):
        sa = ((a0[x] + a1[x]) + (a2[x] + a3[x])) + a4[x]
        sb = ((b0[x] + b1[x]) + (b2[x] + b3[x])) + b4[x]
        dst[x] = luma_code(dst, (sa * (_F(src[x]) * sc + off) + sb) * inv + _HALF)


@njit(**_JIT)
def _luma_strip(img, out, y0, y1, r, eps, ring_a, ring_b, cs, hb, t0, t1, zero):
    """Guided filter (guide = input) for output rows [y0, y1).

    Stage 1 keeps running column sums of I and I^2 and turns each row of box means into the
    per-pixel linear model q = a*I + b with a = var/(var+eps); stage 2 keeps running column
    sums of a and b over a ring of 2r+2 rows and applies their box means to I. img and out
    are float32 or uint16 planes (planes.py), decoded as read and encoded as written. Rows and
    columns outside the image replicate the border. I is centred on 0.5 for the sums so the
    float32 running sums stay small. For radius <= 2 the row box sums are fused into the
    loops that use them (zero: a row of zeros standing in for the taps of a 3-wide box).
    """
    h, w = img.shape
    sc, off = _centred_decoding(img)
    length = 2 * r + 1
    nring = 2 * r + 2
    inv = _F(1.0 / (length * length))
    s_i = cs[0][r:]
    s_ii = cs[1][r:]
    s_a = cs[2][r:]
    s_b = cs[3][r:]
    m_i = hb[0]
    m_ii = hb[1]
    ja = max(y0 - r, 0)
    next_ab = ja
    for x in range(w):
        s_i[x] = _ZERO
        s_ii[x] = _ZERO
    for k in range(-r, r + 1):
        src = img[_clamp(ja + k, 0, h - 1)]
        for x in range(w):
            v = _F(src[x]) * sc + off
            s_i[x] += v
            s_ii[x] += v * v
    for row in range(y0, y1):
        top = min(row + r, h - 1)
        while next_ab <= top:
            j = next_ab
            if j > ja:
                add = img[min(j + r, h - 1)]
                sub = img[max(j - 1 - r, 0)]
                for x in range(w):
                    a_ = _F(add[x]) * sc + off
                    b_ = _F(sub[x]) * sc + off
                    s_i[x] += a_ - b_
                    s_ii[x] += a_ * a_ - b_ * b_
            slot = j % nring
            if r <= 2:
                _pad_edges(cs[0], r, w)
                _pad_edges(cs[1], r, w)
                _luma_model_fused(cs[0], cs[1], r, w, inv, eps, zero, ring_a[slot],
                                  ring_b[slot])
            else:
                _box_rows(cs, 2, r, w, hb, t0, t1)
                _luma_model(m_i, m_ii, w, inv, eps, ring_a[slot], ring_b[slot])
            next_ab += 1
        if row == y0:
            for x in range(w):
                s_a[x] = _ZERO
                s_b[x] = _ZERO
            for k in range(-r, r + 1):
                slot = _clamp(row + k, 0, h - 1) % nring
                ra = ring_a[slot]
                rb = ring_b[slot]
                for x in range(w):
                    s_a[x] += ra[x]
                    s_b[x] += rb[x]
        else:
            slot_add = min(row + r, h - 1) % nring
            slot_sub = max(row - 1 - r, 0) % nring
            _running_update(s_a, ring_a[slot_add], ring_a[slot_sub], w)
            _running_update(s_b, ring_b[slot_add], ring_b[slot_sub], w)
        if r <= 2:
            _pad_edges(cs[2], r, w)
            _pad_edges(cs[3], r, w)
            _luma_apply_fused(cs[2], cs[3], r, w, inv, zero, img[row], out[row])
        else:
            _box_rows(cs[2:], 2, r, w, hb, t0, t1)
            src = img[row]
            dst = out[row]
            for x in range(w):
                dst[x] = luma_code(dst, (m_i[x] * (_F(src[x]) * sc + off) + m_ii[x]) * inv + _HALF)


@njit(**_PJIT)
def denoise_luma(y, strength, radius, out):
    """Edge-preserving luma noise reduction: a guided filter with the luma as its own guide.

    strength in [0, 1]: edge-stop sigma_e = LUMA_EDGE_STOP * strength (eps = sigma_e^2).
    Local structure whose standard deviation is well below sigma_e is averaged away,
    structure well above it (edges, texture) is kept; 0 copies the input.
    radius in 1..8: box radius in pixels (clamped); the two cascaded boxes reach 2*radius.
    """
    h, w = y.shape
    if out.shape != y.shape:
        raise ValueError("denoise_luma: out must have the shape of y")
    if strength <= 0.0:
        for row in prange(h):
            out[row, :] = y[row, :]
        return
    r = min(max(radius, 1), MAX_RADIUS)
    sig = max(LUMA_EDGE_STOP * min(strength, 1.0), _MIN_EDGE_STOP)
    eps = _F(sig * sig)
    nstrips = min(2 * _NSTRIPS, h)
    nring = 2 * r + 2
    ring_a = np.empty((nstrips, nring, w), np.float32)
    ring_b = np.empty((nstrips, nring, w), np.float32)
    cs = np.empty((nstrips, 4, w + 2 * r), np.float32)
    hb = np.empty((nstrips, 2, w), np.float32)
    tmp = np.empty((nstrips, 2, w + 2 * r), np.float32)
    zero = np.zeros(w + 2 * r, np.float32)
    for s in prange(nstrips):
        _luma_strip(y, out, s * h // nstrips, (s + 1) * h // nstrips, r, eps,
                    ring_a[s], ring_b[s], cs[s], hb[s], tmp[s, 0], tmp[s, 1], zero)
