"""Demosaic kernels: Bayer mosaic (float32 HxW) -> camera RGB (float32 HxWx3).

Methods
    bilinear  3x3 bilinear interpolation of each colour plane.
    mhc       Malvar, He & Cutler (ICASSP 2004): bilinear plus a gradient correction from the
              pixel's own channel; fixed 5x5 linear filters.
    rcd       The high-quality method: RCD followed by Menon's colour-difference refinement.
              1. Ratio Corrected Demosaicing v2.3 (Luis Sanz Rodriguez; as in RawTherapee and
              darktable `rcd_demosaic`): V/H discrimination, low-pass filter, ratio-corrected
              green, R/B at B/R along P/Q diagonals, R/B at G along V/H. Differences from
              RawTherapee: no clipping of input or output, the low-pass filter is floored
              at 0 inside the ratio (keeps it bounded on negative noise; a no-op for data
              in [0, 1]), and the whole frame incl. borders is RCD on mirrored data instead
              of a bilinear 9-pixel border.
              2. The refining step of Menon, Andriani & Calvagno, "Demosaicing with
              directional filtering and a posteriori decision" (IEEE TIP 16(1), 2007), in its
              order: (a) G at R/B sites re-estimated from the colour difference (own chroma -
              G) averaged over 3 pixels along the row and along the column; (b) R/B at G
              sites re-estimated from the refined colour differences; (c) B at R / R at B
              from the difference R - B averaged the same way. Two choices differ from the
              paper (and from colour-demosaicing's `refining_step_Menon2007`): the direction
              is RCD's refined V/H discrimination used as a continuous weight (the paper
              picks H or V from its own a posteriori decision), and step (b) is RCD's own
              step 4.3 rerun on the refined green instead of the paper's bilinear
              colour-difference average (0.2-0.3 dB worse than RCD's directional estimate
              on the test images). Native samples are kept. Measured (CPSNR, 10 px border out,
              clipped, mean of scikit-image's astronaut/chelsea/coffee/rocket through RGGB):
              sRGB-encoded 35.72 -> 36.82 dB (Menon2007 with refinement: 35.94), linear light
              36.30 -> 36.92 dB (Menon2007: 35.69); no image loses more than 0.12 dB
              (rocket in linear light). Costs ~30% over plain RCD; `_rcd_tiled(..., refine=False)`
              is plain RCD (kept for comparisons, not offered as a method).
    none      `mosaic_to_rgb`: each pixel's value in its own channel, the others 0.

Conventions shared by every kernel
    * `mosaic` float32 HxW, black-subtracted, normalised and white-balanced. Values are never
      clipped here (highlights above 1 and noise below 0 pass through).
    * `channels` int32 2x2: the colour (0 R, 1 G, 2 B) at each CFA tile position, as produced
      by `app.capture.cfa_channels`. Any of the four Bayer phases.
    * `out` float32 HxWx3, C-contiguous (rows are stored flattened), preallocated by the
      caller; every pixel is written.
    * Borders are whole-sample mirrored (index -k -> k, H-1+k -> H-1-k), which keeps the CFA
      phase, so edge pixels are interpolated like interior ones. H, W >= 8, odd or even.
    * All arithmetic is float32 (constants are float32 so numba never widens to float64).

Performance notes (numba 0.68 / LLVM; these forms are what makes the loops vectorise)
    * The CFA phase is resolved per row; the colour channel indices are constants in each of
      two specialised copies of the row loop.
    * The interior of a row is one contiguous, branch-free loop that evaluates the formulas of
      both site kinds and selects by column parity; strided (every other pixel) loops do not
      vectorise. Only mirrored border columns take the per-pixel reflecting path.
    * Column indices in hot loops are unsigned (np.uintp): numba then emits no negative-index
      wraparound, which would otherwise turn every load into a gather.
    * RGB triplets are stored through the flattened output row at fixed offsets 3x+c.
    * RCD uses error_model="numpy" (no zero-division branch; all its denominators are >= eps)
      and separately allocated scratch planes, so LLVM can prove loads and stores disjoint.
      A plane may be reused by a later step, but never read and written in the same loop.
    * Values needed at several later steps (the refined V/H discrimination) are computed once
      into a plane rather than re-derived from their neighbours in every loop.
"""
from __future__ import annotations

import numpy as np
from numba import config as _numba_config
from numba import get_num_threads, njit, prange

METHODS = ("bilinear", "mhc", "rcd")
_ALL_METHODS = METHODS + ("none",)

_f32 = np.float32
_0 = _f32(0.0)
_EPS = _f32(1e-5)      # RCD: tolerance against division by zero
_EPSSQ = _f32(1e-10)   # RCD: floor of the directional statistics
_Q = _f32(0.25)
_H = _f32(0.5)
_1 = _f32(1.0)
_1_5 = _f32(1.5)
_2 = _f32(2.0)
_3 = _f32(3.0)
_4 = _f32(4.0)
_5 = _f32(5.0)
_6 = _f32(6.0)
_8TH = _f32(0.125)
_16TH = _f32(0.0625)
_3RD = _f32(1.0 / 3.0)
# Unsigned index arithmetic (see _rcd_tile): offsets as uintp so no expression widens.
_U = np.uintp
_u0 = np.uintp(0)
_u1 = np.uintp(1)
_u2 = np.uintp(2)
_u3 = np.uintp(3)
_u4 = np.uintp(4)
_u5 = np.uintp(5)

# RCD tiling: valid output rows/cols per tile (even, so tile origins keep the CFA phase) and
# the margin each tile reads around them. The deepest dependency chain of plain RCD is 10
# pixels: R/B@G <- R/B@B/R (3) <- green (2) <- V/H discrimination (1) <- 7-tap high-pass (4);
# the refinement adds 4: refined R/B@B/R <- refined R/B@G (1) <- refined green (2; step 4.3
# also reads R/B@B/R at +-3) <- R/B@G (1). So RCD's step 4.3 runs at a margin of 4 and every
# earlier step at its plain-RCD margin + 4: 14 in all.
RCD_TILE_H = 96
RCD_TILE_W = 480
_RCD_MARGIN = 14
# Default number of RCD work items (each with its own scratch planes) when the caller passes
# none: numba's maximum thread count, frozen into the cached machine code at compile time
# (`numba.get_num_threads()` inside a kernel would make it uncacheable). Any value gives the
# same result; it only sets how many threads can share the work. The dispatcher passes the
# current `numba.get_num_threads()` instead.
_RCD_WORKERS = max(1, int(_numba_config.NUMBA_NUM_THREADS))


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _mirror(i, n):
    """Whole-sample symmetric reflection of index `i` into [0, n) (period 2n-2, keeps parity)."""
    if 0 <= i < n:
        return i
    p = 2 * n - 2
    i = i % p
    if i >= n:
        i = p - i
    return i


@njit(cache=True, nogil=True)
def _cfa_rows(channels):
    """(cr0, nx0, cr1, nx1): for rows of parity 0 and 1, the colour (0 or 2) of the row's
    non-green sites and the column parity of those sites. Raises on a non-Bayer tile."""
    if channels.shape[0] != 2 or channels.shape[1] != 2:
        raise ValueError("channels must be a 2x2 CFA tile")
    g00 = channels[0, 0] == 1
    g01 = channels[0, 1] == 1
    g10 = channels[1, 0] == 1
    g11 = channels[1, 1] == 1
    if g00 == g01 or g10 == g11 or g00 == g10:
        raise ValueError("channels is not a Bayer tile (each row needs one G, on a diagonal)")
    if g00:
        nx0 = 1
        cr0 = channels[0, 1]
    else:
        nx0 = 0
        cr0 = channels[0, 0]
    if g10:
        nx1 = 1
        cr1 = channels[1, 1]
    else:
        nx1 = 0
        cr1 = channels[1, 0]
    if not ((cr0 == 0 and cr1 == 2) or (cr0 == 2 and cr1 == 0)):
        raise ValueError("channels is not a Bayer tile (needs one R and one B site)")
    return cr0, nx0, cr1, nx1


@njit(cache=True, nogil=True)
def _check(mosaic, out):
    h, w = mosaic.shape
    if h < 8 or w < 8:
        raise ValueError("demosaic needs a mosaic of at least 8x8 pixels")
    if out.shape[0] != h or out.shape[1] != w or out.shape[2] != 3:
        raise ValueError("out must have shape (H, W, 3) matching the mosaic")


# --------------------------------------------------------------------------------------------
# demosaic off
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _none_row(row, of, w, ce, cd):
    """One row of mosaic_to_rgb; ce / cd (constants at the call site) are the colours at even
    and odd columns."""
    for q in range(_U(w // 2)):
        x = _u2 * q
        k = _u3 * x
        ve = row[x]
        vo = row[x + _u1]
        of[k] = ve if ce == _u0 else _0
        of[k + _u1] = ve if ce == _u1 else _0
        of[k + _u2] = ve if ce == _u2 else _0
        of[k + _u3] = vo if cd == _u0 else _0
        of[k + _u4] = vo if cd == _u1 else _0
        of[k + _u5] = vo if cd == _u2 else _0
    if w & 1:
        x = _U(w - 1)
        k = _u3 * x
        of[k] = row[x] if ce == _u0 else _0
        of[k + _u1] = row[x] if ce == _u1 else _0
        of[k + _u2] = row[x] if ce == _u2 else _0


@njit(cache=True, nogil=True, parallel=True)
def mosaic_to_rgb(mosaic, channels, out):
    """No interpolation: each pixel's value in its own channel, the other two 0."""
    _check(mosaic, out)
    _cfa_rows(channels)
    h, w = mosaic.shape
    for y in prange(h):
        p = y & 1
        ce = channels[p, 0]  # colour at even columns
        cd = channels[p, 1]  # colour at odd columns
        row = mosaic[y]
        of = out[y].reshape(-1)
        if ce == 0:
            _none_row(row, of, w, _u0, _u1)
        elif ce == 2:
            _none_row(row, of, w, _u2, _u1)
        elif cd == 0:
            _none_row(row, of, w, _u1, _u0)
        else:
            _none_row(row, of, w, _u1, _u2)
    return out


# --------------------------------------------------------------------------------------------
# bilinear
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _bil_ng(rm, r0, rp, x, xl, xr):
    """Non-green site: (own chroma, G from the 4 cardinal, other chroma from the 4 diagonal)."""
    return (r0[x],
            _Q * ((rm[x] + rp[x]) + (r0[xl] + r0[xr])),
            _Q * ((rm[xl] + rm[xr]) + (rp[xl] + rp[xr])))


@njit(cache=True, nogil=True, inline="always")
def _bil_g(rm, r0, rp, x, xl, xr):
    """Green site: (row chroma from left/right, G, column chroma from up/down)."""
    return _H * (r0[xl] + r0[xr]), r0[x], _H * (rm[x] + rp[x])


@njit(cache=True, nogil=True, inline="always")
def _bil_row(rm, r0, rp, o, w, nx, cr, co):
    # border columns 0 and w-1, mirrored neighbours
    for x in (0, w - 1):
        xl = _mirror(x - 1, w)
        xr = _mirror(x + 1, w)
        if (x & 1) == nx:
            vr, vg, vc = _bil_ng(rm, r0, rp, x, xl, xr)
        else:
            vr, vg, vc = _bil_g(rm, r0, rp, x, xl, xr)
        o[x, cr] = vr
        o[x, 1] = vg
        o[x, co] = vc
    # interior x in [1, w-2]: both formulas, selected by column parity, stored through the
    # flat row (fixed-offset interleaved stores): this form vectorises
    of = o.reshape(-1)
    ngpar = _U(nx)
    for x in range(_u1, _U(w - 1)):
        ar, ag, ac = _bil_ng(rm, r0, rp, x, x - _u1, x + _u1)
        br, bg, bc = _bil_g(rm, r0, rp, x, x - _u1, x + _u1)
        isng = (x & _u1) == ngpar
        k = _u3 * x
        of[k + cr] = ar if isng else br
        of[k + _u1] = ag if isng else bg
        of[k + co] = ac if isng else bc


@njit(cache=True, nogil=True, parallel=True)
def demosaic_bilinear(mosaic, channels, out):
    """Bilinear demosaic (3x3): the same filters as colour-demosaicing's
    `demosaicing_CFA_Bayer_bilinear`, with mirrored instead of reflected borders."""
    _check(mosaic, out)
    cr0, nx0, cr1, nx1 = _cfa_rows(channels)
    h, w = mosaic.shape
    for y in prange(h):
        if y & 1:
            cr, nx = cr1, nx1
        else:
            cr, nx = cr0, nx0
        rm = mosaic[_mirror(y - 1, h)]
        r0 = mosaic[y]
        rp = mosaic[_mirror(y + 1, h)]
        o = out[y]
        if cr == 0:  # literal channel indices in each branch
            _bil_row(rm, r0, rp, o, w, nx, _u0, _u2)
        else:
            _bil_row(rm, r0, rp, o, w, nx, _u2, _u0)
    return out


# --------------------------------------------------------------------------------------------
# Malvar-He-Cutler
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _mhc_ng(r2m, r1m, r0, r1p, r2p, x, xl2, xl1, xr1, xr2):
    """Non-green site: (own chroma, G, other chroma)."""
    c = r0[x]
    far = (r2m[x] + r2p[x]) + (r0[xl2] + r0[xr2])
    cross = (r1m[x] + r1p[x]) + (r0[xl1] + r0[xr1])
    diag = (r1m[xl1] + r1m[xr1]) + (r1p[xl1] + r1p[xr1])
    # G at R/B: [0 0 -1 0 0; 0 0 2 0 0; -1 2 4 2 -1; ...] / 8
    # B at R / R at B: [0 0 -3/2 0 0; 0 2 0 2 0; -3/2 0 6 0 -3/2; ...] / 8
    return c, _8TH * (_4 * c + _2 * cross - far), _8TH * (_6 * c + _2 * diag - _1_5 * far)


@njit(cache=True, nogil=True, inline="always")
def _mhc_g(r2m, r1m, r0, r1p, r2p, x, xl2, xl1, xr1, xr2):
    """Green site: (row chroma, G, column chroma)."""
    c = r0[x]
    diag = (r1m[xl1] + r1m[xr1]) + (r1p[xl1] + r1p[xr1])
    hfar = r0[xl2] + r0[xr2]
    vfar = r2m[x] + r2p[x]
    base = _5 * c - diag
    # row chroma from left/right: [0 0 1/2 0 0; 0 -1 0 -1 0; -1 4 5 4 -1; ...] / 8
    # column chroma from up/down: the transpose
    return (_8TH * (base + _4 * (r0[xl1] + r0[xr1]) - hfar + _H * vfar),
            c,
            _8TH * (base + _4 * (r1m[x] + r1p[x]) - vfar + _H * hfar))


@njit(cache=True, nogil=True, inline="always")
def _mhc_row(r2m, r1m, r0, r1p, r2p, o, w, nx, cr, co):
    # border columns 0, 1, w-2, w-1, mirrored neighbours
    for x in (0, 1, w - 2, w - 1):
        xl2 = _mirror(x - 2, w)
        xl1 = _mirror(x - 1, w)
        xr1 = _mirror(x + 1, w)
        xr2 = _mirror(x + 2, w)
        if (x & 1) == nx:
            vr, vg, vc = _mhc_ng(r2m, r1m, r0, r1p, r2p, x, xl2, xl1, xr1, xr2)
        else:
            vr, vg, vc = _mhc_g(r2m, r1m, r0, r1p, r2p, x, xl2, xl1, xr1, xr2)
        o[x, cr] = vr
        o[x, 1] = vg
        o[x, co] = vc
    # interior x in [2, w-3]: both formulas, selected by column parity, stored through the
    # flat row (fixed-offset interleaved stores): this form vectorises
    of = o.reshape(-1)
    ngpar = _U(nx)
    for x in range(_u2, _U(w - 2)):
        ar, ag, ac = _mhc_ng(r2m, r1m, r0, r1p, r2p, x, x - _u2, x - _u1, x + _u1, x + _u2)
        br, bg, bc = _mhc_g(r2m, r1m, r0, r1p, r2p, x, x - _u2, x - _u1, x + _u1, x + _u2)
        isng = (x & _u1) == ngpar
        k = _u3 * x
        of[k + cr] = ar if isng else br
        of[k + _u1] = ag if isng else bg
        of[k + co] = ac if isng else bc


@njit(cache=True, nogil=True, parallel=True)
def demosaic_mhc(mosaic, channels, out):
    """Malvar-He-Cutler 2004 gradient-corrected linear demosaic (5x5 filters), as
    colour-demosaicing's `demosaicing_CFA_Bayer_Malvar2004` but with mirrored borders."""
    _check(mosaic, out)
    cr0, nx0, cr1, nx1 = _cfa_rows(channels)
    h, w = mosaic.shape
    for y in prange(h):
        if y & 1:
            cr, nx = cr1, nx1
        else:
            cr, nx = cr0, nx0
        r2m = mosaic[_mirror(y - 2, h)]
        r1m = mosaic[_mirror(y - 1, h)]
        r0 = mosaic[y]
        r1p = mosaic[_mirror(y + 1, h)]
        r2p = mosaic[_mirror(y + 2, h)]
        o = out[y]
        if cr == 0:
            _mhc_row(r2m, r1m, r0, r1p, r2p, o, w, nx, _u0, _u2)
        else:
            _mhc_row(r2m, r1m, r0, r1p, r2p, o, w, nx, _u2, _u0)
    return out


# --------------------------------------------------------------------------------------------
# RCD with Menon's refining step
# --------------------------------------------------------------------------------------------
# Per-tile planes, in local coordinates (local parity == global parity because tile origins and
# the margin are even). Each plane is its own allocation: LLVM only vectorises the stencil loops
# when loads and stores provably come from different objects. Plane reuse, in step order:
#   cfa  the tile and its margin
#   vh   V/H discrimination; then "xr", the row chroma (R/B of the row's non-green sites) at
#        the green sites from RCD step 4.3; then the same after the refinement
#   vd   refined V/H discrimination (the weight of the horizontal estimate, everywhere)
#   t1   squared vertical high-pass, then squared P-diagonal high-pass, then "oc": the opposite
#        chroma (B at R, R at B) at the non-green sites
#   t2   low-pass filter, then squared Q-diagonal high-pass, then "xc", the column chroma at
#        the green sites (step 4.3); then the same after the refinement
#   g    green (all sites)
#   pq   P/Q discrimination; then "g2", the refined green


@njit(cache=True, nogil=True, inline="always")
def _fmax(a, b):
    """max for floats as a plain select (Python's max is NaN-aware and blocks vectorising)."""
    return a if a > b else b


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _disc(dm, d0, dp, j):
    """Refined directional discrimination at column j of row d0: the centre value, or the mean
    of its four diagonal neighbours when that mean is further from 0.5 (more decided)."""
    c = d0[j]
    n = _Q * ((dm[j - _u1] + dm[j + _u1]) + (dp[j - _u1] + dp[j + _u1]))
    return n if abs(_H - c) < abs(_H - n) else c


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _rcd_43_row(cfa, oc, g, vd, i, lo, hi, xr, xc):
    """RCD step 4.3 on tile row i, columns [lo, hi) (unsigned): the chroma of the row's
    non-green sites (into xr) and the other chroma (into xc), at the green sites, from
    cardinal colour differences blended by the refined V/H discrimination `vd`. Evaluated at
    every column (contiguous, vectorised); the values at non-green sites are never read."""
    c3m = cfa[i - 3]
    c1m = cfa[i - 1]
    c = cfa[i]
    c1p = cfa[i + 1]
    c3p = cfa[i + 3]
    o3m = oc[i - 3]
    o1m = oc[i - 1]
    o0 = oc[i]
    o1p = oc[i + 1]
    o3p = oc[i + 3]
    g2m = g[i - 2]
    g1m = g[i - 1]
    g0 = g[i]
    g1p = g[i + 1]
    g2p = g[i + 2]
    d0 = vd[i]
    for j in range(lo, hi):
        gc = c[j]
        n1 = _EPS + abs(gc - g2m[j])
        s1 = _EPS + abs(gc - g2p[j])
        w1 = _EPS + abs(gc - g0[j - _u2])
        e1 = _EPS + abs(gc - g0[j + _u2])
        gn = g1m[j]
        gs = g1p[j]
        gw = g0[j - _u1]
        ge = g0[j + _u1]
        disc = d0[j]
        # the row's chroma: raw left/right, interpolated (oc) above/below
        vn = o1m[j]
        vs = o1p[j]
        hw = c[j - _u1]
        he = c[j + _u1]
        snd = abs(vn - vs)
        ewd = abs(hw - he)
        ngr = n1 + snd + abs(vn - o3m[j])
        sgr = s1 + snd + abs(vs - o3p[j])
        wgr = w1 + ewd + abs(hw - c[j - _u3])
        egr = e1 + ewd + abs(he - c[j + _u3])
        v_est = (ngr * (vs - gs) + sgr * (vn - gn)) / (ngr + sgr)
        h_est = (egr * (hw - gw) + wgr * (he - ge)) / (egr + wgr)
        xr[j] = gc + v_est + disc * (h_est - v_est)
        # the column's chroma: raw above/below, interpolated (oc) left/right
        vn = c1m[j]
        vs = c1p[j]
        hw = o0[j - _u1]
        he = o0[j + _u1]
        snd = abs(vn - vs)
        ewd = abs(hw - he)
        ngr = n1 + snd + abs(vn - c3m[j])
        sgr = s1 + snd + abs(vs - c3p[j])
        wgr = w1 + ewd + abs(hw - o0[j - _u3])
        egr = e1 + ewd + abs(he - o0[j + _u3])
        v_est = (ngr * (vs - gs) + sgr * (vn - gn)) / (ngr + sgr)
        h_est = (egr * (hw - gw) + wgr * (he - ge)) / (egr + wgr)
        xc[j] = gc + v_est + disc * (h_est - v_est)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _refine_green_row(cfa, g, xr, xc, vd, i, lo, hi, ngpar, g2):
    """Menon's refining step 1 on tile row i, columns [lo, hi): green at the non-green sites
    from the colour difference (own chroma - green) averaged over 3 pixels along the row and
    along the column, blended by `vd`. The row neighbours are green sites holding the row's
    chroma in xr, the column neighbours green sites holding the column's chroma in xc: both
    the chroma of the centre site."""
    cm = cfa[i - 1]
    c = cfa[i]
    cp = cfa[i + 1]
    g0 = g[i]
    r0 = xr[i]
    xm = xc[i - 1]
    xp = xc[i + 1]
    d0 = vd[i]
    for j in range(lo, hi):
        cc = c[j]
        dc = cc - g0[j]
        dh = ((r0[j - _u1] - c[j - _u1]) + (r0[j + _u1] - c[j + _u1])) + dc
        dv = ((xm[j] - cm[j]) + (xp[j] - cp[j])) + dc
        est = cc - _3RD * (dv + d0[j] * (dh - dv))
        g2[j] = est if (j & _u1) == ngpar else cc


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _refine_out_row(cfa, oc, g2, xr, xc, vd, i, tw, ngpar, ra, rg, rb):
    """Menon's refining step 3 on tile row i and the row's final values as planes over the
    tile's valid columns (q = j - B): `ra` the chroma of the row's non-green sites, `rg` green,
    `rb` the other chroma. At the non-green sites the opposite chroma comes from the
    difference (own - opposite chroma) averaged over 3 pixels along the row and the column
    (green sites: xr - xc along the row, xc - xr along the column), blended by `vd`."""
    uB = _U(_RCD_MARGIN)
    c = cfa[i]
    o0 = oc[i]
    gg = g2[i]
    r0 = xr[i]
    x0 = xc[i]
    rm = xr[i - 1]
    xm = xc[i - 1]
    rp = xr[i + 1]
    xp = xc[i + 1]
    d0 = vd[i]
    for q in range(_U(tw)):
        j = q + uB
        cc = c[j]
        dc = cc - o0[j]
        dh = ((r0[j - _u1] - x0[j - _u1]) + (r0[j + _u1] - x0[j + _u1])) + dc
        dv = ((xm[j] - rm[j]) + (xp[j] - rp[j])) + dc
        opp = cc - _3RD * (dv + d0[j] * (dh - dv))
        isng = (j & _u1) == ngpar
        ra[q] = cc if isng else r0[j]
        rg[q] = gg[j] if isng else cc
        rb[q] = opp if isng else x0[j]


@njit(cache=True, nogil=True, inline="always")
def _plain_out_row(cfa, oc, g, xr, xc, i, tw, ngpar, ra, rg, rb):
    """Plain RCD (no refinement): the row's final values as planes, as in _refine_out_row."""
    uB = _U(_RCD_MARGIN)
    c = cfa[i]
    o0 = oc[i]
    g0 = g[i]
    r0 = xr[i]
    x0 = xc[i]
    for q in range(_U(tw)):
        j = q + uB
        isng = (j & _u1) == ngpar
        ra[q] = c[j] if isng else r0[j]
        rg[q] = g0[j] if isng else c[j]
        rb[q] = o0[j] if isng else x0[j]


@njit(cache=True, nogil=True, inline="always")
def _interleave(orow, ra, rg, rb, n, ca, cb):
    """orow[3q + ca] = ra[q], orow[3q + 1] = rg[q], orow[3q + cb] = rb[q] for q < n (ca, cb
    constants at the call site). (Planar rows and a separate interleave pass are ~3x faster
    than storing RGB triplets from the stencil loops.)"""
    for q in range(_U(n)):
        k = _u3 * q
        orow[k + ca] = ra[q]
        orow[k + _u1] = rg[q]
        orow[k + cb] = rb[q]


@njit(cache=True, nogil=True, error_model="numpy")
def _rcd_tile(mosaic, out, y0, x0, th, tw, cfa, vh, vd, t1, t2, g, pq, hrow, ra, rg, rb,
              cr0, nx0, cr1, nx1, refine):
    """RCD (+ Menon's refining step when `refine`) of the tile whose valid region is rows
    [y0, y0+th) x cols [x0, x0+tw); the tile is read with a margin of B pixels (mirrored at
    the image borders) and each step is computed only as far into the margin as the later
    steps need. Column indices in the hot loops are unsigned: numba then skips negative-index
    wraparound, which otherwise turns every load into a gather."""
    H, W = mosaic.shape
    B = _RCD_MARGIN
    LH = th + 2 * B
    LW = tw + 2 * B
    # margin of RCD step 4.3: 4 when refining (refined green at 3 <- xr/xc at 4), else 0;
    # every earlier step is computed at its RCD margin plus E = 4 (independent of `refine`,
    # so the result of plain RCD does not depend on it)
    E = 4
    m43 = E if refine else 0

    # -- step 0: load the tile and its margin, mirrored at the image borders
    inside = x0 - B >= 0 and x0 + tw + B <= W
    for i in range(LH):
        src = mosaic[_mirror(y0 - B + i, H)]
        dst = cfa[i]
        if inside:
            dst[:LW] = src[x0 - B:x0 + tw + B]
        else:
            for j in range(LW):
                dst[j] = src[_mirror(x0 - B + j, W)]

    # column ranges at margin m: [B - m, B + tw + m)
    lo11, hi11 = _U(B - 11), _U(B + tw + 11)
    lo10, hi10 = _U(B - 10), _U(B + tw + 10)
    lo9, hi9 = _U(B - 9), _U(B + tw + 9)
    lo8, hi8 = _U(B - 8), _U(B + tw + 8)
    lo7, hi7 = _U(B - 7), _U(B + tw + 7)

    # -- step 1: V/H discrimination  VH = V / (V + H), V and H = sums of three squared
    #    7-tap high-passes [1 -3 -1 6 -1 -3 1] along the column / the row
    for i in range(B - 11, B + th + 11):
        a3 = cfa[i - 3]
        a2 = cfa[i - 2]
        a1 = cfa[i - 1]
        a0 = cfa[i]
        b1 = cfa[i + 1]
        b2 = cfa[i + 2]
        b3 = cfa[i + 3]
        t = t1[i]
        for j in range(lo10, hi10):
            v = (a3[j] - a1[j] - b1[j] + b3[j]) - _3 * (a2[j] + b2[j]) + _6 * a0[j]
            t[j] = v * v
    for i in range(B - 10, B + th + 10):
        c = cfa[i]
        for j in range(lo11, hi11):
            v = ((c[j - _u3] - c[j - _u1] - c[j + _u1] + c[j + _u3])
                 - _3 * (c[j - _u2] + c[j + _u2]) + _6 * c[j])
            hrow[j] = v * v
        tm = t1[i - 1]
        t0 = t1[i]
        tp = t1[i + 1]
        d = vh[i]
        for j in range(lo10, hi10):
            vs = _fmax(tm[j] + t0[j] + tp[j], _EPSSQ)
            hs = _fmax(hrow[j - _u1] + hrow[j] + hrow[j + _u1], _EPSSQ)
            d[j] = vs / (vs + hs)
    # refined once here (every later step reads it at the site itself)
    for i in range(B - 9, B + th + 9):
        dm = vh[i - 1]
        d0 = vh[i]
        dp = vh[i + 1]
        r = vd[i]
        for j in range(lo9, hi9):
            r[j] = _disc(dm, d0, dp, j)

    # -- step 2: low-pass filter (3x3 binomial), used at the non-green sites; floored at 0 so
    #    the ratio correction stays bounded on unclipped (slightly negative) data
    for i in range(B - 11, B + th + 11):
        cm = cfa[i - 1]
        c = cfa[i]
        cp = cfa[i + 1]
        lp = t2[i]
        for j in range(lo11, hi11):
            v = (_Q * c[j] + _8TH * ((cm[j] + cp[j]) + (c[j - _u1] + c[j + _u1]))
                 + _16TH * ((cm[j - _u1] + cm[j + _u1]) + (cp[j - _u1] + cp[j + _u1])))
            lp[j] = _fmax(v, _0)

    # -- step 3: green at the non-green sites (ratio-corrected, gradient-weighted V and H
    #    estimates blended by the refined V/H discrimination); green sites keep their sample.
    #    Evaluated at every site and selected by column parity: a contiguous loop vectorises
    #    (16 lanes), a stride-2 one does not, which more than pays for the discarded half.
    for i in range(B - 9, B + th + 9):
        ngpar = _U(nx1 if i & 1 else nx0)
        c4m = cfa[i - 4]
        c3m = cfa[i - 3]
        c2m = cfa[i - 2]
        c1m = cfa[i - 1]
        c = cfa[i]
        c1p = cfa[i + 1]
        c2p = cfa[i + 2]
        c3p = cfa[i + 3]
        c4p = cfa[i + 4]
        l2m = t2[i - 2]
        l0 = t2[i]
        l2p = t2[i + 2]
        d0 = vd[i]
        gr = g[i]
        for j in range(lo9, hi9):
            cc = c[j]
            n1 = c1m[j]
            s1 = c1p[j]
            w1 = c[j - _u1]
            e1 = c[j + _u1]
            n2 = c2m[j]
            s2 = c2p[j]
            w2 = c[j - _u2]
            e2 = c[j + _u2]
            nsd = abs(n1 - s1)
            wed = abs(w1 - e1)
            ng = _EPS + nsd + abs(cc - n2) + abs(n1 - c3m[j]) + abs(n2 - c4m[j])
            sg = _EPS + nsd + abs(cc - s2) + abs(s1 - c3p[j]) + abs(s2 - c4p[j])
            wg = _EPS + wed + abs(cc - w2) + abs(w1 - c[j - _u3]) + abs(w2 - c[j - _u4])
            eg = _EPS + wed + abs(cc - e2) + abs(e1 - c[j + _u3]) + abs(e2 - c[j + _u4])
            lc = l0[j]
            ln = l2m[j]
            ls = l2p[j]
            lw = l0[j - _u2]
            le = l0[j + _u2]
            n_est = n1 * (_1 + (lc - ln) / (_EPS + lc + ln))
            s_est = s1 * (_1 + (lc - ls) / (_EPS + lc + ls))
            w_est = w1 * (_1 + (lc - lw) / (_EPS + lc + lw))
            e_est = e1 * (_1 + (lc - le) / (_EPS + lc + le))
            v_est = (sg * n_est + ng * s_est) / (ng + sg)
            h_est = (wg * e_est + eg * w_est) / (eg + wg)
            est = v_est + d0[j] * (h_est - v_est)
            gr[j] = est if (j & _u1) == ngpar else cc

    # -- step 4.0: squared P (NW-SE) and Q (NE-SW) diagonal high-passes
    for i in range(B - 9, B + th + 9):
        a3 = cfa[i - 3]
        a2 = cfa[i - 2]
        a1 = cfa[i - 1]
        a0 = cfa[i]
        b1 = cfa[i + 1]
        b2 = cfa[i + 2]
        b3 = cfa[i + 3]
        tp_ = t1[i]
        tq_ = t2[i]
        for j in range(lo9, hi9):
            p = ((a3[j - _u3] - a1[j - _u1] - b1[j + _u1] + b3[j + _u3])
                 - _3 * (a2[j - _u2] + b2[j + _u2]) + _6 * a0[j])
            q = ((a3[j + _u3] - a1[j + _u1] - b1[j - _u1] + b3[j - _u3])
                 - _3 * (a2[j + _u2] + b2[j - _u2]) + _6 * a0[j])
            tp_[j] = p * p
            tq_[j] = q * q
    # -- step 4.1: P/Q discrimination PQ = P / (P + Q)
    for i in range(B - 8, B + th + 8):
        pm = t1[i - 1]
        p0 = t1[i]
        pp = t1[i + 1]
        qm = t2[i - 1]
        q0 = t2[i]
        qp = t2[i + 1]
        d = pq[i]
        for j in range(lo8, hi8):
            ps = _fmax(pm[j - _u1] + p0[j] + pp[j + _u1], _EPSSQ)
            qs = _fmax(qm[j + _u1] + q0[j] + qp[j - _u1], _EPSSQ)
            d[j] = ps / (ps + qs)

    # -- step 4.2: the opposite chroma at the non-green sites, from diagonal colour
    #    differences blended by the refined P/Q discrimination; into t1 ("oc"). Evaluated at
    #    every site (contiguous, vectorised); the values at green sites are never read.
    oc = t1
    for i in range(B - 7, B + th + 7):
        c3m = cfa[i - 3]
        c1m = cfa[i - 1]
        c1p = cfa[i + 1]
        c3p = cfa[i + 3]
        g2m = g[i - 2]
        g1m = g[i - 1]
        g0 = g[i]
        g1p = g[i + 1]
        g2p = g[i + 2]
        dm = pq[i - 1]
        d0 = pq[i]
        dp = pq[i + 1]
        ocr = oc[i]
        for j in range(lo7, hi7):
            nw = c1m[j - _u1]
            ne = c1m[j + _u1]
            sw = c1p[j - _u1]
            se = c1p[j + _u1]
            gc = g0[j]
            pd = abs(nw - se)
            qd = abs(ne - sw)
            nw_g = _EPS + pd + abs(nw - c3m[j - _u3]) + abs(gc - g2m[j - _u2])
            ne_g = _EPS + qd + abs(ne - c3m[j + _u3]) + abs(gc - g2m[j + _u2])
            sw_g = _EPS + qd + abs(sw - c3p[j - _u3]) + abs(gc - g2p[j - _u2])
            se_g = _EPS + pd + abs(se - c3p[j + _u3]) + abs(gc - g2p[j + _u2])
            nw_e = nw - g1m[j - _u1]
            ne_e = ne - g1m[j + _u1]
            sw_e = sw - g1p[j - _u1]
            se_e = se - g1p[j + _u1]
            p_est = (nw_g * se_e + se_g * nw_e) / (nw_g + se_g)
            q_est = (ne_g * sw_e + sw_g * ne_e) / (ne_g + sw_g)
            disc = _disc(dm, d0, dp, j)
            ocr[j] = gc + p_est + disc * (q_est - p_est)

    # -- step 4.3: R and B at the green sites (xr: the row's chroma, xc: the column's)
    xr = vh
    xc = t2
    for i in range(B - m43, B + th + m43):
        _rcd_43_row(cfa, oc, g, vd, i, _U(B - m43), _U(B + tw + m43), xr[i], xc[i])

    if refine:
        # -- Menon (2007) refining step, in its order, with RCD's V/H discrimination as the
        #    direction and RCD's own step 4.3 as the R/B-at-green estimator:
        #    1. green at the non-green sites from the smoothed colour differences (into g2)
        g2 = pq
        for i in range(B - 3, B + th + 3):
            ngpar = _U(nx1 if i & 1 else nx0)
            _refine_green_row(cfa, g, xr, xc, vd, i, _U(B - 3), _U(B + tw + 3), ngpar, g2[i])
        #    2. R and B at the green sites: step 4.3 again, on the refined green (xr, xc are
        #       overwritten: row i of the new values needs rows i-3..i+3 of g2/oc only)
        for i in range(B - 1, B + th + 1):
            _rcd_43_row(cfa, oc, g2, vd, i, _U(B - 1), _U(B + tw + 1), xr[i], xc[i])
        #    3. the opposite chroma at the non-green sites, and the output
        for i in range(B, B + th):
            if i & 1:
                ngpar, cr = nx1, cr1
            else:
                ngpar, cr = nx0, cr0
            _refine_out_row(cfa, oc, g2, xr, xc, vd, i, tw, _U(ngpar), ra, rg, rb)
            orow = out[y0 + i - B, x0:x0 + tw].reshape(-1)  # output column q -> 3 * q
            if cr == 0:
                _interleave(orow, ra, rg, rb, tw, _u0, _u2)
            else:
                _interleave(orow, ra, rg, rb, tw, _u2, _u0)
    else:
        for i in range(B, B + th):
            if i & 1:
                ngpar, cr = nx1, cr1
            else:
                ngpar, cr = nx0, cr0
            _plain_out_row(cfa, oc, g, xr, xc, i, tw, _U(ngpar), ra, rg, rb)
            orow = out[y0 + i - B, x0:x0 + tw].reshape(-1)
            if cr == 0:
                _interleave(orow, ra, rg, rb, tw, _u0, _u2)
            else:
                _interleave(orow, ra, rg, rb, tw, _u2, _u0)


@njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def _rcd_tiled(mosaic, channels, out, tile_h, tile_w, workers, refine=True):
    """RCD (+ Menon's refining step when `refine`) over tiles of tile_h x tile_w valid
    pixels, shared among `workers` work items (<= 0: _RCD_WORKERS). The result does not
    depend on the tiling or the work split."""
    _check(mosaic, out)
    cr0, nx0, cr1, nx1 = _cfa_rows(channels)
    if tile_h < 2 or tile_w < 2 or tile_h % 2 or tile_w % 2:
        raise ValueError("RCD tile sizes must be even and >= 2")
    h, w = mosaic.shape
    nty = (h + tile_h - 1) // tile_h
    ntx = (w + tile_w - 1) // tile_w
    ntiles = nty * ntx
    nwork = min(workers if workers > 0 else _RCD_WORKERS, ntiles)
    B = _RCD_MARGIN
    shape = (nwork, tile_h + 2 * B, tile_w + 2 * B)
    s_cfa = np.empty(shape, dtype=np.float32)
    s_vh = np.empty(shape, dtype=np.float32)
    s_vd = np.empty(shape, dtype=np.float32)
    s_t1 = np.empty(shape, dtype=np.float32)
    s_t2 = np.empty(shape, dtype=np.float32)
    s_g = np.empty(shape, dtype=np.float32)
    s_pq = np.empty(shape, dtype=np.float32)
    s_hrow = np.empty((nwork, tile_w + 2 * B), dtype=np.float32)
    s_ra = np.empty((nwork, tile_w), dtype=np.float32)
    s_rg = np.empty((nwork, tile_w), dtype=np.float32)
    s_rb = np.empty((nwork, tile_w), dtype=np.float32)
    for k in prange(nwork):
        cfa = s_cfa[k]
        vh = s_vh[k]
        vd = s_vd[k]
        t1 = s_t1[k]
        t2 = s_t2[k]
        g = s_g[k]
        pq = s_pq[k]
        hrow = s_hrow[k]
        ra = s_ra[k]
        rg = s_rg[k]
        rb = s_rb[k]
        for t in range(k, ntiles, nwork):
            ty = t // ntx
            tx = t - ty * ntx
            y0 = ty * tile_h
            x0 = tx * tile_w
            th = min(tile_h, h - y0)
            tw = min(tile_w, w - x0)
            _rcd_tile(mosaic, out, y0, x0, th, tw, cfa, vh, vd, t1, t2, g, pq, hrow, ra, rg, rb,
                      cr0, nx0, cr1, nx1, refine)
    return out


@njit(cache=True, nogil=True)
def demosaic_rcd(mosaic, channels, out, workers=0):
    """RCD v2.3 (RawTherapee/darktable `rcd_demosaic`) followed by Menon's (2007) refining
    step on RCD's V/H discrimination, in parallel tiles of RCD_TILE_H x RCD_TILE_W; borders
    mirrored (no separate border interpolation), inputs not clipped. `workers`: parallel work
    items, normally `numba.get_num_threads()`; 0 uses numba's thread count at compile time."""
    return _rcd_tiled(mosaic, channels, out, RCD_TILE_H, RCD_TILE_W, workers, True)


# --------------------------------------------------------------------------------------------
# dispatcher
# --------------------------------------------------------------------------------------------

_KERNELS = {
    "bilinear": demosaic_bilinear,
    "mhc": demosaic_mhc,
    "rcd": demosaic_rcd,
    "none": mosaic_to_rgb,
}


def demosaic(mosaic: np.ndarray, channels: np.ndarray, method: str, out: np.ndarray | None = None) -> np.ndarray:
    """Demosaic `mosaic` (float32 HxW) with `method` ("bilinear", "mhc", "rcd", or "none" for
    the uninterpolated view) into `out` (float32 HxWx3, allocated when None); returns `out`."""
    kernel = _KERNELS.get(method)
    if kernel is None:
        raise ValueError(f"unknown demosaic method {method!r}; expected one of {', '.join(_ALL_METHODS)}")
    mosaic = np.ascontiguousarray(mosaic, dtype=np.float32)
    if mosaic.ndim != 2:
        raise ValueError(f"mosaic must be 2-D (H, W), got shape {mosaic.shape}")
    h, w = mosaic.shape
    if h < 8 or w < 8:
        raise ValueError(f"mosaic must be at least 8x8, got {h}x{w}")
    channels = np.ascontiguousarray(channels, dtype=np.int32)
    if channels.shape != (2, 2):
        raise ValueError(f"channels must be a 2x2 CFA tile, got shape {channels.shape}")
    if out is None:
        out = np.empty((h, w, 3), dtype=np.float32)
    elif out.shape != (h, w, 3) or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous float32 array of shape {(h, w, 3)}, "
                         f"got {out.dtype} {out.shape}")
    if kernel is demosaic_rcd:
        demosaic_rcd(mosaic, channels, out, get_num_threads())
    else:
        kernel(mosaic, channels, out)
    return out
