"""Paint a scene's shapes onto the sensor grid through the optics, straight into the CFA mosaic.

Only the colour of each pixel's own CFA filter is computed: shapes are composited in order
(painter's algorithm) with their analytic coverage through the edge spread function of the
optics x pixel aperture (see optics.py), so no full-colour image and no convolution is needed.
The colour of each material was integrated spectrally once (a few dozen numbers) before
painting. With distortion, each pixel centre is first mapped to the scene position it sees.

Shape kinds (columns of the packed `geom` array: kind, cx, cy, a, b, cos, sin, p1..p5):

* FILL (0): the whole frame, coverage 1.
* RECT (1): rectangle centred (cx, cy), half-sizes a, b along its own axes rotated by the angle
  whose cosine/sine are given; coverage = slab_u x slab_v of the edge profile.
* DISC (2): disc of radius a; coverage = ESF(a - distance).
* SINE (3): RECT region times a sinusoid 0.5 + 0.5 m_c cos(2 pi p1 u + p2) along the rect's own
  u axis, m_c = contrast x system MTF at p1 for channel c (p3, p4, p5).
* STAR (4): DISC region times a sinusoidal Siemens star 0.5 + 0.5 p2 H_c(f(r)) cos(p1 phi),
  p1 cycles per turn, f(r) = p1 / (2 pi r) the local frequency, H_c the system MTF.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

FILL, RECT, DISC, SINE, STAR = 0, 1, 2, 3, 4


@njit(cache=True, nogil=True, inline="always")
def _esf(lut, c, k, d, lo, inv_step, n):
    t = (d - lo) * inv_step
    if t <= 0.0:
        return 0.0
    if t >= n - 1:
        return 1.0
    i = int(t)
    f = t - i
    return lut[c, k, i] * (1.0 - f) + lut[c, k, i + 1] * f


@njit(cache=True, nogil=True, inline="always")
def _mtf(mtf_lut, c, nu, inv_step):
    t = nu * inv_step
    n = mtf_lut.shape[1]
    if t >= n - 1:
        return 0.0
    i = int(t)
    f = t - i
    return mtf_lut[c, i] * (1.0 - f) + mtf_lut[c, i + 1] * f


@njit(cache=True, nogil=True, parallel=True)
def paint(out, chan, colours, geom, mats, bbox, lut, lut_lo, lut_step, mtf_lut, mtf_step, dist):
    """Composite every shape into `out` (HxW float32, the site colour's signal), in order."""
    inv_step = 1.0 / lut_step
    n = lut.shape[2]
    reach = -lut_lo  # the edge profile is exactly 0 / 1 beyond this distance
    inv_mtf = 1.0 / mtf_step
    k1 = dist[0]
    k2 = dist[1]
    dcx = dist[2]
    dcy = dist[3]
    dinv2 = dist[4] * dist[4]
    distort = k1 != 0.0 or k2 != 0.0
    two_pi = 2.0 * math.pi
    for s in range(geom.shape[0]):
        kind = int(geom[s, 0])
        cx = geom[s, 1]
        cy = geom[s, 2]
        a = geom[s, 3]
        b = geom[s, 4]
        ca = geom[s, 5]
        sa = geom[s, 6]
        m0 = mats[s, 0]
        k = mats[s, 1]
        y0 = bbox[s, 0]
        y1 = bbox[s, 1]
        x0 = bbox[s, 2]
        x1 = bbox[s, 3]
        for y in prange(y0, y1):
            for x in range(x0, x1):
                c = chan[y & 1, x & 1]
                xs = float(x)
                ys = float(y)
                if distort:
                    r2 = ((xs - dcx) ** 2 + (ys - dcy) ** 2) * dinv2
                    f = 1.0 + k1 * r2 + k2 * r2 * r2
                    xs = dcx + (xs - dcx) * f
                    ys = dcy + (ys - dcy) * f
                dx = xs - cx
                dy = ys - cy
                if kind == FILL:
                    cov = 1.0
                elif kind == RECT or kind == SINE:
                    u = abs(dx * ca + dy * sa)
                    v = abs(-dx * sa + dy * ca)
                    if u >= a + reach or v >= b + reach:
                        cov = 0.0
                    elif u <= a - reach and v <= b - reach:
                        cov = 1.0   # deep inside: no edge within the blur's reach
                    else:
                        cov = ((_esf(lut, c, k, u + a, lut_lo, inv_step, n) - _esf(lut, c, k, u - a, lut_lo, inv_step, n))
                               * (_esf(lut, c, k, v + b, lut_lo, inv_step, n) - _esf(lut, c, k, v - b, lut_lo, inv_step, n)))
                    if kind == SINE and cov > 0.0:
                        w = dx * ca + dy * sa
                        cov *= 0.5 + 0.5 * geom[s, 9 + c] * math.cos(two_pi * geom[s, 7] * w + geom[s, 8])
                else:
                    r = math.sqrt(dx * dx + dy * dy)
                    cov = _esf(lut, c, k, a - r, lut_lo, inv_step, n)
                    if kind == STAR:
                        cycles = geom[s, 7]
                        h = 0.0
                        if r > 1e-6:
                            h = _mtf(mtf_lut, c, cycles / (two_pi * r), inv_mtf)
                        cov *= 0.5 + 0.5 * geom[s, 8] * h * math.cos(cycles * math.atan2(dy, dx))
                if cov > 0.0:
                    out[y, x] = out[y, x] * (1.0 - cov) + colours[m0, c] * cov


# --- Python side: pack the scene and call the kernel ---------------------------------------

def _angle_key(shape) -> float:
    """Edge-direction class of a shape: its rotation folded into 0..45 degrees (same ESF)."""
    a = abs(shape.angle_deg) % 90.0
    return round(min(a, 90.0 - a), 4)


def rasterise(scene, colours: np.ndarray, optics, cfa: str, wavelengths_nm) -> np.ndarray:
    """The scene's signal at every pixel for that pixel's CFA colour (HxW float32).

    `colours` is (materials, 3): each material's relative camera response R, G, B.
    `optics` is an OpticsParams; `wavelengths_nm` the effective wavelength of R, G, B.
    """
    from app.capture import cfa_channels
    from app.simulate import optics as op

    w, h = scene.width, scene.height
    radius = op.support_radius(optics, wavelengths_nm)
    keys = sorted({_angle_key(s) for s in scene.shapes})
    lut = np.stack([np.stack([op.esf_table(optics, wl, math.radians(k), radius) for k in keys])
                    for wl in wavelengths_nm])
    mtf_lut = np.stack([op.system_mtf_table(optics, wl) for wl in wavelengths_nm])
    n = len(scene.shapes)
    geom = np.zeros((n, 12), dtype=np.float64)
    mats = np.zeros((n, 2), dtype=np.int32)
    bbox = np.zeros((n, 4), dtype=np.int64)
    for i, s in enumerate(scene.shapes):
        t = math.radians(s.angle_deg)
        geom[i, :9] = (s.kind, s.cx, s.cy, s.a, s.b, math.cos(t), math.sin(t), s.frequency, s.phase)
        if s.kind == SINE:
            geom[i, 9:12] = [s.contrast * float(op.mtf_optics(optics, s.frequency, wl)
                                                * op.mtf_pixel(s.frequency, t)) for wl in wavelengths_nm]
        elif s.kind == STAR:
            geom[i, 8] = s.contrast
        mats[i] = (s.material, keys.index(_angle_key(s)))
        if s.kind == FILL:
            bbox[i] = (0, h, 0, w)
            continue
        if optics.has_distortion:
            pts = s.outline()
            ix, iy = op.scene_to_image(optics, w, h, pts[:, 0], pts[:, 1])
            x0, y0, x1, y1 = ix.min(), iy.min(), ix.max(), iy.max()
            pad = radius * 1.5 + 2.0
        else:
            x0, y0, x1, y1 = s.extent()
            pad = radius + 1.0
        bbox[i] = (max(0, int(math.floor(y0 - pad))), min(h, int(math.ceil(y1 + pad)) + 1),
                   max(0, int(math.floor(x0 - pad))), min(w, int(math.ceil(x1 + pad)) + 1))
    out = np.zeros((h, w), dtype=np.float32)
    dist = op.distortion_constants(optics, w, h)
    paint(out, cfa_channels(cfa), np.ascontiguousarray(colours, dtype=np.float32), geom, mats, bbox,
          lut, float(-radius), float(op.ESF_STEP), mtf_lut, float(op.MTF_LUT_STEP), dist)
    return out
