"""Kernel-ready constants from stage parameters and capture metadata (the stages' "data" face).

Kernels never see pydantic objects: everything here is plain float32 arrays, ordered per
CFA tile position where the mosaic kernels need it.
"""
from __future__ import annotations

import numpy as np

from app import colorimetry
from app.capture import Capture, cfa_channels
from app.isp.stages import IspParams


def bayer_channel_of_positions(pattern: str) -> np.ndarray:
    """int[4]: index into (R, Gr, Gb, B) for each 2x2 tile position, row-major."""
    colours = cfa_channels(pattern).ravel()
    row_has_red = [0 in cfa_channels(pattern)[r] for r in (0, 1)]
    out = np.empty(4, np.int64)
    for p, c in enumerate(colours):
        if c == 0:
            out[p] = 0
        elif c == 2:
            out[p] = 3
        else:
            out[p] = 1 if row_has_red[p // 2] else 2
    return out


def levels(capture: Capture, params: IspParams) -> tuple[np.ndarray, float]:
    """(black per tile position, white) in DN, from the capture or the manual values."""
    bl = params.black_level
    if bl.enabled and bl.source == "manual" and capture.is_mosaic:
        black = np.asarray(bl.black, np.float64)[bayer_channel_of_positions(capture.cfa)]
        return black, float(bl.white)
    if bl.enabled and bl.source == "manual":
        return np.full(4, float(np.mean(bl.black))), float(bl.white)
    if not bl.enabled:
        return np.zeros(4), float(capture.white_level)
    return np.asarray(capture.black_level, np.float64), float(capture.white_level)


def grey_world_gains(capture: Capture, black: np.ndarray, white: float) -> np.ndarray:
    """White-balance gains (R, G, B) that make the mean of a subsample neutral."""
    m = capture.mosaic
    if capture.is_mosaic:
        colours = cfa_channels(capture.cfa)
        sums = np.zeros(3)
        counts = np.zeros(3)
        for p in range(4):
            sub = m[p // 2::8, p % 2::8].astype(np.float32) - np.float32(black[p])
            sub = sub[sub < (white - black[p]) * 0.98]  # saturated samples would bias the estimate
            sums[colours.flat[p]] += float(sub.sum())
            counts[colours.flat[p]] += sub.size
        means = sums / np.maximum(counts, 1)
    else:
        means = (m[::8, ::8].reshape(-1, 3).astype(np.float64) - black[0]).mean(axis=0)
    means = np.maximum(means, 1e-6)
    return means[1] / means


def wb_gains(capture: Capture, params: IspParams, black: np.ndarray, white: float) -> np.ndarray:
    """(R, G, B) gains the white-balance stage applies (ones when the stage is off)."""
    wb = params.wb
    if not wb.enabled:
        return np.ones(3)
    if wb.source == "manual":
        return np.asarray(wb.gains, np.float64)
    gains = colorimetry.as_shot_gains(capture)
    return gains if gains is not None else grey_world_gains(capture, black, white)


def mosaic_constants(capture: Capture, params: IspParams):
    """Per tile position: black, scale (WB gain / range), DPC threshold (DN); LSC grids; strength."""
    black, white = levels(capture, params)
    gains = wb_gains(capture, params, black, white)
    colours = cfa_channels(capture.cfa).ravel()
    span = np.maximum(white - black, 1.0)
    scale = gains[colours] / span
    dpc = params.dpc
    threshold = dpc.threshold * span
    lsc = params.lsc
    if lsc.enabled and lsc.gains is not None:
        grids = np.asarray(lsc.gains, np.float32)[bayer_channel_of_positions(capture.cfa)]
        strength = lsc.strength
    else:
        grids = np.zeros((4, 0, 0), np.float32)
        strength = 0.0
    return (black.astype(np.float32), scale.astype(np.float32), bool(dpc.enabled),
            threshold.astype(np.float32), np.float32(dpc.strength), np.ascontiguousarray(grids),
            np.float32(strength))


def colour_matrix(capture: Capture, params: IspParams, camera_to_srgb: np.ndarray) -> np.ndarray:
    """float32 3x3: the colour matrix with the exposure gain folded in."""
    ccm = params.ccm
    if not ccm.enabled:
        m = np.eye(3)
    elif ccm.source == "manual":
        m = np.asarray(ccm.matrix, np.float64).reshape(3, 3)
    else:
        m = camera_to_srgb
    if params.exposure.enabled:
        m = m * (2.0 ** params.exposure.ev)
    return np.ascontiguousarray(m, dtype=np.float32)
