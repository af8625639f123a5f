"""Camera colorimetry from DNG-style metadata: white point, CCT, camera RGB -> linear sRGB.

Follows the DNG specification's dual-illuminant model: ColorMatrix1/2 (XYZ -> camera) are
interpolated linearly in inverse colour temperature, the white point is found by iterating
between the as-shot neutral and the interpolated matrix. The camera-to-sRGB matrix is built the
way LibRaw builds `rgb_cam` (rows normalised so that white-balanced neutral stays neutral), so
that camtune's linear output is directly comparable with LibRaw's.
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("COLOUR_SCIENCE__FILTER_USAGE_WARNINGS", "True")

# EXIF LightSource code -> correlated colour temperature (K), for calibration illuminants.
ILLUMINANT_CCT = {
    1: 5500.0, 2: 4150.0, 3: 2850.0, 4: 5500.0, 9: 5500.0, 10: 6500.0, 11: 7500.0,
    12: 6430.0, 13: 5000.0, 14: 4150.0, 15: 3525.0, 16: 2925.0, 17: 2856.0, 18: 4874.0,
    19: 6774.0, 20: 5503.0, 21: 6504.0, 22: 7504.0, 23: 5003.0, 24: 3200.0,
}

# Linear sRGB (D65) -> CIE XYZ, IEC 61966-2-1.
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])


def xy_to_cct(xy: np.ndarray) -> float:
    """Correlated colour temperature of a chromaticity (McCamy 1992, via colour-science)."""
    import colour  # deferred: only needed when a capture has colour metadata
    return float(colour.temperature.xy_to_CCT_McCamy1992(np.asarray(xy, dtype=np.float64)))


def _cct(code: int | None) -> float | None:
    return None if code is None else ILLUMINANT_CCT.get(int(code))


def interpolated_color_matrix(cm1, cm2, ill1, ill2, cct: float) -> np.ndarray:
    """XYZ -> camera matrix at `cct`, interpolated in 1/T between the two calibrations."""
    if cm1 is None or cm2 is None:
        return np.asarray(cm1 if cm1 is not None else cm2, dtype=np.float64)
    t1, t2 = _cct(ill1), _cct(ill2)
    if t1 is None or t2 is None or t1 == t2:
        return np.asarray(cm2, dtype=np.float64)
    if t1 > t2:
        cm1, cm2, t1, t2 = cm2, cm1, t2, t1
    if cct <= t1:
        w = 1.0
    elif cct >= t2:
        w = 0.0
    else:
        w = (1.0 / cct - 1.0 / t2) / (1.0 / t1 - 1.0 / t2)
    return w * np.asarray(cm1, dtype=np.float64) + (1.0 - w) * np.asarray(cm2, dtype=np.float64)


def white_point(capture) -> tuple[np.ndarray, float] | None:
    """(xy, CCT) of the capture's as-shot neutral, or None without colour metadata."""
    if not capture.has_colour_metadata or capture.as_shot_neutral is None:
        return None
    neutral = np.asarray(capture.as_shot_neutral, dtype=np.float64)
    cct = 5003.0  # start at D50, as the DNG SDK does
    xy = np.array([0.3457, 0.3585])
    for _ in range(20):
        m = interpolated_color_matrix(capture.color_matrix1, capture.color_matrix2,
                                      capture.illuminant1, capture.illuminant2, cct)
        xyz = np.linalg.solve(m, neutral)
        xy = xyz[:2] / max(xyz.sum(), 1e-12)
        new_cct = min(max(xy_to_cct(xy), 1000.0), 50000.0)
        if abs(new_cct - cct) < 0.5:
            cct = new_cct
            break
        cct = new_cct
    return xy, cct


def camera_to_srgb(capture) -> np.ndarray:
    """3x3 float64 matrix taking white-balanced camera RGB to linear sRGB (identity if unknown)."""
    if not capture.has_colour_metadata:
        return np.eye(3)
    wp = white_point(capture)
    cct = wp[1] if wp is not None else 6504.0
    xyz_to_cam = interpolated_color_matrix(capture.color_matrix1, capture.color_matrix2,
                                           capture.illuminant1, capture.illuminant2, cct)
    cam_from_srgb = xyz_to_cam @ SRGB_TO_XYZ
    cam_from_srgb /= cam_from_srgb.sum(axis=1, keepdims=True)
    return np.linalg.inv(cam_from_srgb)


def as_shot_gains(capture) -> np.ndarray | None:
    """White-balance gains (R, G, B), G = 1, from the as-shot neutral; None when unknown."""
    if capture.as_shot_neutral is None:
        return None
    neutral = np.asarray(capture.as_shot_neutral, dtype=np.float64)
    if np.any(neutral <= 0) or not np.all(np.isfinite(neutral)):
        return None
    gains = 1.0 / neutral
    return gains / gains[1]
