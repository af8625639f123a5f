"""The finishing kernel: tone curve, sharpening, saturation/hue and quantisation in one pass.

Input: the denoised Y'CbCr planes in the noise-reduction encoding (encode.py). Each row is
decoded to R'G'B', put through the tone LUT (which maps encoded values straight to display
values, so no square root or square is needed), converted to display Y'CbCr, unsharp-masked
and written out as RGB. Sharpening needs the toned luma of 2k neighbouring rows, so every
strip keeps them in a small ring: each row is toned once, and nothing but the output image
is written to memory. This is the whole re-render after a tone, sharpening or colour edit.

The ring stores each toned luma row twice (slots s and s + n), so the 2k+1 rows around any
output row are one contiguous 2-D view and the plain unsharp-mask row kernel reads it.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from app.isp.kernels.planes import chroma_decoding, luma_decoding
from app.isp.kernels.rows import _JIT, _NSTRIPS, _PJIT
from app.isp.kernels.sharpen import _gaussian_taps, _sharpen_row
from app.isp.kernels.ycc import (_B_FROM_CB, _G_FROM_CB, _G_FROM_CR, _KB, _KG, _KR, _R_FROM_CR,
                                 _TO_CB, _TO_CR, _check_planes, _chroma_matrix, _quant_params,
                                 _store_rgb)

_F = np.float32
_ZERO = _F(0.0)
_ONE = _F(1.0)
# Pixels per chunk of the tone step: its index, fraction and pair buffers then stay in L1.
_CHUNK = 256
# Entries of the tone LUT the pipeline should build (see tone_lut_inputs): its (value, slope)
# pairs take 8 KB, so the scalar table reads the tone step is bound by hit L1.
TONE_LUT_SIZE = 1024


def tone_lut_inputs(n: int | None = None) -> np.ndarray:
    """Linear inputs (float64) at which to sample the tone response for `finish`'s LUT:
    x_i = (i/(n-1))**2, i.e. a uniform grid of encoded (square-root) values; n = TONE_LUT_SIZE
    by default. The grid is finest where display transfers bend (the shadows), so 1024 entries
    are more accurate than an 8192-entry uniform table in linear values."""
    u = np.linspace(0.0, 1.0, TONE_LUT_SIZE if n is None else int(n))
    return u * u
_RC = _F(_R_FROM_CR)
_GB = _F(_G_FROM_CB)
_GR = _F(_G_FROM_CR)
_BB = _F(_B_FROM_CB)


@njit(**_JIT)
def _pair_table(lut):
    """(value, slope) pairs as uint64, so one 8-byte load fetches both interpolation operands."""
    n = lut.shape[0]
    pair_tab = np.empty(2 * n, np.float32)
    for i in range(n - 1):
        pair_tab[2 * i] = lut[i]
        pair_tab[2 * i + 1] = lut[i + 1] - lut[i]
    pair_tab[2 * n - 2] = lut[n - 1]
    pair_tab[2 * n - 1] = _ZERO
    return pair_tab.view(np.uint64)


@njit(**_JIT)
def _tone_chunk(yr, cbr, crr, m, table, top, ty, tcb, tcr, idx, frac, pairs):
    """m pixels: encoded Y'CbCr -> R'G'B' -> tone LUT (linear interpolation) -> display Y'CbCr.

    Three loops so that only the table reads stay scalar (gathers are slower than scalar
    loads on this class of CPU): decode + clamp + index/fraction per channel (vector),
    (value, slope) pair fetch (scalar, one 8-byte load per sample), interpolation + colour
    matrix (vector). Compare-and-select clamps put NaN on 0 and keep indices in range.
    """
    ir = idx[0]
    ig = idx[1]
    ib = idx[2]
    fr = frac[0]
    fg = frac[1]
    fb = frac[2]
    sy, oy = luma_decoding(yr)
    sc, oc = chroma_decoding(cbr)
    for x in range(m):
        yy = _F(yr[x]) * sy + oy
        b_ = _F(cbr[x]) * sc + oc
        r_ = _F(crr[x]) * sc + oc
        rr = yy + _RC * r_
        gg = yy + _GB * b_ + _GR * r_
        bb = yy + _BB * b_
        rr = (min(rr, _ONE) if rr > _ZERO else _ZERO) * top
        gg = (min(gg, _ONE) if gg > _ZERO else _ZERO) * top
        bb = (min(bb, _ONE) if bb > _ZERO else _ZERO) * top
        kr = np.int32(rr)
        kg = np.int32(gg)
        kb = np.int32(bb)
        ir[x] = kr
        ig[x] = kg
        ib[x] = kb
        fr[x] = rr - _F(kr)
        fg[x] = gg - _F(kg)
        fb[x] = bb - _F(kb)
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
        yo = _KR * rp + _KG * gp + _KB * bp
        ty[x] = yo
        tcb[x] = (bp - yo) * _TO_CB
        tcr[x] = (rp - yo) * _TO_CR


@njit(**_JIT)
def _tone_row(yr, cbr, crr, w, table, top, ty, tcb, tcr, idx, frac, pairs):
    """One encoded Y'CbCr row -> its toned display Y'CbCr row, in L1-sized chunks."""
    for x0 in range(0, w, _CHUNK):
        _tone_chunk(yr[x0:], cbr[x0:], crr[x0:], min(_CHUNK, w - x0), table, top, ty[x0:],
                    tcb[x0:], tcr[x0:], idx, frac, pairs)


@njit(**_PJIT)
def finish(y, cb, cr, lut, sharpen_on, sigma, strength, threshold, limit, saturation,
           hue_degrees, out):
    """Tone + unsharp mask + saturation/hue + R'G'B' quantisation, streaming over row strips.

    y, cb, cr: HxW float32 or uint16 codes (planes.py) in the noise-reduction encoding. lut: float32[N >= 2], the display
    value at encoded input i/(N-1) (linear (i/(N-1))**2), read with linear interpolation after
    clamping to [0, 1]. Sharpening (sigma, strength, threshold, limit) and colour (saturation,
    hue_degrees) follow sharpen._sharpen_row and ycc._chroma_matrix: sigma is the Gaussian std
    in pixels (taps to 3 sigma), strength the gain of the detail added back, threshold a soft
    threshold below which detail is left alone, limit the largest change of a pixel's luma;
    saturation scales (Cb, Cr), hue_degrees turns them counter-clockwise. Sharpening applies
    to the toned luma. out: HxWx3 uint8 / uint16 / float32, clamped to the type's range
    ([0, 1] for float32) and rounded to nearest for integers.
    """
    h, w = y.shape
    _check_planes(y, cb, cr, out)
    if lut.shape[0] < 2:
        raise ValueError("finish: the LUT needs at least 2 entries")
    scale, offset = _quant_params(out)
    coef = _chroma_matrix(saturation, hue_degrees)
    table = _pair_table(lut)
    top = _F(lut.shape[0] - 1)
    taps = _gaussian_taps(sigma)
    k = taps.shape[0] - 1 if sharpen_on else 0
    st = _F(strength)
    th = _F(max(threshold, 0.0))
    lim = _F(max(limit, 0.0))
    nring = 2 * k + 1
    nstrips = min(2 * _NSTRIPS, h)
    ring_y = np.empty((nstrips, 2 * nring, w), np.float32)
    ring_c = np.empty((nstrips, 2, nring, w), np.float32)
    idx = np.empty((nstrips, 3, _CHUNK), np.int32)
    frac = np.empty((nstrips, 3, _CHUNK), np.float32)
    pairs = np.empty((nstrips, 3, _CHUNK), np.uint64)
    vrow = np.empty((nstrips, w + 2 * k), np.float32)
    bufs = np.empty((nstrips, 2, w), np.float32)
    for s in prange(nstrips):
        r0 = s * h // nstrips
        r1 = (s + 1) * h // nstrips
        ry = ring_y[s]
        rcb = ring_c[s, 0]
        rcr = ring_c[s, 1]
        # Virtual row v is source row clamp(v) (replicated borders); output row v - k is
        # ready once rows v - 2k .. v are in the ring.
        for v in range(r0 - k, r1 + k):
            src = min(max(v, 0), h - 1)
            slot = v % nring
            _tone_row(y[src], cb[src], cr[src], w, table, top, ry[slot], rcb[slot], rcr[slot],
                      idx[s], frac[s], pairs[s])
            if k > 0:
                ry[slot + nring, :] = ry[slot]
            row = v - k
            if row < r0:
                continue
            centre = row % nring
            if k > 0:
                start = (row - k) % nring
                _sharpen_row(ry[start:start + nring], k, taps, st, th, lim, vrow[s],
                             bufs[s, 0], bufs[s, 1])
                yr = bufs[s, 1]
            else:
                yr = ry[centre]
            _store_rgb(yr, rcb[centre], rcr[centre], coef, out[row], w, scale, offset)
