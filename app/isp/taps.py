"""Showing any pipeline stage's output: conversion of a tap's data to displayable 8-bit RGB.

Linear data is shown through the sRGB curve so that it is judged as the eye would see it; the
mosaic taps are shown in grey (levels normalised by the capture's white level).
"""
from __future__ import annotations

import numpy as np

from app.isp.kernels.ycc import ycc_to_rgb
from app.isp.tone import srgb_encode

# The stage taps a viewer offers, with the names a tuner knows them by.
TAP_TITLES = {
    "mosaic": "Sensor mosaic",
    "raw": "After black level, defects, shading, white balance",
    "demosaic": "After demosaic (camera RGB)",
    "linear": "Linear sRGB (after matrix and exposure)",
    "denoise": "After noise reduction (square-root encoded)",
    "tone": "After tone curve (before sharpening and colour)",
    "final": "Final",
}


def to_display(tap: str, data, white_level: float = 65535.0) -> np.ndarray:
    """(H, W, 3) uint8 for any tap's data as returned by `Pipeline.render(tap=...)`."""
    if isinstance(data, tuple):  # Y'CbCr planes
        out = np.empty(data[0].shape + (3,), np.uint8)
        ycc_to_rgb(np.ascontiguousarray(data[0]), np.ascontiguousarray(data[1]),
                   np.ascontiguousarray(data[2]), out)
        return out
    if data.dtype == np.uint8:
        return data
    if data.dtype == np.uint16 and tap == "final":
        return (data >> 8).astype(np.uint8)
    values = data.astype(np.float32)
    if tap == "tone":  # display-encoded already
        return (np.clip(values, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if tap == "mosaic":
        values = values / np.float32(white_level)
    encoded = (srgb_encode(values) * 255.0 + 0.5).astype(np.uint8)
    if encoded.ndim == 2:
        encoded = np.repeat(encoded[:, :, None], 3, axis=2)
    return encoded
