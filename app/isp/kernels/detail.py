"""Late-stage ISP kernels: tone -> Y'CbCr, edge-preserving denoise, sharpen + colour + quantise.

The live preview must redraw within one display frame, so every kernel is a numba function
that streams over row strips (two per thread), keeps its working rows in small per-strip
ring buffers that stay in L2, and writes into arrays the caller owns and reuses frame after
frame (outputs must not alias inputs). Box filters keep running column sums and sum rows
directly (short windows) or by binary doubling (long ones), so their cost hardly grows with
the radius. Chroma noise reduction fits its model at half resolution (on 4x4 blocks from
radius 4 up, still from 2x2-mean statistics) and upsamples it while applying it. The tone
LUT the pipeline should pass is a TONE_LUT_SIZE-entry table on a square-root grid
(tone_lut_inputs, tone_to_ycc(..., sqrt_grid=True)).

Colour space: Y'CbCr with BT.709 coefficients, full range, Cb/Cr centred on 0, computed on
display-encoded R'G'B' (after the tone LUT). All arithmetic is float32.

Numba notes that shape the code: index expressions like ``a[x + k]`` with a signed ``k`` are
compiled with negative-index wraparound, which turns vector loads into gathers, so offset
rows are taken as views (``a[k:]``) and indexed by the loop counter only; float division is
compiled with ``error_model="numpy"`` so it is not guarded by a ZeroDivisionError branch; and
the fast-math flags leave out no-NaN/no-Inf so the NaN-safe clamps keep their meaning.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange, types
from numba.core.errors import TypingError
from numba.extending import overload

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

# Edge-stop scales: at strength 1, local structure whose standard deviation (in display-
# encoded code values, 1.0 = white) is well below this is smoothed, well above it is kept.
LUMA_EDGE_STOP = 0.1
CHROMA_EDGE_STOP = 0.08
# Below this edge-stop the filters would only reproduce their input (and the 3x3 solve of
# the chroma filter would lose precision), so smaller strengths are clamped up to it.
_MIN_EDGE_STOP = 0.002

MAX_RADIUS = 8
MAX_SHARPEN_TAPS = 16  # Gaussian half-width cap: sigma up to ~5.3 px

_ZERO = _F(0.0)
_ONE = _F(1.0)
_HALF = _F(0.5)
_QUARTER = _F(0.25)

# Strips per call: a multiple of the core count. It is frozen into the on-disk cache when a
# kernel compiles, so it follows the machine's core count rather than NUMBA_NUM_THREADS (a
# cache warmed single-threaded must not serialise later runs). It only tunes speed, never
# results. The kernels use two strips per core: on 2 cores that measured 15-25 % faster
# than one strip per core for the filters (1440x1080 and 4000x3000) despite the extra
# warm-up rows, presumably because the threads end together more often; more than two
# per core was no better.
_NSTRIPS = max(1, int(numba.config.NUMBA_DEFAULT_NUM_THREADS))
# Pixels per chunk of the tone kernel's row work: its three row buffers then stay in L1.
_TONE_CHUNK = 256
# Entries of the square-root-grid tone LUT the pipeline should build (see tone_to_ycc).
TONE_LUT_SIZE = 1024

_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_JIT = dict(cache=True, nogil=True, fastmath=_FASTMATH, error_model="numpy")
_PJIT = dict(_JIT, parallel=True)


# ---------------------------------------------------------------------------------------
# Row helpers.
# ---------------------------------------------------------------------------------------

@njit(**_JIT)
def _clamp(i, lo, hi):
    return min(max(i, lo), hi)


@njit(**_JIT)
def _pad_edges(buf, r, n):
    """Replicate the first/last of n interior samples (stored at buf[r:r+n]) into r-wide margins."""
    first = buf[r]
    last = buf[r + n - 1]
    for i in range(r):
        buf[i] = first
        buf[r + n + i] = last


@njit(**_JIT)
def _hbox_direct(src, n, length, dst):
    """dst[x] = sum(src[x:x+length]) for the short windows (length 1..9) in a single pass."""
    s1 = src[1:]
    s2 = src[2:]
    if length == 3:
        for x in range(n):
            dst[x] = (src[x] + s1[x]) + s2[x]
        return
    s3 = src[3:]
    s4 = src[4:]
    if length == 5:
        for x in range(n):
            dst[x] = (src[x] + s1[x]) + (s2[x] + s3[x]) + s4[x]
        return
    s5 = src[5:]
    s6 = src[6:]
    if length == 7:
        for x in range(n):
            dst[x] = ((src[x] + s1[x]) + (s2[x] + s3[x])) + ((s4[x] + s5[x]) + s6[x])
        return
    s7 = src[7:]
    s8 = src[8:]
    for x in range(n):
        dst[x] = (((src[x] + s1[x]) + (s2[x] + s3[x])) + ((s4[x] + s5[x]) + (s6[x] + s7[x]))
                  + s8[x])


@njit(**_JIT)
def _hbox(src, n, length, dst, t0, t1):
    """dst[x] = sum(src[x:x+length]) for x < n (length odd, 1..17).

    Windows up to 9 are summed directly in one vectorised pass (the shifted loads hit L1).
    Longer ones use binary doubling: sums of 2, 4, 8, ... neighbours are built in ping-pong
    buffers and the set bits of `length` are added up, so a 17-wide box costs 6 passes
    instead of 16 adds per sample or a serial running sum (whose add latency dominates).
    """
    if length == 1:
        for x in range(n):
            dst[x] = src[x]
        return
    if length <= 9:
        _hbox_direct(src, n, length, dst)
        return
    valid = n + length - 1
    cur = src
    first = True
    off = 0
    p = 1
    flip = False
    while True:
        if length & p:
            shifted = cur[off:]
            if first:
                for x in range(n):
                    dst[x] = shifted[x]
                first = False
            else:
                for x in range(n):
                    dst[x] += shifted[x]
            off += p
        if 2 * p > length:
            break
        nxt = t1 if flip else t0
        flip = not flip
        valid -= p
        shifted = cur[p:]
        for x in range(valid):
            nxt[x] = cur[x] + shifted[x]
        cur = nxt
        p *= 2


@njit(**_JIT)
def _running_update(acc, add, sub, n):
    """acc[x] += add[x] - sub[x]: one step of a running column sum."""
    for x in range(n):
        acc[x] += add[x] - sub[x]


@njit(**_JIT)
def _box_rows(cs, nchan, r, n, out, t0, t1):
    """Replicate-pad each channel's column sums and box-sum them along the row into out."""
    length = 2 * r + 1
    for c in range(nchan):
        _pad_edges(cs[c], r, n)
        _hbox(cs[c], n, length, out[c], t0, t1)


# ---------------------------------------------------------------------------------------
# Tone + colour conversion.
# ---------------------------------------------------------------------------------------

@njit(**_JIT)
def _tone_chunk(src, m, table, top, yr, cbr, crr, idx, frac, pairs):
    """Tone-map m interleaved R'G'B' pixels (uniform-grid LUT) and convert them to Y'CbCr.

    Split in three loops so that only the table reads stay scalar (AVX-512 gathers are
    slower than scalar loads on this class of CPU): clamp + index/fraction per channel
    (vector, de-interleaving), (value, slope) pair fetch (scalar, one 8-byte load per
    sample), interpolation + colour matrix (vector). The buffers hold one chunk so they
    stay in L1. Compare-and-select clamps so that NaN lands on 0 and the index is always
    in range. (Kept as one function per grid: split into helpers it runs slower.)
    """
    ir = idx[0]
    ig = idx[1]
    ib = idx[2]
    fr = frac[0]
    fg = frac[1]
    fb = frac[2]
    for x in range(m):
        r_ = src[3 * x]
        g_ = src[3 * x + 1]
        b_ = src[3 * x + 2]
        r_ = r_ if r_ > _ZERO else _ZERO
        g_ = g_ if g_ > _ZERO else _ZERO
        b_ = b_ if b_ > _ZERO else _ZERO
        r_ = (r_ if r_ < _ONE else _ONE) * top
        g_ = (g_ if g_ < _ONE else _ONE) * top
        b_ = (b_ if b_ < _ONE else _ONE) * top
        kr = np.int32(r_)
        kg = np.int32(g_)
        kb = np.int32(b_)
        ir[x] = kr
        ig[x] = kg
        ib[x] = kb
        fr[x] = r_ - _F(kr)
        fg[x] = g_ - _F(kg)
        fb[x] = b_ - _F(kb)
    pr = pairs[0]
    pg = pairs[1]
    pb = pairs[2]
    for x in range(m):
        pr[x] = table[np.uint32(ir[x])]
        pg[x] = table[np.uint32(ig[x])]
        pb[x] = table[np.uint32(ib[x])]
    vr = pr.view(np.float32)
    vg = pg.view(np.float32)
    vb = pb.view(np.float32)
    for x in range(m):
        rp = vr[2 * x] + fr[x] * vr[2 * x + 1]
        gp = vg[2 * x] + fg[x] * vg[2 * x + 1]
        bp = vb[2 * x] + fb[x] * vb[2 * x + 1]
        yy = _KR * rp + _KG * gp + _KB * bp
        yr[x] = yy
        cbr[x] = (bp - yy) * _TO_CB
        crr[x] = (rp - yy) * _TO_CR


@njit(**_JIT)
def _tone_chunk_sqrt(src, m, table, top, yr, cbr, crr, idx, frac, pairs):
    """_tone_chunk for a square-root-grid LUT: the position is sqrt(x)*(N-1)."""
    ir = idx[0]
    ig = idx[1]
    ib = idx[2]
    fr = frac[0]
    fg = frac[1]
    fb = frac[2]
    for x in range(m):
        r_ = src[3 * x]
        g_ = src[3 * x + 1]
        b_ = src[3 * x + 2]
        r_ = r_ if r_ > _ZERO else _ZERO
        g_ = g_ if g_ > _ZERO else _ZERO
        b_ = b_ if b_ > _ZERO else _ZERO
        r_ = np.sqrt(r_ if r_ < _ONE else _ONE) * top
        g_ = np.sqrt(g_ if g_ < _ONE else _ONE) * top
        b_ = np.sqrt(b_ if b_ < _ONE else _ONE) * top
        kr = np.int32(r_)
        kg = np.int32(g_)
        kb = np.int32(b_)
        ir[x] = kr
        ig[x] = kg
        ib[x] = kb
        fr[x] = r_ - _F(kr)
        fg[x] = g_ - _F(kg)
        fb[x] = b_ - _F(kb)
    pr = pairs[0]
    pg = pairs[1]
    pb = pairs[2]
    for x in range(m):
        pr[x] = table[np.uint32(ir[x])]
        pg[x] = table[np.uint32(ig[x])]
        pb[x] = table[np.uint32(ib[x])]
    vr = pr.view(np.float32)
    vg = pg.view(np.float32)
    vb = pb.view(np.float32)
    for x in range(m):
        rp = vr[2 * x] + fr[x] * vr[2 * x + 1]
        gp = vg[2 * x] + fg[x] * vg[2 * x + 1]
        bp = vb[2 * x] + fb[x] * vb[2 * x + 1]
        yy = _KR * rp + _KG * gp + _KB * bp
        yr[x] = yy
        cbr[x] = (bp - yy) * _TO_CB
        crr[x] = (rp - yy) * _TO_CR


def tone_lut_inputs(n=None):
    """Linear inputs (float64) at which to sample the tone response for a square-root-grid
    LUT: x_i = (i/(n-1))**2, n = TONE_LUT_SIZE by default. The response there, as float32,
    is the lut for tone_to_ycc(..., sqrt_grid=True)."""
    u = np.linspace(0.0, 1.0, TONE_LUT_SIZE if n is None else int(n))
    return u * u


@njit(**_PJIT)
def tone_to_ycc(rgb, lut, y, cb, cr, sqrt_grid=False):
    """Apply the tone LUT per channel and convert to Y'CbCr (BT.709, full range).

    rgb: HxWx3 float32, C-contiguous, linear. lut: float32[N], N >= 2, read with linear
    interpolation after clamping the input x to [0, 1] (NaN reads as 0). y, cb, cr: HxW
    float32 outputs (must not alias rgb).

    Uniform grid (sqrt_grid False): lut[i] is the transfer at x = i/(N-1).
    Square-root grid (sqrt_grid True): lut[i] is the transfer at x = (i/(N-1))**2 (sample
    at tone_lut_inputs(N)) and is read at sqrt(x)*(N-1). It puts its samples where display
    transfers bend (the shadows: a pure power's slope is unbounded at 0), so a
    TONE_LUT_SIZE-entry table is more accurate than an 8192-entry uniform one for sRGB and
    gamma transfers, and small enough (8 KB of (value, slope) pairs) to stay in L1, which
    is what the scalar table reads are bound by. Use it for the pipeline.
    """
    h, w = y.shape
    if rgb.shape[0] != h or rgb.shape[1] != w or rgb.shape[2] != 3:
        raise ValueError("tone_to_ycc: rgb must be HxWx3 with the planes' H and W")
    if cb.shape != y.shape or cr.shape != y.shape:
        raise ValueError("tone_to_ycc: y, cb and cr must have the same shape")
    n = lut.shape[0]
    if n < 2:
        raise ValueError("tone_to_ycc: the LUT needs at least 2 entries")
    # (value, slope) pairs so that one 8-byte load fetches both interpolation operands.
    pair_tab = np.empty(2 * n, np.float32)
    for i in range(n - 1):
        pair_tab[2 * i] = lut[i]
        pair_tab[2 * i + 1] = lut[i + 1] - lut[i]
    pair_tab[2 * n - 2] = lut[n - 1]
    pair_tab[2 * n - 1] = _ZERO
    table = pair_tab.view(np.uint64)
    top = _F(n - 1)
    sq = bool(sqrt_grid)
    flat = rgb.reshape(h, 3 * w)
    # More strips than threads: this kernel is bound by scalar loads, which balance poorly.
    nstrips = min(2 * _NSTRIPS, h)
    chunk = _TONE_CHUNK
    idx = np.empty((nstrips, 3, chunk), np.int32)
    frac = np.empty((nstrips, 3, chunk), np.float32)
    pairs = np.empty((nstrips, 3, chunk), np.uint64)
    if sq:
        for s in prange(nstrips):
            for row in range(s * h // nstrips, (s + 1) * h // nstrips):
                src = flat[row]
                yr = y[row]
                cbr = cb[row]
                crr = cr[row]
                for x0 in range(0, w, chunk):
                    _tone_chunk_sqrt(src[3 * x0:], min(chunk, w - x0), table, top, yr[x0:],
                                     cbr[x0:], crr[x0:], idx[s], frac[s], pairs[s])
    else:
        for s in prange(nstrips):
            for row in range(s * h // nstrips, (s + 1) * h // nstrips):
                src = flat[row]
                yr = y[row]
                cbr = cb[row]
                crr = cr[row]
                for x0 in range(0, w, chunk):
                    _tone_chunk(src[3 * x0:], min(chunk, w - x0), table, top, yr[x0:],
                                cbr[x0:], crr[x0:], idx[s], frac[s], pairs[s])


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
    for x in range(w):
        yy = yr[x]
        c_b = cbr[x]
        c_r = crr[x]
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


# ---------------------------------------------------------------------------------------
# Luma noise reduction: self-guided filter, full resolution.
# ---------------------------------------------------------------------------------------

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
    a0, a1, a2, a3, a4 = _box5_views(s_a, r, zero)
    b0, b1, b2, b3, b4 = _box5_views(s_b, r, zero)
    for x in range(n):
        sa = ((a0[x] + a1[x]) + (a2[x] + a3[x])) + a4[x]
        sb = ((b0[x] + b1[x]) + (b2[x] + b3[x])) + b4[x]
        dst[x] = (sa * (src[x] - _HALF) + sb) * inv + _HALF


@njit(**_JIT)
def _luma_strip(img, out, y0, y1, r, eps, ring_a, ring_b, cs, hb, t0, t1, zero):
    """Guided filter (guide = input) for output rows [y0, y1).

    Stage 1 keeps running column sums of I and I^2 and turns each row of box means into the
    per-pixel linear model q = a*I + b with a = var/(var+eps); stage 2 keeps running column
    sums of a and b over a ring of 2r+2 rows and applies their box means to I. Rows and
    columns outside the image replicate the border. I is centred on 0.5 for the sums so the
    float32 running sums stay small. For radius <= 2 the row box sums are fused into the
    loops that use them (zero: a row of zeros standing in for the taps of a 3-wide box).
    """
    h, w = img.shape
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
            v = src[x] - _HALF
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
                    a_ = add[x] - _HALF
                    b_ = sub[x] - _HALF
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
                dst[x] = (m_i[x] * (src[x] - _HALF) + m_ii[x]) * inv + _HALF


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
    """Half-resolution row j (2x2 means; odd edges repeat the last row/column) into dst[3]."""
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
        # Centre the guide luma so the float32 second moments do not cancel catastrophically.
        off = _HALF if c == 0 else _ZERO
        for m in range(half):
            d[m] = ((a[2 * m] + a[2 * m + 1]) + (b[2 * m] + b[2 * m + 1])) * _QUARTER - off
        if w & 1:
            d[w2 - 1] = (a[w - 1] + b[w - 1]) * _HALF - off


@njit(**_JIT)
def _accumulate(acc, a, n):
    """acc[x] += a[x]."""
    for x in range(n):
        acc[x] += a[x]


@njit(**_JIT)
def _moments_add(cs, row_d, r, n):
    """Add one downsampled row's 3 channels and 6 products to the column sums (initial fill)."""
    yv = row_d[0]
    bv = row_d[1]
    rv = row_d[2]
    s_y = cs[_C_Y][r:]
    s_b = cs[_C_B][r:]
    s_r = cs[_C_R][r:]
    s_yy = cs[_C_YY][r:]
    s_yb = cs[_C_YB][r:]
    s_yr = cs[_C_YR][r:]
    s_bb = cs[_C_BB][r:]
    s_br = cs[_C_BR][r:]
    s_rr = cs[_C_RR][r:]
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
    s_y = cs[_C_Y][r:]
    s_b = cs[_C_B][r:]
    s_r = cs[_C_R][r:]
    s_yy = cs[_C_YY][r:]
    s_yb = cs[_C_YB][r:]
    s_yr = cs[_C_YR][r:]
    s_bb = cs[_C_BB][r:]
    s_br = cs[_C_BR][r:]
    s_rr = cs[_C_RR][r:]
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
        ye = y1[2 * i]
        be = b1[2 * i]
        re = r1[2 * i]
        yo = y1[2 * i + 1]
        bo = b1[2 * i + 1]
        ro = r1[2 * i + 1]
        x2 = v2[i] + _QUARTER * d2
        cbd[2 * i] = ((v0[i] + _QUARTER * d0) * ye + (v1[i] + _QUARTER * d1) * be + x2 * re
                      + (v3[i] + _QUARTER * d3))
        crd[2 * i] = ((v4[i] + _QUARTER * d4) * ye + x2 * be + (v5[i] + _QUARTER * d5) * re
                      + (v6[i] + _QUARTER * d6))
        x2 = n2[i] - _QUARTER * d2
        cbd[2 * i + 1] = ((n0[i] - _QUARTER * d0) * yo + (n1[i] - _QUARTER * d1) * bo
                          + x2 * ro + (n3[i] - _QUARTER * d3))
        crd[2 * i + 1] = ((n4[i] - _QUARTER * d4) * yo + x2 * bo + (n5[i] - _QUARTER * d5) * ro
                          + (n6[i] - _QUARTER * d6))
    _apply_pixel(vb, 0, yr, cbr, crr, cb_dst, cr_dst, 0)
    if (w & 1) == 0:
        _apply_pixel(vb, w2 - 1, yr, cbr, crr, cb_dst, cr_dst, w - 1)


@njit(**_JIT)
def _apply_pixel(vb, m, yr, cbr, crr, cb_dst, cr_dst, x):
    """Apply the half-resolution coefficients at sample m to full-resolution pixel x."""
    yv = yr[x]
    bv = cbr[x]
    rv = crr[x]
    x2 = vb[2, m]
    cb_dst[x] = vb[0, m] * yv + vb[1, m] * bv + x2 * rv + vb[3, m]
    cr_dst[x] = vb[4, m] * yv + x2 * bv + vb[5, m] * rv + vb[6, m]


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
def _half_rows(src, row0, n, off, da, db):
    """n 2x2 means of rows row0, row0+1 (into da) and of rows row0+2, row0+3 (into db) of
    src, minus off, in one pass over the four rows. Rows and columns past the plane repeat
    its last one (the plane edge-padded to a multiple of 4)."""
    h, w = src.shape
    a = src[min(row0, h - 1)]
    b = src[min(row0 + 1, h - 1)]
    c = src[min(row0 + 2, h - 1)]
    d = src[min(row0 + 3, h - 1)]
    half = w // 2
    for m in range(half):
        da[m] = ((a[2 * m] + a[2 * m + 1]) + (b[2 * m] + b[2 * m + 1])) * _QUARTER - off
        db[m] = ((c[2 * m] + c[2 * m + 1]) + (d[2 * m] + d[2 * m + 1])) * _QUARTER - off
    last_a = (a[w - 1] + b[w - 1]) * _HALF - off
    last_b = (c[w - 1] + d[w - 1]) * _HALF - off
    for m in range(half, n):
        da[m] = last_a
        db[m] = last_b


@njit(**_JIT)
def _block_moments(y, cb, cr, j, ws, hr, dst):
    """Block row j of the quarter-resolution fit: for each 4x4 block, the sums over its four
    2x2 means of Y' - 1/2, Cb, Cr and of their six products into dst[9] (channels _C_*).
    hr: 6 half-resolution scratch rows (Y, Cb, Cr of the block's upper then lower half)."""
    n = 2 * ws
    _half_rows(y, 4 * j, n, _HALF, hr[0], hr[3])
    _half_rows(cb, 4 * j, n, _ZERO, hr[1], hr[4])
    _half_rows(cr, 4 * j, n, _ZERO, hr[2], hr[5])
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
        yv = ya[x]
        bv = ba[x]
        rv = ra[x]
        x2 = a2 + fa * d2
        cba[x] = (a0 + fa * d0) * yv + (a1 + fa * d1) * bv + x2 * rv + (a3 + fa * d3)
        cra[x] = (a4 + fa * d4) * yv + x2 * bv + (a5 + fa * d5) * rv + (a6 + fa * d6)
        yv = yb[x]
        bv = bb[x]
        rv = rb[x]
        x2 = a2 + fb * d2
        cbb[x] = (a0 + fb * d0) * yv + (a1 + fb * d1) * bv + x2 * rv + (a3 + fb * d3)
        crb[x] = (a4 + fb * d4) * yv + x2 * bv + (a5 + fb * d5) * rv + (a6 + fb * d6)


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


# ---------------------------------------------------------------------------------------
# Sharpening + saturation/hue + conversion to R'G'B' + quantisation.
# ---------------------------------------------------------------------------------------

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


@njit(**_PJIT)
def sharpen_finish(y, cb, cr, sharpen_on, sigma, strength, threshold, limit, saturation,
                   hue_degrees, out):
    """Final stage: unsharp mask on Y', saturation and hue on (Cb, Cr), R'G'B', quantisation.

    sigma: Gaussian std in pixels of the blur that defines detail (0.3..5; taps to 3 sigma).
    strength: gain of the detail added back (0..4). threshold: detail amplitude below which
    nothing is added, soft (0..0.2 of full scale). limit: largest change to a pixel's luma
    (0..1 of full scale). saturation: chroma gain (0 = grey). hue_degrees: rotation of
    (Cb, Cr), counter-clockwise. out: HxWx3 uint8 / uint16 / float32, values clamped to the
    type's range ([0, 1] for float32) and rounded to nearest for integers.
    """
    h, w = y.shape
    _check_planes(y, cb, cr, out)
    scale, offset = _quant_params(out)
    coef = _chroma_matrix(saturation, hue_degrees)
    taps = _gaussian_taps(sigma)
    k = taps.shape[0] - 1
    st = _F(strength)
    th = _F(max(threshold, 0.0))
    lim = _F(max(limit, 0.0))
    nstrips = min(2 * _NSTRIPS, h)
    vrow = np.empty((nstrips, w + 2 * k), np.float32)
    bufs = np.empty((nstrips, 2, w), np.float32)
    for s in prange(nstrips):
        for row in range(s * h // nstrips, (s + 1) * h // nstrips):
            if sharpen_on:
                _sharpen_row(y, row, taps, st, th, lim, vrow[s], bufs[s, 0], bufs[s, 1])
                yr = bufs[s, 1]
            else:
                yr = y[row]
            _store_rgb(yr, cb[row], cr[row], coef, out[row], w, scale, offset)
