"""The front end of a full-frame render in one streaming pass: raw corrections, demosaic and
the noise-reduction encoding, row by row.

Each strip of output rows keeps the corrected mosaic rows the demosaic reads in a small ring
(8 rows, so the 5 rows around any output row never collide) and demosaics one row at a time
into a row buffer that it encodes at once, so neither the float mosaic nor camera RGB of the
frame is ever written to memory: only the uint16 sensor data is read and the Y'CbCr planes
written. The row functions are the staged kernels' own (mosaic.correct_row, the demosaic
row loops, encode.encode_row), so the output is bit-identical to running those kernels one
after the other (tested). RCD works on tiles and is not streamed (the pipeline bands it).

`bin_front` does the same for the fitted preview: each binned row (mosaic.bin_row) goes
straight into the encoding, so the preview's camera RGB is not written either.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from app.isp.kernels.demosaic import (_bil_row, _cfa_rows, _mhc_row, _mirror, _none_row, _u0,
                                      _u1, _u2)
from app.isp.kernels.encode import encode_row
from app.isp.kernels.mosaic import _BIN_STRIPS, bin_row, bin_tables, correct_row, correction_tables
from app.isp.kernels.rows import _NSTRIPS

# Demosaic methods this kernel streams, by the code it takes.
METHODS = ("none", "bilinear", "mhc")
_RING = 8  # a power of two above the 5 rows MHC reads


@njit(cache=True, nogil=True)
def _mosaic_row(r, raw, y0, x0, ring, tags, tables, dpc_on, dpc_strength):
    """Corrected mosaic row r of the window (computed on first use, then kept in the ring)."""
    slot = r & (_RING - 1)
    if tags[slot] != r:
        correct_row(raw, y0 + r, x0, ring[slot], tables, dpc_on, dpc_strength, True)
        tags[slot] = r
    return ring[slot]


@njit(cache=True, nogil=True)
def _demosaic_row(method, y, h, w, channels, cfa, rows, rgb):
    """Camera RGB of window row y from the corrected rows _mirror(y-2 .. y+2) (rows[0..4]),
    as the demosaic kernels compute it (the same inlined row loops)."""
    if method == 0:
        p = y & 1
        ce = channels[p, 0]
        cd = channels[p, 1]
        of = rgb.reshape(-1)
        if ce == 0:
            _none_row(rows[2], of, w, _u0, _u1)
        elif ce == 2:
            _none_row(rows[2], of, w, _u2, _u1)
        elif cd == 0:
            _none_row(rows[2], of, w, _u1, _u0)
        else:
            _none_row(rows[2], of, w, _u1, _u2)
        return
    cr0, nx0, cr1, nx1 = cfa
    if y & 1:
        cr, nx = cr1, nx1
    else:
        cr, nx = cr0, nx0
    if method == 1:
        if cr == 0:
            _bil_row(rows[1], rows[2], rows[3], rgb, w, nx, _u0, _u2)
        else:
            _bil_row(rows[1], rows[2], rows[3], rgb, w, nx, _u2, _u0)
    elif cr == 0:
        _mhc_row(rows[0], rows[1], rows[2], rows[3], rows[4], rgb, w, nx, _u0, _u2)
    else:
        _mhc_row(rows[0], rows[1], rows[2], rows[3], rows[4], rgb, w, nx, _u2, _u0)


@njit(cache=True, nogil=True, parallel=True)
def front(raw, y0, x0, black, scale, dpc_on, dpc_threshold, dpc_strength, lsc, lsc_strength,
          channels, method, matrix, y, cb, cr):
    """raw[y0:y0+H, x0:x0+W] -> the Y'CbCr planes y, cb, cr (HxW, planes.py types).

    The arguments are those of mosaic.correct_mosaic (with clip_white on), demosaic (channels;
    method: an index into METHODS) and encode.encode_for_nr (matrix).
    """
    h, w = y.shape
    if h < 8 or w < 8:
        raise ValueError("front: the window must be at least 8x8 pixels")
    if cb.shape != y.shape or cr.shape != y.shape:
        raise ValueError("front: y, cb and cr must have the same shape")
    if method < 0 or method >= len(METHODS):
        raise ValueError("front: unknown demosaic method code")
    cfa = _cfa_rows(channels)
    full_h, full_w = raw.shape
    tables = correction_tables(full_h, full_w, y0, x0, h, w, black, scale, dpc_threshold, lsc,
                               lsc_strength)
    nstrips = min(2 * _NSTRIPS, h)
    ring = np.empty((nstrips, _RING, w), np.float32)
    tags = np.full((nstrips, _RING), -1, np.int64)
    rgb = np.empty((nstrips, w, 3), np.float32)
    for s in prange(nstrips):
        for row in range(s * h // nstrips, (s + 1) * h // nstrips):
            r2m = _mosaic_row(_mirror(row - 2, h), raw, y0, x0, ring[s], tags[s], tables,
                              dpc_on, dpc_strength)
            r1m = _mosaic_row(_mirror(row - 1, h), raw, y0, x0, ring[s], tags[s], tables,
                              dpc_on, dpc_strength)
            r0 = _mosaic_row(row, raw, y0, x0, ring[s], tags[s], tables, dpc_on,
                             dpc_strength)
            r1p = _mosaic_row(_mirror(row + 1, h), raw, y0, x0, ring[s], tags[s], tables,
                              dpc_on, dpc_strength)
            r2p = _mosaic_row(_mirror(row + 2, h), raw, y0, x0, ring[s], tags[s], tables,
                              dpc_on, dpc_strength)
            _demosaic_row(method, row, h, w, channels, cfa, (r2m, r1m, r0, r1p, r2p), rgb[s])
            encode_row(rgb[s].reshape(-1), matrix, y[row], cb[row], cr[row])


@njit(cache=True, nogil=True, parallel=True)
def bin_front(raw, black, scale, colour_of, lsc, lsc_strength, matrix, y, cb, cr):
    """The fitted preview's planes (oh x ow, planes.py types) straight from the mosaic:
    mosaic.bin_preview (with clip_white on) and encode.encode_for_nr in one pass."""
    oh, ow = y.shape
    if cb.shape != y.shape or cr.shape != y.shape:
        raise ValueError("bin_front: y, cb and cr must have the same shape")
    tables = bin_tables(raw, oh, ow, scale, colour_of, lsc, lsc_strength)
    tw = raw.shape[1] // 2
    n_strips = min(oh, _BIN_STRIPS)
    acc = np.zeros((n_strips, 3, tw + tables[2]), np.float32)  # padded for acc[t + k]
    mean = np.empty((n_strips, 3, tw), np.float32)
    rgb = np.empty((n_strips, ow, 3), np.float32)
    for s in prange(n_strips):
        for oy in range(s * oh // n_strips, (s + 1) * oh // n_strips):
            bin_row(raw, oy, oh, rgb[s], tables, black, colour_of, True, acc[s], mean[s])
            encode_row(rgb[s].reshape(-1), matrix, y[oy], cb[oy], cr[oy])
