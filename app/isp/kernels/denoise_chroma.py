"""Chroma noise reduction: a colour-guided filter fitted at reduced resolution.

The guide is (Y', Cb, Cr) itself, so chroma edges are kept where either the luma or the
chroma has a strong edge, while chroma blotches small against the edge-stop are averaged out.
The model is fitted at half resolution (on 4x4 blocks from radius 4 up, still from 2x2-mean
statistics) and upsampled while it is applied (He & Sun's "fast guided filter").
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from app.isp.kernels.planes import chroma_code, chroma_decoding, luma_decoding
from app.isp.kernels.rows import (_F, _HALF, _JIT, _MIN_EDGE_STOP, _NSTRIPS, _ONE, _PJIT,
                                  _QUARTER, _ZERO, MAX_RADIUS, _box_rows, _clamp, _pad_edges,
                                  _running_update)

# Edge-stop scale: at strength 1, chroma wobbles whose standard deviation (in encoded code
# values) is well below this and not explained by the guide are smoothed.
CHROMA_EDGE_STOP = 0.08

# ---------------------------------------------------------------------------------------
# Chroma noise reduction: colour-guided filter fitted at reduced resolution ("fast guided
# filter"): at half resolution for radius 1..3, on 4x4 blocks from radius 4 up.
# ---------------------------------------------------------------------------------------

# Stage-1 channels (window sums of the guide and its products) and stage-2 channels (model
# coefficients).
_C_Y, _C_B, _C_R, _C_YY, _C_YB, _C_YR, _C_BB, _C_BR, _C_RR = range(9)
# Coefficients: Cb' = A0*Y + A1*Cb + A2*Cr + A3, Cr' = A4*Y + A2*Cb + A5*Cr + A6. The model
# of each target has 4 coefficients, but Cb's weight on Cr equals Cr's weight on Cb (both
# are -eps times the same entry of the symmetric inverse), so 7 planes carry all 8.
_NCOEF = 7


@njit(**_JIT)
def _downsample_row(y, cb, cr, j, dst):
    """Half-resolution row j (2x2 means; odd edges repeat the last row/column) into dst[3],
    decoded (planes.py); the guide luma is centred on 0 so the float32 second moments do not
    cancel catastrophically."""
    h, w = y.shape
    w2 = (w + 1) // 2
    r0 = 2 * j
    r1 = min(2 * j + 1, h - 1)
    half = w // 2
    for c in range(3):
        src = y if c == 0 else (cb if c == 1 else cr)
        a = src[r0]
        b = src[r1]
        d = dst[c]
        if c == 0:
            sc, off = luma_decoding(src)
            off -= _HALF
        else:
            sc, off = chroma_decoding(src)
        q = sc * _QUARTER
        for m in range(half):
            d[m] = ((_F(a[2 * m]) + _F(a[2 * m + 1])) + (_F(b[2 * m]) + _F(b[2 * m + 1]))) * q + off
        if w & 1:
            d[w2 - 1] = (_F(a[w - 1]) + _F(b[w - 1])) * (sc * _HALF) + off


@njit(**_JIT)
def _accumulate(acc, a, n):
    """acc[x] += a[x]."""
    for x in range(n):
        acc[x] += a[x]


@njit(**_JIT)
def _moment_sums(cs, r):
    """The nine column-sum rows of cs (channels _C_*) from their interior start r on."""
    return (cs[_C_Y][r:], cs[_C_B][r:], cs[_C_R][r:], cs[_C_YY][r:], cs[_C_YB][r:],
            cs[_C_YR][r:], cs[_C_BB][r:], cs[_C_BR][r:], cs[_C_RR][r:])


@njit(**_JIT)
def _moments_add(cs, row_d, r, n):
    """Add one downsampled row's 3 channels and 6 products to the column sums (initial fill)."""
    yv = row_d[0]
    bv = row_d[1]
    rv = row_d[2]
    s_y, s_b, s_r, s_yy, s_yb, s_yr, s_bb, s_br, s_rr = _moment_sums(cs, r)
    for x in range(n):
        y_ = yv[x]
        b_ = bv[x]
        r_ = rv[x]
        s_y[x] += y_
        s_b[x] += b_
        s_r[x] += r_
        s_yy[x] += y_ * y_
        s_yb[x] += y_ * b_
        s_yr[x] += y_ * r_
        s_bb[x] += b_ * b_
        s_br[x] += b_ * r_
        s_rr[x] += r_ * r_


@njit(**_JIT)
def _moments_update(cs, add, sub, r, n):
    """Running column sums of the 3 guide channels and their 6 products: add a row, drop
    one. One pass, so the two rows are read once for all nine sums."""
    ya = add[0]
    ba = add[1]
    ra = add[2]
    ys = sub[0]
    bs = sub[1]
    rs = sub[2]
    s_y, s_b, s_r, s_yy, s_yb, s_yr, s_bb, s_br, s_rr = _moment_sums(cs, r)
    for x in range(n):
        y1 = ya[x]
        b1 = ba[x]
        r1 = ra[x]
        y0 = ys[x]
        b0 = bs[x]
        r0 = rs[x]
        s_y[x] += y1 - y0
        s_b[x] += b1 - b0
        s_r[x] += r1 - r0
        s_yy[x] += y1 * y1 - y0 * y0
        s_yb[x] += y1 * b1 - y0 * b0
        s_yr[x] += y1 * r1 - y0 * r0
        s_bb[x] += b1 * b1 - b0 * b0
        s_br[x] += b1 * r1 - b0 * r0
        s_rr[x] += r1 * r1 - r0 * r0


@njit(**_JIT)
def _chroma_model(mean, n, inv, eps, scale, ab):
    """Per-sample colour-guided model for the targets Cb and Cr from the 9 window sums.

    With guide I = (Y, Cb, Cr) and Sigma its local covariance, a_t = (Sigma + eps*1)^-1 cov(I, t).
    Because each target is a guide channel, cov(I, Cb) = (Sigma + eps*1) e_Cb - eps*e_Cb, so
    a_Cb = e_Cb - eps * column Cb of the inverse (likewise for Cr): cheap and stable.
    b_t = mean_t - a_t . mean_I, with the guide luma's 0.5 centring folded back into b.
    inv: 1 / number of samples in a window. Coefficients are stored multiplied by scale
    (1 / number of windows the second box sums) so that the second box sum directly yields
    their means; see _NCOEF for the layout.
    """
    my_ = mean[_C_Y]
    mb_ = mean[_C_B]
    mr_ = mean[_C_R]
    syy = mean[_C_YY]
    syb = mean[_C_YB]
    syr = mean[_C_YR]
    sbb = mean[_C_BB]
    sbr = mean[_C_BR]
    srr = mean[_C_RR]
    a0 = ab[0]
    a1 = ab[1]
    a2 = ab[2]
    a3 = ab[3]
    a4 = ab[4]
    a5 = ab[5]
    a6 = ab[6]
    for x in range(n):
        my = my_[x] * inv
        mb = mb_[x] * inv
        mr = mr_[x] * inv
        vyy = syy[x] * inv - my * my + eps
        vbb = sbb[x] * inv - mb * mb + eps
        vrr = srr[x] * inv - mr * mr + eps
        vyb = syb[x] * inv - my * mb
        vyr = syr[x] * inv - my * mr
        vbr = sbr[x] * inv - mb * mr
        # Cofactors of the symmetric matrix [[vyy vyb vyr] [vyb vbb vbr] [vyr vbr vrr]].
        c_yy = vbb * vrr - vbr * vbr
        c_yb = vyr * vbr - vyb * vrr
        c_yr = vyb * vbr - vyr * vbb
        c_bb = vyy * vrr - vyr * vyr
        c_br = vyb * vyr - vyy * vbr
        c_rr = vyy * vbb - vyb * vyb
        det = vyy * c_yy + vyb * c_yb + vyr * c_yr
        det = det if det > _F(1e-30) else _F(1e-30)
        k = eps / det
        my_full = my + _HALF
        # Cb target: a = e_Cb - eps * inverse[:, Cb]; Cr target: a = e_Cr - eps * inverse[:, Cr].
        ay_b = -k * c_yb
        ab_b = _ONE - k * c_bb
        a_x = -k * c_br  # Cb's weight on Cr == Cr's weight on Cb
        ay_r = -k * c_yr
        ar_r = _ONE - k * c_rr
        a0[x] = ay_b * scale
        a1[x] = ab_b * scale
        a2[x] = a_x * scale
        a3[x] = (mb - ay_b * my_full - ab_b * mb - a_x * mr) * scale
        a4[x] = ay_r * scale
        a5[x] = ar_r * scale
        a6[x] = (mr - ay_r * my_full - a_x * mb - ar_r * mr) * scale


@njit(**_JIT)
def _apply_row(top, bot, w_top, yr, cbr, crr, cb_dst, cr_dst, w, vb):
    """Apply the bilinearly upsampled model to one full-resolution row, both targets.

    top, bot: the two half-resolution rows of coefficient means around this row, blended
    with weights (w_top, 1 - w_top) into vb (the vertical half of the upsampling, at half
    width). Along the row, full-res pixels 2i+1 and 2i+2 both lie between half-res samples
    i and i+1, at 1/4 and 3/4 (pixel centres of a 2x2-mean downsample); pixel 0 and, for
    even widths, pixel w-1 lie outside and take the end samples. Upsampling on the fly keeps
    the coefficient rows at half width, so they stay in cache.
    """
    w2 = (w + 1) // 2
    w_bot = _ONE - w_top
    sy, oy = luma_decoding(yr)
    sc, oc = chroma_decoding(cbr)
    for c in range(_NCOEF):
        t = top[c]
        b = bot[c]
        v = vb[c]
        for m in range(w2):
            v[m] = w_top * t[m] + w_bot * b[m]
    v0 = vb[0]
    v1 = vb[1]
    v2 = vb[2]
    v3 = vb[3]
    v4 = vb[4]
    v5 = vb[5]
    v6 = vb[6]
    n0 = v0[1:]
    n1 = v1[1:]
    n2 = v2[1:]
    n3 = v3[1:]
    n4 = v4[1:]
    n5 = v5[1:]
    n6 = v6[1:]
    y1 = yr[1:]
    b1 = cbr[1:]
    r1 = crr[1:]
    cbd = cb_dst[1:]
    crd = cr_dst[1:]
    for i in range(w2 - 1):
        d0 = n0[i] - v0[i]
        d1 = n1[i] - v1[i]
        d2 = n2[i] - v2[i]
        d3 = n3[i] - v3[i]
        d4 = n4[i] - v4[i]
        d5 = n5[i] - v5[i]
        d6 = n6[i] - v6[i]
        ye = _F(y1[2 * i]) * sy + oy
        be = _F(b1[2 * i]) * sc + oc
        re = _F(r1[2 * i]) * sc + oc
        yo = _F(y1[2 * i + 1]) * sy + oy
        bo = _F(b1[2 * i + 1]) * sc + oc
        ro = _F(r1[2 * i + 1]) * sc + oc
        x2 = v2[i] + _QUARTER * d2
        cbd[2 * i] = chroma_code(cbd, (v0[i] + _QUARTER * d0) * ye + (v1[i] + _QUARTER * d1) * be
                                 + x2 * re + (v3[i] + _QUARTER * d3))
        crd[2 * i] = chroma_code(crd, (v4[i] + _QUARTER * d4) * ye + x2 * be
                                 + (v5[i] + _QUARTER * d5) * re + (v6[i] + _QUARTER * d6))
        x2 = n2[i] - _QUARTER * d2
        cbd[2 * i + 1] = chroma_code(cbd, (n0[i] - _QUARTER * d0) * yo
                                     + (n1[i] - _QUARTER * d1) * bo + x2 * ro
                                     + (n3[i] - _QUARTER * d3))
        crd[2 * i + 1] = chroma_code(crd, (n4[i] - _QUARTER * d4) * yo + x2 * bo
                                     + (n5[i] - _QUARTER * d5) * ro + (n6[i] - _QUARTER * d6))
    _apply_pixel(vb, 0, yr, cbr, crr, cb_dst, cr_dst, 0)
    if (w & 1) == 0:
        _apply_pixel(vb, w2 - 1, yr, cbr, crr, cb_dst, cr_dst, w - 1)


@njit(**_JIT)
def _apply_pixel(vb, m, yr, cbr, crr, cb_dst, cr_dst, x):
    """Apply the half-resolution coefficients at sample m to full-resolution pixel x."""
    sy, oy = luma_decoding(yr)
    sc, oc = chroma_decoding(cbr)
    yv = _F(yr[x]) * sy + oy
    bv = _F(cbr[x]) * sc + oc
    rv = _F(crr[x]) * sc + oc
    x2 = vb[2, m]
    cb_dst[x] = chroma_code(cb_dst, vb[0, m] * yv + vb[1, m] * bv + x2 * rv + vb[3, m])
    cr_dst[x] = chroma_code(cr_dst, vb[4, m] * yv + x2 * bv + vb[5, m] * rv + vb[6, m])


@njit(**_JIT)
def _emit_full_rows(kk, h2, ring_m, y, cb, cr, cb_out, cr_out, vb):
    """Full-resolution rows 2kk and 2kk+1 from the model rows kk-1..kk+1 (full-res row 2kk
    sits at 3/4 between half-res rows kk-1 and kk, row 2kk+1 at 1/4 between kk and kk+1)."""
    h, w = y.shape
    prev = ring_m[max(kk - 1, 0) % 3]
    cur = ring_m[kk % 3]
    nxt = ring_m[min(kk + 1, h2 - 1) % 3]
    row = 2 * kk
    _apply_row(prev, cur, _QUARTER, y[row], cb[row], cr[row], cb_out[row], cr_out[row], w, vb)
    row += 1
    if row < h:
        _apply_row(nxt, cur, _QUARTER, y[row], cb[row], cr[row], cb_out[row], cr_out[row], w,
                   vb)


@njit(**_JIT)
def _chroma_strip(y, cb, cr, cb_out, cr_out, h0, h1, r, eps, ring_d, cs1, ring_ab, cs2,
                  ring_m, hb, t0, t1):
    """Colour-guided filter for half-resolution rows [h0, h1) and their full-res rows.

    Three streaming levels, each a ring of rows computed on demand: downsampled guide rows
    (ring_d), per-pixel model coefficients from stage-1 box means (ring_ab), and stage-2 box
    means of the coefficients (ring_m, 3 half-width rows: the bilinear upsampling is done
    while applying, hb serving as its row buffer).
    """
    h, w = y.shape
    h2 = (h + 1) // 2
    w2 = (w + 1) // 2
    length = 2 * r + 1
    nring = 2 * r + 2
    inv = _F(1.0 / (length * length))
    k_first = max(h0 - 1, 0)
    k_end = min(h1 + 1, h2)
    j_first = max(k_first - r, 0)
    d_first = max(j_first - r, 0)
    next_d = d_first
    next_ab = j_first
    for k in range(k_first, k_end):
        while next_ab <= min(k + r, h2 - 1):
            j = next_ab
            while next_d <= min(j + r, h2 - 1):
                _downsample_row(y, cb, cr, next_d, ring_d[next_d % nring])
                next_d += 1
            if j == j_first:
                for c in range(9):
                    cs1[c, r:r + w2] = _ZERO
                for i in range(j - r, j + r + 1):
                    _moments_add(cs1, ring_d[_clamp(i, 0, h2 - 1) % nring], r, w2)
            else:
                _moments_update(cs1, ring_d[min(j + r, h2 - 1) % nring],
                                ring_d[max(j - 1 - r, 0) % nring], r, w2)
            _box_rows(cs1, 9, r, w2, hb, t0, t1)
            _chroma_model(hb, w2, inv, eps, inv, ring_ab[j % nring])  # pre-scaled by inv
            next_ab += 1
        if k == k_first:
            for c in range(_NCOEF):
                cs2[c, r:r + w2] = _ZERO
            for i in range(k - r, k + r + 1):
                src = ring_ab[_clamp(i, 0, h2 - 1) % nring]
                for c in range(_NCOEF):
                    _accumulate(cs2[c][r:], src[c], w2)
        else:
            add = ring_ab[min(k + r, h2 - 1) % nring]
            sub = ring_ab[max(k - 1 - r, 0) % nring]
            for c in range(_NCOEF):
                # One pass per plane: a single pass over all seven is slower (the loop
                # then carries too many streams to vectorise well).
                _running_update(cs2[c][r:], add[c], sub[c], w2)
        _box_rows(cs2, _NCOEF, r, w2, ring_m[k % 3], t0, t1)
        if h0 <= k - 1:
            _emit_full_rows(k - 1, h2, ring_m, y, cb, cr, cb_out, cr_out, hb)
        if k == h2 - 1 and h0 <= k < h1:
            _emit_full_rows(k, h2, ring_m, y, cb, cr, cb_out, cr_out, hb)


# From radius 4 up the model is fitted per 4x4 block instead, but the window statistics still
# come from the 2x2 means: each block contributes the sums of its four 2x2 means and of their
# products, so a window of 2r+1 blocks sees as many samples as a half-resolution window of
# the same size and the same fine-scale variance (fitting on 4x4 means would hide most of
# the pixel noise from the edge stop and leave only 9 samples in a 3-block window), while the
# model, the second box and the upsampling work on a sixteenth of the pixels. The second box
# averages the models of the 2q x 2q blocks around each block corner (q <= r), and the
# coefficients are interpolated from those corners: every full-res pixel thus only uses
# models of windows that contain its own 4x4 block, so the coarser grid does not smear chroma
# across edges (an odd box on block centres, upsampled the same way, measurably did).
_CHROMA_QUARTER_RES_RADIUS = 4


@njit(**_JIT)
def _chroma_grid(radius):
    """(s, r, q) for a full-resolution radius: fit grid 2 (half resolution) or 4 (4x4
    blocks), window radius r in fit samples, and the half-width q of the second box on
    4x4 blocks (2q x 2q blocks around each corner; q <= r keeps it to windows containing
    the pixel's block). Radii 4, 5-6 and 7-8 give 12/8, 20/8 and 20/16 px windows/boxes,
    the steps the half-resolution fit had there (10/10, 14/14 and 18/18 px)."""
    rad = min(max(radius, 1), MAX_RADIUS)
    if rad >= _CHROMA_QUARTER_RES_RADIUS:
        return 4, min(2, (rad + 3) // 4), (rad + 1) // 4
    r = (rad + 1) // 2
    return 2, r, r


@njit(**_JIT)
def _half_rows(src, row0, n, sc, off, da, db):
    """n 2x2 means of rows row0, row0+1 (into da) and of rows row0+2, row0+3 (into db) of
    src, as mean * sc + off (decoding, centring), in one pass over the four rows. Rows and
    columns past the plane repeat its last one (the plane edge-padded to a multiple of 4)."""
    h, w = src.shape
    a = src[min(row0, h - 1)]
    b = src[min(row0 + 1, h - 1)]
    c = src[min(row0 + 2, h - 1)]
    d = src[min(row0 + 3, h - 1)]
    half = w // 2
    q = sc * _QUARTER
    for m in range(half):
        da[m] = ((_F(a[2 * m]) + _F(a[2 * m + 1])) + (_F(b[2 * m]) + _F(b[2 * m + 1]))) * q + off
        db[m] = ((_F(c[2 * m]) + _F(c[2 * m + 1])) + (_F(d[2 * m]) + _F(d[2 * m + 1]))) * q + off
    last_a = (_F(a[w - 1]) + _F(b[w - 1])) * (sc * _HALF) + off
    last_b = (_F(c[w - 1]) + _F(d[w - 1])) * (sc * _HALF) + off
    for m in range(half, n):
        da[m] = last_a
        db[m] = last_b


@njit(**_JIT)
def _block_moments(y, cb, cr, j, ws, hr, dst):
    """Block row j of the quarter-resolution fit: for each 4x4 block, the sums over its four
    2x2 means of Y' - 1/2, Cb, Cr and of their six products into dst[9] (channels _C_*).
    hr: 6 half-resolution scratch rows (Y, Cb, Cr of the block's upper then lower half)."""
    n = 2 * ws
    sy, oy = luma_decoding(y)
    sc, oc = chroma_decoding(cb)
    _half_rows(y, 4 * j, n, sy, oy - _HALF, hr[0], hr[3])
    _half_rows(cb, 4 * j, n, sc, oc, hr[1], hr[4])
    _half_rows(cr, 4 * j, n, sc, oc, hr[2], hr[5])
    ya = hr[0]
    ba = hr[1]
    ra = hr[2]
    yb = hr[3]
    bb = hr[4]
    rb = hr[5]
    # Three passes of three sums: one pass of all nine measured slower (too many streams
    # for one loop).
    s_y = dst[_C_Y]
    s_b = dst[_C_B]
    s_r = dst[_C_R]
    for m in range(ws):
        k = 2 * m
        s_y[m] = (ya[k] + ya[k + 1]) + (yb[k] + yb[k + 1])
        s_b[m] = (ba[k] + ba[k + 1]) + (bb[k] + bb[k + 1])
        s_r[m] = (ra[k] + ra[k + 1]) + (rb[k] + rb[k + 1])
    s_yy = dst[_C_YY]
    s_yb = dst[_C_YB]
    s_yr = dst[_C_YR]
    for m in range(ws):
        k = 2 * m
        y0 = ya[k]
        y1 = ya[k + 1]
        y2 = yb[k]
        y3 = yb[k + 1]
        s_yy[m] = (y0 * y0 + y1 * y1) + (y2 * y2 + y3 * y3)
        s_yb[m] = (y0 * ba[k] + y1 * ba[k + 1]) + (y2 * bb[k] + y3 * bb[k + 1])
        s_yr[m] = (y0 * ra[k] + y1 * ra[k + 1]) + (y2 * rb[k] + y3 * rb[k + 1])
    s_bb = dst[_C_BB]
    s_br = dst[_C_BR]
    s_rr = dst[_C_RR]
    for m in range(ws):
        k = 2 * m
        b0 = ba[k]
        b1 = ba[k + 1]
        b2 = bb[k]
        b3 = bb[k + 1]
        r0 = ra[k]
        r1 = ra[k + 1]
        r2 = rb[k]
        r3 = rb[k + 1]
        s_bb[m] = (b0 * b0 + b1 * b1) + (b2 * b2 + b3 * b3)
        s_br[m] = (b0 * r0 + b1 * r1) + (b2 * r2 + b3 * r3)
        s_rr[m] = (r0 * r0 + r1 * r1) + (r2 * r2 + r3 * r3)


@njit(**_JIT)
def _box_even(src, n, length, dst):
    """dst[x] = sum(src[x:x+length]) for x < n, length = 2 or 4 (any length works)."""
    s1 = src[1:]
    if length == 2:
        for x in range(n):
            dst[x] = src[x] + s1[x]
        return
    s2 = src[2:]
    s3 = src[3:]
    if length == 4:
        for x in range(n):
            dst[x] = (src[x] + s1[x]) + (s2[x] + s3[x])
        return
    for x in range(n):
        t = src[x]
        for k in range(1, length):
            t += src[x + k]
        dst[x] = t


@njit(**_JIT)
def _expand_corners(m, n, ex):
    """Interpolate the n+1 corner coefficients m[k] of one corner row along the row to the
    4n full-resolution columns: pixels 4i..4i+3 lie between corners i and i+1, at 1/8, 3/8,
    5/8 and 7/8 of the way."""
    for k in range(_NCOEF):
        v = m[k]
        nx = v[1:]
        e = ex[k]
        for i in range(n):
            a = v[i]
            d = nx[i] - a
            e[4 * i] = a + _F(0.125) * d
            e[4 * i + 1] = a + _F(0.375) * d
            e[4 * i + 2] = a + _F(0.625) * d
            e[4 * i + 3] = a + _F(0.875) * d


@njit(**_JIT)
def _apply_rows_q(et, eb, fa, fb, ya, ba, ra, yb, bb, rb, cba, cra, cbb, crb, w):
    """Apply the model to two full-resolution rows A and B that lie fa and fb of the way
    from the corner row above (coefficients et, interpolated along the row) to the one
    below (eb). Every access is unit-stride, so the loop vectorises fully; doing two rows
    per pass halves the loads of the corner rows."""
    t0 = et[0]
    t1 = et[1]
    t2 = et[2]
    t3 = et[3]
    t4 = et[4]
    t5 = et[5]
    t6 = et[6]
    u0 = eb[0]
    u1 = eb[1]
    u2 = eb[2]
    u3 = eb[3]
    u4 = eb[4]
    u5 = eb[5]
    u6 = eb[6]
    sy, oy = luma_decoding(ya)
    sc, oc = chroma_decoding(ba)
    for x in range(w):
        a0 = t0[x]
        a1 = t1[x]
        a2 = t2[x]
        a3 = t3[x]
        a4 = t4[x]
        a5 = t5[x]
        a6 = t6[x]
        d0 = u0[x] - a0
        d1 = u1[x] - a1
        d2 = u2[x] - a2
        d3 = u3[x] - a3
        d4 = u4[x] - a4
        d5 = u5[x] - a5
        d6 = u6[x] - a6
        yv = _F(ya[x]) * sy + oy
        bv = _F(ba[x]) * sc + oc
        rv = _F(ra[x]) * sc + oc
        x2 = a2 + fa * d2
        cba[x] = chroma_code(cba, (a0 + fa * d0) * yv + (a1 + fa * d1) * bv + x2 * rv
                             + (a3 + fa * d3))
        cra[x] = chroma_code(cra, (a4 + fa * d4) * yv + x2 * bv + (a5 + fa * d5) * rv
                             + (a6 + fa * d6))
        yv = _F(yb[x]) * sy + oy
        bv = _F(bb[x]) * sc + oc
        rv = _F(rb[x]) * sc + oc
        x2 = a2 + fb * d2
        cbb[x] = chroma_code(cbb, (a0 + fb * d0) * yv + (a1 + fb * d1) * bv + x2 * rv
                             + (a3 + fb * d3))
        crb[x] = chroma_code(crb, (a4 + fb * d4) * yv + x2 * bv + (a5 + fb * d5) * rv
                             + (a6 + fb * d6))


@njit(**_JIT)
def _emit_group_q(g, et, eb, y, cb, cr, cb_out, cr_out):
    """Full-resolution rows 4g..4g+3 (those inside the plane), which lie between corner
    rows g and g+1 at 1/8, 3/8, 5/8 and 7/8 of the way; two rows per pass."""
    h, w = y.shape
    for p in range(2):
        ra_ = 4 * g + 2 * p
        if ra_ >= h:
            break
        rb_ = min(ra_ + 1, h - 1)  # a lone last row is simply done twice
        fa = _F(2 * p + 0.5) * _QUARTER
        fb = _F(rb_ - 4 * g + 0.5) * _QUARTER
        _apply_rows_q(et, eb, fa, fb, y[ra_], cb[ra_], cr[ra_], y[rb_], cb[rb_], cr[rb_],
                      cb_out[ra_], cr_out[ra_], cb_out[rb_], cr_out[rb_], w)


@njit(**_JIT)
def _padded(n):
    """n rounded up to whole 64-byte lines of float32."""
    return (n + 15) // 16 * 16


@njit(**_JIT)
def _carve(work, p, rows, n):
    """rows rows of at least n floats (whole 64-byte lines) at offset p of the flat buffer
    work, as a C-contiguous array, and the offset after them."""
    stride = _padded(n)
    return work[p:p + rows * stride].reshape((rows, stride)), p + rows * stride


@njit(**_JIT)
def _strip_q_size(w, r):
    """Floats of working rows one _chroma_strip_q needs (the layout it carves; q <= r)."""
    ws = (w + 3) // 4
    nring = 2 * r + 2
    return (nring * (9 + _NCOEF) * _padded(ws) + (9 + _NCOEF + 2) * _padded(ws + 2 * r)
            + (9 + _NCOEF) * _padded(ws + 1) + 6 * _padded(2 * ws)
            + 2 * _NCOEF * _padded(4 * ws))


@njit(**_JIT)
def _chroma_strip_q(y, cb, cr, cb_out, cr_out, g0, g1, r, q, eps, work):
    """Colour-guided filter on 4x4 blocks for the full-res rows 4*g0 .. 4*g1 - 1.

    Levels, each a ring of rows computed on demand: block moments (ring_d), per-block model
    coefficients from the (2r+1)-block window sums (ring_ab), and for each corner row c the
    means of the coefficients over the 2q x 2q blocks around each corner (dst), which are
    at once interpolated along the row to full width (ex, rows c and c-1); full-res rows
    4(c-1) .. 4c-1 lie between corner rows c-1 and c. work: the strip's flat scratch buffer
    (_strip_q_size floats), carved into those rows.
    """
    h, w = y.shape
    hs = (h + 3) // 4
    ws = (w + 3) // 4
    length = 2 * r + 1
    nring = 2 * r + 2
    p = 0
    ring_d, p = _carve(work, p, nring * 9, ws)
    ring_d = ring_d.reshape((nring, 9, ring_d.shape[1]))
    ring_ab, p = _carve(work, p, nring * _NCOEF, ws)
    ring_ab = ring_ab.reshape((nring, _NCOEF, ring_ab.shape[1]))
    cs1, p = _carve(work, p, 9, ws + 2 * r)
    cs2, p = _carve(work, p, _NCOEF, ws + 2 * r)
    tmp, p = _carve(work, p, 2, ws + 2 * r)
    t0 = tmp[0]
    t1 = tmp[1]
    hb, p = _carve(work, p, 9, ws + 1)
    dst, p = _carve(work, p, _NCOEF, ws + 1)
    hr, p = _carve(work, p, 6, 2 * ws)
    ex, p = _carve(work, p, 2 * _NCOEF, 4 * ws)
    ex = ex.reshape((2, _NCOEF, ex.shape[1]))
    inv = _F(1.0 / (4 * length * length))
    scale = _F(1.0 / (4 * q * q))
    j_first = max(g0 - q, 0)
    d_first = max(j_first - r, 0)
    next_d = d_first
    next_ab = j_first
    for c in range(g0, g1 + 1):
        while next_ab <= min(c + q - 1, hs - 1):
            j = next_ab
            while next_d <= min(j + r, hs - 1):
                _block_moments(y, cb, cr, next_d, ws, hr, ring_d[next_d % nring])
                next_d += 1
            if j == j_first:
                for k in range(9):
                    cs1[k, r:r + ws] = _ZERO
                for i in range(j - r, j + r + 1):
                    src = ring_d[_clamp(i, 0, hs - 1) % nring]
                    for k in range(9):
                        _accumulate(cs1[k][r:], src[k], ws)
            else:
                add = ring_d[min(j + r, hs - 1) % nring]
                sub = ring_d[max(j - 1 - r, 0) % nring]
                for k in range(9):
                    _running_update(cs1[k][r:], add[k], sub[k], ws)
            _box_rows(cs1, 9, r, ws, hb, t0, t1)
            _chroma_model(hb, ws, inv, eps, scale, ring_ab[j % nring])
            next_ab += 1
        # Corner row c: sum of the coefficient rows c-q .. c+q-1 (clamped).
        if c == g0:
            for k in range(_NCOEF):
                cs2[k, q:q + ws] = _ZERO
            for i in range(c - q, c + q):
                src = ring_ab[_clamp(i, 0, hs - 1) % nring]
                for k in range(_NCOEF):
                    _accumulate(cs2[k][q:], src[k], ws)
        else:
            add = ring_ab[min(c + q - 1, hs - 1) % nring]
            sub = ring_ab[max(c - 1 - q, 0) % nring]
            for k in range(_NCOEF):
                _running_update(cs2[k][q:], add[k], sub[k], ws)
        for k in range(_NCOEF):
            _pad_edges(cs2[k], q, ws)
            _box_even(cs2[k], ws + 1, 2 * q, dst[k])
        _expand_corners(dst, ws, ex[c % 2])
        if c > g0:
            _emit_group_q(c - 1, ex[(c - 1) % 2], ex[c % 2], y, cb, cr, cb_out, cr_out)


@njit(**_PJIT)
def denoise_chroma(y, cb, cr, strength, radius, cb_out, cr_out):
    """Edge-preserving chroma noise reduction: colour-guided filter at reduced resolution.

    The guide is (Y', Cb, Cr) itself, so chroma edges are kept where either the luma or the
    chroma has a strong edge, while chroma wobbles (coloured blotches) that are small
    against sigma_e and not explained by the luma are averaged out. The window statistics
    are taken from 2x2-mean planes, the model is fitted on a coarser grid and its
    coefficients are upsampled bilinearly and applied to the full-resolution planes (He &
    Sun's "fast guided filter").
    strength in [0, 1]: sigma_e = CHROMA_EDGE_STOP * strength (eps = sigma_e^2); 0 copies.
    radius in 1..8 (clamped), full-resolution pixels; the filter reaches about 2*radius
    pixels (two cascaded boxes):
    - radius 1..3: model fitted at half resolution over windows of 2r+1 2x2 means, with
      r = ceil(radius/2); its coefficients are box-averaged over the same windows and
      upsampled 2x (fit samples centred on their 2x2 blocks).
    - radius 4..8: windows of 2r+1 4x4 blocks (r = 1 for radius 4, else 2) whose
      statistics still come from the 2x2 means of the blocks; the model of each block is
      averaged over the 2q x 2q blocks around each block corner (q = (radius+1)//4: 1 up
      to radius 6, then 2) and upsampled 4x from those corners. This fits a sixteenth of
      the pixels instead of a quarter.
    """
    h, w = y.shape
    if (cb.shape != y.shape or cr.shape != y.shape or cb_out.shape != y.shape
            or cr_out.shape != y.shape):
        raise ValueError("denoise_chroma: all planes must have the same shape")
    if strength <= 0.0:
        for row in prange(h):
            cb_out[row, :] = cb[row, :]
            cr_out[row, :] = cr[row, :]
        return
    s, r, q = _chroma_grid(radius)
    sig = max(CHROMA_EDGE_STOP * min(strength, 1.0), _MIN_EDGE_STOP)
    eps = _F(sig * sig)
    nring = 2 * r + 2
    if s == 4:
        if h == 0 or w == 0:
            return
        hs = (h + 3) // 4
        nq = min(2 * _NSTRIPS, hs)
        # One allocation for all strips' working rows (see _strip_q_size): separate arrays
        # were page-faulted in afresh on every call (~460 faults per 12 MP frame, now ~13).
        size = _strip_q_size(w, r)
        work = np.empty(nq * size, np.float32)
        for i in prange(nq):
            _chroma_strip_q(y, cb, cr, cb_out, cr_out, i * hs // nq, (i + 1) * hs // nq, r,
                            q, eps, work[i * size:(i + 1) * size])
        return
    h2 = (h + 1) // 2
    w2 = (w + 1) // 2
    nstrips = min(2 * _NSTRIPS, h2)
    ring_d = np.empty((nstrips, nring, 3, w2), np.float32)
    cs1 = np.empty((nstrips, 9, w2 + 2 * r), np.float32)
    ring_ab = np.empty((nstrips, nring, _NCOEF, w2), np.float32)
    cs2 = np.empty((nstrips, _NCOEF, w2 + 2 * r), np.float32)
    ring_m = np.empty((nstrips, 3, _NCOEF, w2), np.float32)
    hb = np.empty((nstrips, 9, w2), np.float32)
    tmp = np.empty((nstrips, 2, w2 + 2 * r), np.float32)
    for i in prange(nstrips):
        _chroma_strip(y, cb, cr, cb_out, cr_out, i * h2 // nstrips, (i + 1) * h2 // nstrips,
                      r, eps, ring_d[i], cs1[i], ring_ab[i], cs2[i], ring_m[i], hb[i],
                      tmp[i, 0], tmp[i, 1])
