"""Interpolation shared by resolving, exporting and importing: tables keyed by a condition, and grids.

Tables keyed by colour temperature (CCMs, lens-shading grids, the AWB curve) or by analogue gain
(noise reduction, sharpening) are interpolated **linearly in the key and clamped at the ends**,
as libcamera does (`rpi/alsc.cpp getCalTable`, `libipa/interpolator.h`): below the first entry the
first entry applies, above the last the last.

Grids (lens shading) are resampled **bilinearly between sample positions, clamped at the outer
samples**. A grid of C x R *cells* covering the frame has its samples at the cell centres,
x = (i + 0.5) / C, y = (j + 0.5) / R (libcamera's Raspberry Pi ALSC and camtune's engine); a grid of
*nodes* (RkISP1: 17 x 17 at sector corners) has its samples at explicit positions from 0 (left/top
edge) to 1 (right/bottom edge). Resampling evaluates the source surface at the target's sample
positions; beyond the outermost source samples the edge value is held (as libcamera's
`resampleCalTable` does), so a coarse grid never extrapolates a vignetting slope into a wild value.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def by_key(keys: Sequence[float], values: np.ndarray, at: float) -> np.ndarray:
    """Linear interpolation of `values[i]` (any shape) at key `at`; clamped outside the keys.

    `keys` must be strictly increasing (the profile validates this).
    """
    values = np.asarray(values, dtype=np.float64)
    keys = np.asarray(keys, dtype=np.float64)
    if len(keys) == 0:
        raise ValueError("no entries to interpolate")
    if at <= keys[0] or len(keys) == 1:
        return values[0].copy()
    if at >= keys[-1]:
        return values[-1].copy()
    i = int(np.searchsorted(keys, at, side="right")) - 1
    w = (at - keys[i]) / (keys[i + 1] - keys[i])
    return (1.0 - w) * values[i] + w * values[i + 1]


def cell_centres(n: int) -> np.ndarray:
    """Normalised positions (0..1) of the centres of `n` equal cells."""
    return (np.arange(n, dtype=np.float64) + 0.5) / n


def resample(grid: np.ndarray, src_x: np.ndarray, src_y: np.ndarray,
             dst_x: np.ndarray, dst_y: np.ndarray) -> np.ndarray:
    """Bilinear resampling of `grid[rows][cols]` sampled at (src_y, src_x) to (dst_y, dst_x).

    Separable: rows are interpolated along x, then columns along y (bilinear is exactly this).
    Positions are normalised to the frame (0..1); outside the source samples the edge is held.
    """
    g = np.asarray(grid, dtype=np.float64)
    along_x = np.stack([np.interp(dst_x, src_x, row) for row in g])            # rows x len(dst_x)
    return np.stack([np.interp(dst_y, src_y, col) for col in along_x.T], axis=1)  # len(dst_y) x ...


def resample_cells(grid: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """A cell-centred grid resampled to `cols` x `rows` cells."""
    g = np.asarray(grid, dtype=np.float64)
    if g.shape == (rows, cols):
        return g.copy()
    return resample(g, cell_centres(g.shape[1]), cell_centres(g.shape[0]),
                    cell_centres(cols), cell_centres(rows))
