"""Mosaic-domain kernels: black level, defective pixels, lens shading and white balance in one pass.

The four mosaic stages are fused into one read of the uint16 sensor data and one float32 write:
they are cheap per pixel and memory-bound, so separate passes would cost 3x the time for nothing.
Per-stage constants arrive per CFA tile position p = 2 * (row & 1) + (col & 1).

Both kernels read absolute positions from the full mosaic, so a crop (ROI) sees real
neighbours for defect detection and the same shading gains as the full frame.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, inline="always")
def _mirror(i, n):
    """Index two samples away reflected into [0, n), keeping the CFA parity."""
    if i < 0:
        return i + 4 if i + 4 < n else 0
    if i >= n:
        return i - 4 if i - 4 >= 0 else n - 1
    return i


@njit(cache=True, nogil=True, inline="always")
def _lsc_axis(pos, size, cells):
    """Cell index and weight of `pos` for a grid sampled at cell centres (clamped at the ends)."""
    f = (pos + 0.5) * cells / size - 0.5
    if f <= 0.0:
        return 0, 0.0
    if f >= cells - 1:
        return cells - 2, 1.0
    i = int(f)
    return i, f - i


@njit(cache=True, nogil=True, inline="always")
def _axis_tables(start, n, size, cells):
    """Per-index cell and weight along one axis for positions start..start+n-1."""
    idx = np.zeros(n, np.int64)
    frac = np.zeros(n, np.float32)
    if cells >= 2:
        for i in range(n):
            c, f = _lsc_axis(start + i, size, cells)
            idx[i] = c
            frac[i] = f
    return idx, frac


@njit(cache=True, nogil=True, inline="always")
def _mx(a, b):
    return a if a > b else b  # Python's max() blocks vectorisation in numba


@njit(cache=True, nogil=True, inline="always")
def _mn(a, b):
    return a if a < b else b


@njit(cache=True, nogil=True, inline="always")
def _dpc(v, r0, rm, rp, ax, axm, axp, t, strength):
    """Defect test against the 8 same-colour neighbours; branch-free so rows vectorise.

    The order statistics are taken on the integer samples (twice the lanes of float32 and
    four conversions instead of nine); the test and the correction are in float32.
    """
    n0 = rm[ax]
    n1 = rp[ax]
    n2 = r0[axm]
    n3 = r0[axp]
    d0 = rm[axm]
    d1 = rm[axp]
    d2 = rp[axm]
    d3 = rp[axp]
    hi = np.float32(_mx(_mx(_mx(n0, n1), _mx(n2, n3)), _mx(_mx(d0, d1), _mx(d2, d3))))
    lo = np.float32(_mn(_mn(_mn(n0, n1), _mn(n2, n3)), _mn(_mn(d0, d1), _mn(d2, d3))))
    # Median of the four axial neighbours: the mean of the middle two (summed in 32 bits).
    median = np.float32(0.5) * np.float32(np.uint32(_mx(_mn(n0, n1), _mn(n2, n3)))
                                          + np.uint32(_mn(_mx(n0, n1), _mx(n2, n3))))
    bad = (v > hi + t) | (v < lo - t)
    return v + strength * (median - v) if bad else v


@njit(cache=True, nogil=True, parallel=True, fastmath=True, error_model="numpy")
def correction_tables(full_h, full_w, y0, x0, h, w, black, scale, dpc_threshold, lsc,
                      lsc_strength):
    """Per-column constants of `correct_row` for the window raw[y0:y0+h, x0:x0+w].

    Returns (col_black, col_thr, m_base, m_step, i_lo, lsc_rows): black level and defect
    threshold per row parity and column, so the inner loops index plain arrays; and the
    multiplier scale * shading gain per row parity, shading-grid row and column (the gain
    interpolated along x), stored as grid row i and the step to row i + 1, so that a row's
    multipliers are one fma away. Only the grid rows the window touches are tabulated, from
    i_lo on (banded renders call this once per band); lsc_rows: the grid's rows, 0 for none.
    """
    gh, gw = lsc.shape[1], lsc.shape[2]
    use_lsc = gh >= 2 and gw >= 2
    ix, fx = _axis_tables(x0, w, full_w, gw)
    col_black = np.empty((2, w), np.float32)
    col_thr = np.empty((2, w), np.float32)
    for par in range(2):
        for x in range(w):
            p = 2 * par + ((x0 + x) & 1)
            col_black[par, x] = black[p]
            col_thr[par, x] = dpc_threshold[p]
    i_lo = 0
    n_i = 1
    if use_lsc:
        i_lo = _lsc_axis(y0, full_h, gh)[0]
        n_i = _lsc_axis(y0 + h - 1, full_h, gh)[0] - i_lo + 1
    m_base = np.empty((2, n_i, w), np.float32)
    m_step = np.zeros((2, n_i, w), np.float32)
    one = np.float32(1.0)
    for k in prange(2 * n_i):
        par, i = k // n_i, i_lo + k % n_i
        for x in range(w):
            p = 2 * par + ((x0 + x) & 1)
            if use_lsc:
                c, f = ix[x], fx[x]
                g0 = lsc[p, i, c] + (lsc[p, i, c + 1] - lsc[p, i, c]) * f
                g1 = lsc[p, i + 1, c] + (lsc[p, i + 1, c + 1] - lsc[p, i + 1, c]) * f
                g0 = one + lsc_strength * (g0 - one)
                g1 = one + lsc_strength * (g1 - one)
                m_base[par, k % n_i, x] = scale[p] * g0
                m_step[par, k % n_i, x] = scale[p] * (g1 - g0)
            else:
                m_base[par, k % n_i, x] = scale[p]
    return col_black, col_thr, m_base, m_step, i_lo, gh if use_lsc else 0


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def correct_row(raw, ay, x0, orow, tables, dpc_on, dpc_strength, clip_white):
    """Row ay of raw (absolute), columns x0 .. x0 + len(orow) - 1, corrected into orow.

    tables: correction_tables(...) of a window containing the row.
    """
    col_black, col_thr, m_base, m_step, i_lo, lsc_rows = tables
    w = orow.shape[0]
    full_h, full_w = raw.shape
    par = ay & 1
    r0 = raw[ay]
    rm = raw[_mirror(ay - 2, full_h)]
    rp = raw[_mirror(ay + 2, full_h)]
    bl = col_black[par]
    th = col_thr[par]
    iy, fy = 0, np.float32(0.0)
    if lsc_rows >= 2:
        iy, fy64 = _lsc_axis(ay, full_h, lsc_rows)
        fy = np.float32(fy64)
    mb = m_base[par, iy - i_lo]
    ms = m_step[par, iy - i_lo]
    top = np.float32(1.0) if clip_white else np.float32(3.0e38)
    strength = np.float32(dpc_strength)
    ux0 = np.uintp(x0)
    if not dpc_on:
        for x in range(np.uintp(w)):
            orow[x] = _mn((np.float32(r0[ux0 + x]) - bl[x]) * (mb[x] + ms[x] * fy), top)
        return
    # Columns whose +-2 neighbours fall outside the frame take the mirrored path.
    inner0 = min(max(2 - x0, 0), w)
    inner1 = max(min(full_w - 2 - x0, w), inner0)
    # Unsigned indices: no negative-index wraparound, so the loads vectorise.
    two = np.uintp(2)
    for x in range(np.uintp(inner0), np.uintp(inner1)):
        ax = ux0 + x
        v = _dpc(np.float32(r0[ax]), r0, rm, rp, ax, ax - two, ax + two, th[x], strength)
        orow[x] = _mn((v - bl[x]) * (mb[x] + ms[x] * fy), top)
    for k in range(inner0 + w - inner1):  # the edge columns only
        x = k if k < inner0 else inner1 + k - inner0
        ax = x0 + x
        v = _dpc(np.float32(r0[ax]), r0, rm, rp, ax, _mirror(ax - 2, full_w),
                 _mirror(ax + 2, full_w), th[x], strength)
        orow[x] = min((v - bl[x]) * (mb[x] + ms[x] * fy), top)


@njit(cache=True, nogil=True, parallel=True, fastmath=True, error_model="numpy")
def correct_mosaic(raw, y0, x0, out, black, scale, dpc_on, dpc_threshold, dpc_strength,
                   lsc, lsc_strength, clip_white):
    """Fill `out` (h x w float32) from raw[y0:y0+h, x0:x0+w].

    black, scale, dpc_threshold: float32[4] per tile position (scale = WB gain / (white - black),
    threshold in DN). lsc: float32[4, gh, gw] gains per tile position, or shape (4, 0, 0) for none.
    Values are clipped to 1.0 (full scale after gains) when `clip_white`, as fixed-point ISPs do.
    """
    h, w = out.shape
    full_h, full_w = raw.shape
    tables = correction_tables(full_h, full_w, y0, x0, h, w, black, scale, dpc_threshold, lsc,
                               lsc_strength)
    for y in prange(h):
        correct_row(raw, y0 + y, x0, out[y], tables, dpc_on, dpc_strength, clip_white)


# Row strips per bin_preview call: a few per core so the threads end together. Frozen into the
# on-disk cache at compile time, so it follows the machine's core count, not NUMBA_NUM_THREADS.
_BIN_STRIPS = 4 * max(1, int(numba.config.NUMBA_DEFAULT_NUM_THREADS))


@njit(cache=True, nogil=True, parallel=True, fastmath=True, error_model="numpy")
def bin_tables(raw, oh, ow, scale, colour_of, lsc, lsc_strength):
    """The constants of `bin_row` for an oh x ow preview of raw (see bin_preview).

    Output column ox averages tiles [tx0[ox], tx1[ox]). With ow <= tw the ranges partition the
    row; with ow > tw they are single tiles, some shared by equal neighbours. Either way each
    tile belongs to pixels with one range, so per-tile multipliers are well defined.
    """
    full_h, full_w = raw.shape
    th, tw = full_h // 2, full_w // 2
    if th < 1 or tw < 1:
        raise ValueError("bin_preview needs at least one whole 2x2 tile")
    gh, gw = lsc.shape[1], lsc.shape[2]
    use_lsc = gh >= 2 and gw >= 2
    tx0 = np.empty(ow, np.uintp)
    tx1 = np.empty(ow, np.uintp)
    kmax = 1
    for ox in range(ow):
        tx0[ox] = ox * tw // ow
        tx1[ox] = max((ox + 1) * tw // ow, ox * tw // ow + 1)
        kmax = max(kmax, np.int64(tx1[ox] - tx0[ox]))
    # Horizontal weights: a pixel's mean sits at its first tile t as sum_k acc[t + k] * seg[k, t],
    # seg = 1/width inside the pixel and 0 past it.
    seg = np.zeros((kmax, tw), np.float32)
    for ox in range(ow):
        width = tx1[ox] - tx0[ox]
        for k in range(width):
            seg[k, tx0[ox]] = np.float32(1.0) / np.float32(width)
    # Multiplier scale * shading gain per position, shading grid row and tile column (the gain
    # interpolated along x at the column's output-pixel centre), stored as row i and the step to
    # row i + 1 so that any output row's multipliers are one fma away.
    n_rows = gh - 1 if use_lsc else 1
    ix = np.zeros(ow, np.int64)
    fx = np.zeros(ow, np.float32)
    if use_lsc:
        for ox in range(ow):
            c, f = _lsc_axis(np.float64(tx0[ox] + tx1[ox]) - 0.5, full_w, gw)
            ix[ox] = c
            fx[ox] = f
    m_base = np.empty((4, n_rows, tw), np.float32)
    m_step = np.empty((4, n_rows, tw), np.float32)
    one = np.float32(1.0)
    for k in prange(4 * n_rows):
        p, i = k // n_rows, k % n_rows
        for ox in range(ow):
            m0 = scale[p]
            m1 = scale[p]
            if use_lsc:
                c, f = ix[ox], fx[ox]
                g0 = lsc[p, i, c] + (lsc[p, i, c + 1] - lsc[p, i, c]) * f
                g1 = lsc[p, i + 1, c] + (lsc[p, i + 1, c + 1] - lsc[p, i + 1, c]) * f
                m0 = scale[p] * (one + lsc_strength * (g0 - one))
                m1 = scale[p] * (one + lsc_strength * (g1 - one))
            for t in range(tx0[ox], tx1[ox]):
                m_base[p, i, t] = m0
                m_step[p, i, t] = m1 - m0
    inv_n = np.zeros(3, np.float32)  # 1 / positions per colour
    for p in range(4):
        inv_n[colour_of[p]] += 1.0
    for c in range(3):
        inv_n[c] = one / inv_n[c] if inv_n[c] > 0 else np.float32(0.0)
    return tx0, tx1, kmax, seg, m_base, m_step, inv_n, gh if use_lsc else 0


@njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def bin_row(raw, oy, oh, orow, tables, black, colour_of, clip_white, acc, mean):
    """Preview row oy (of oh) into orow (ow x 3 float32). tables: bin_tables(...); acc
    (3 x tw+kmax) and mean (3 x tw): scratch rows.

    A vertical pass sums clipped samples per colour and tile column (contiguous rows,
    per-column multipliers scale * gain), a vectorised pass turns those into each pixel's
    mean at its first tile, and a gather writes the pixels.
    """
    tx0, tx1, kmax, seg, m_base, m_step, inv_n, lsc_rows = tables
    full_h, full_w = raw.shape
    th, tw = full_h // 2, full_w // 2
    ow = orow.shape[0]
    utw = np.uintp(tw)
    top = np.float32(1.0) if clip_white else np.float32(3.0e38)
    ty0 = oy * th // oh
    ty1 = max((oy + 1) * th // oh, ty0 + 1)
    iy, fy = 0, np.float32(0.0)
    if lsc_rows >= 2:
        iy, fy64 = _lsc_axis(np.float64(ty0 + ty1) - 0.5, full_h, lsc_rows)
        fy = np.float32(fy64)
    for c in range(3):
        a = acc[c]
        for t in range(utw):
            a[t] = 0.0
    # Vertical pass: per raw row, its two positions' clipped samples into their colours.
    for ty in range(ty0, ty1):
        for par in range(2):
            src = raw[2 * ty + par]
            pa, pb = 2 * par, 2 * par + 1
            da, db = acc[colour_of[pa]], acc[colour_of[pb]]
            ma, sa = m_base[pa, iy], m_step[pa, iy]
            mb, sb = m_base[pb, iy], m_step[pb, iy]
            ba, bb = black[pa], black[pb]
            for t in range(utw):
                da[t] += _mn((np.float32(src[2 * t]) - ba) * (ma[t] + sa[t] * fy), top)
                db[t] += _mn((np.float32(src[2 * t + 1]) - bb) * (mb[t] + sb[t] * fy), top)
    # Horizontal pass: each pixel's mean at its first tile (colour and row counts folded in).
    for c in range(3):
        kc = inv_n[c] / np.float32(ty1 - ty0)
        a, d, s0 = acc[c], mean[c], seg[0]
        if kmax >= 2:
            a1, s1 = acc[c, 1:], seg[1]
            for t in range(utw):
                d[t] = (a[t] * s0[t] + a1[t] * s1[t]) * kc
        else:
            for t in range(utw):
                d[t] = a[t] * s0[t] * kc
        for k in range(2, kmax):
            ak, sk = acc[c, k:], seg[k]
            for t in range(utw):
                d[t] += ak[t] * sk[t] * kc
    mr, mg, mb_ = mean[0], mean[1], mean[2]
    for ox in range(ow):
        t = tx0[ox]
        orow[ox, 0] = mr[t]
        orow[ox, 1] = mg[t]
        orow[ox, 2] = mb_[t]


@njit(cache=True, nogil=True, parallel=True, fastmath=True, error_model="numpy")
def bin_preview(raw, out, black, scale, colour_of, lsc, lsc_strength, clip_white):
    """Fitted camera-RGB preview straight from the mosaic: average whole 2x2 tiles per output pixel.

    out: (oh, ow, 3) float32, normally oh <= H/2 and ow <= W/2. Output pixel (oy, ox) averages
    tiles ty in [oy*th//oh, max((oy+1)*th//oh, ty0+1)) and likewise in x (th, tw = H//2, W//2).
    colour_of: int32[4] colour (0 R, 1 G, 2 B) per tile position p = 2*(row&1) + (col&1); a
    colour at several positions (G) is averaged over them. Each sample is normalised,
    white-balanced, shaded and clipped on its own, as in correct_mosaic:
    min((raw - black[p]) * scale[p] * gain[p], 1.0 if clip_white), where gain[p] is the shading
    grid lsc[p] (shape (4, 0, 0) for none) at the output pixel's centre, blended by lsc_strength.
    Replaces defect correction and demosaic on the preview path: binning averages isolated
    defects away.

    The preview redraws on every edit, so the work is laid out for SIMD and one read of the
    mosaic (bin_row). Scratch rows are allocated once per call, per strip of output rows.
    """
    oh, ow = out.shape[0], out.shape[1]
    tables = bin_tables(raw, oh, ow, scale, colour_of, lsc, lsc_strength)
    tw = raw.shape[1] // 2
    kmax = tables[2]
    n_strips = min(oh, _BIN_STRIPS)
    acc_all = np.zeros((n_strips, 3, tw + kmax), np.float32)  # padded for acc[t + k]
    mean_all = np.empty((n_strips, 3, tw), np.float32)
    for s in prange(n_strips):
        for oy in range(s * oh // n_strips, (s + 1) * oh // n_strips):
            bin_row(raw, oy, oh, out[oy], tables, black, colour_of, clip_white, acc_all[s],
                    mean_all[s])
