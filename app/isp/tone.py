"""Tone LUT construction: transfer function (sRGB, gamma, linear) followed by a control-point curve.

The curve is interpolated with a monotone cubic (Fritsch-Carlson), so a tuner's S-curve never
overshoots or reverses between points. Built in float64 once per parameter change (microseconds
for the kernels' small LUT, `app.isp.kernels.finish.tone_lut_inputs`); the kernels only ever
see a float32 LUT.
"""
from __future__ import annotations

import numpy as np

def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB transfer of linear values in [0, 1]."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1.0 / 2.4) - 0.055)


def monotone_cubic(points: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson monotone cubic interpolation through `points` (n x 2, x increasing)."""
    px, py = points[:, 0], points[:, 1]
    if len(px) == 2:
        return np.interp(x, px, py)
    h = np.diff(px)
    delta = np.diff(py) / h
    slopes = np.empty_like(py)
    slopes[0], slopes[-1] = delta[0], delta[-1]
    slopes[1:-1] = np.where(delta[:-1] * delta[1:] > 0,
                            (3 * (h[:-1] + h[1:])) / ((2 * h[1:] + h[:-1]) / np.where(delta[:-1] == 0, 1, delta[:-1])
                                                      + (h[1:] + 2 * h[:-1]) / np.where(delta[1:] == 0, 1, delta[1:])),
                            0.0)
    xc = np.clip(x, px[0], px[-1])
    i = np.clip(np.searchsorted(px, xc, side="right") - 1, 0, len(px) - 2)
    t = (xc - px[i]) / h[i]
    t2, t3 = t * t, t * t * t
    return ((2 * t3 - 3 * t2 + 1) * py[i] + (t3 - 2 * t2 + t) * h[i] * slopes[i]
            + (-2 * t3 + 3 * t2) * py[i + 1] + (t3 - t2) * h[i] * slopes[i + 1])


def response(tone, x: np.ndarray) -> np.ndarray:
    """The tone stage's exact output (float64) at linear inputs `x` in [0, 1]."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    if not tone.enabled or tone.transfer == "linear":
        encoded = x
    elif tone.transfer == "srgb":
        encoded = srgb_encode(x)
    else:
        encoded = np.power(x, 1.0 / tone.gamma)
    if tone.enabled:
        encoded = monotone_cubic(np.asarray(tone.curve, dtype=np.float64), encoded)
    return np.clip(encoded, 0.0, 1.0)
