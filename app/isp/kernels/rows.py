"""Shared machinery of the plane kernels: numba flags, float32 constants, strips, box-filter rows.

The live preview must redraw within one display frame, so every plane kernel is a numba
function that streams over row strips (two per thread), keeps its working rows in small
per-strip ring buffers that stay in L2, and writes into arrays the caller owns and reuses
frame after frame (outputs must not alias inputs). Box filters keep running column sums and
sum rows directly (short windows) or by binary doubling (long ones), so their cost hardly
grows with the radius. All arithmetic is float32.

Numba notes that shape the code: index expressions like ``a[x + k]`` with a signed ``k`` are
compiled with negative-index wraparound, which turns vector loads into gathers, so offset
rows are taken as views (``a[k:]``) and indexed by the loop counter only; float division is
compiled with ``error_model="numpy"`` so it is not guarded by a ZeroDivisionError branch; and
the fast-math flags leave out no-NaN/no-Inf so the NaN-safe clamps keep their meaning.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit

_F = np.float32
_ZERO = _F(0.0)
_ONE = _F(1.0)
_HALF = _F(0.5)
_QUARTER = _F(0.25)

MAX_RADIUS = 8  # largest box radius of the noise filters
# Below this edge-stop the filters would only reproduce their input (and the 3x3 solve of
# the chroma filter would lose precision), so smaller strengths are clamped up to it.
_MIN_EDGE_STOP = 0.002

# Strips per call: a multiple of the core count. It is frozen into the on-disk cache when a
# kernel compiles, so it follows the machine's core count rather than NUMBA_NUM_THREADS (a
# cache warmed single-threaded must not serialise later runs). It only tunes speed, never
# results. The kernels use two strips per core: on 2 cores that measured 15-25 % faster
# than one strip per core for the filters (1440x1080 and 4000x3000) despite the extra
# warm-up rows, presumably because the threads end together more often; more than two
# per core was no better.
_NSTRIPS = max(1, int(numba.config.NUMBA_DEFAULT_NUM_THREADS))

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
