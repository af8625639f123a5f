"""Compile every numba kernel once, so the numba on-disk cache is warm before a user waits.

Runs the pipeline on a small synthetic capture through every path (full, preview, region),
every demosaic method, both output depths and the tap conversions: each kernel is compiled
for exactly the argument types production uses.
"""
from __future__ import annotations

import time

import numpy as np

from app.capture import Capture


def synthetic_capture(width: int = 512, height: int = 384, pattern: str = "RGGB", seed: int = 1) -> Capture:
    """A small 12-bit mosaic with gradients and noise: enough to exercise every code path."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 200 + 3000 * (xx / width) * (0.5 + 0.5 * np.sin(yy / 9.0) ** 2)
    mosaic = np.clip(base + rng.normal(0, 20, base.shape), 0, 4095).astype(np.uint16)
    return Capture(mosaic=mosaic, cfa=pattern, black_level=(64.0,) * 4, white_level=4095.0,
                   bits=12, source="<synthetic>", format="synthetic",
                   as_shot_neutral=(0.5, 1.0, 0.62))


def warm_kernels(log=None) -> float:
    """Compile (or load from cache) every kernel; returns the seconds it took."""
    from app.isp.pipeline import TAPS, Pipeline
    from app.isp.stages import IspParams
    from app.isp.taps import to_display
    from app.isp.views import View

    t0 = time.perf_counter()
    capture = synthetic_capture()
    grid = tuple(tuple(tuple(1.0 + 0.1 * (r + c) for c in range(5)) for r in range(4)) for _ in range(4))
    params = IspParams().with_stage("lsc", gains=grid)
    pipe = Pipeline(capture)
    for method in ("bilinear", "mhc", "rcd"):
        if log:
            log(f"  compiling: demosaic {method}")
        p = params.with_stage("demosaic", method=method)
        pipe.render(p)
    pipe.render(params.with_stage("demosaic", enabled=False))
    if log:
        log("  compiling: preview, region, 16-bit output, stage taps")
    pipe.render(params, View.preview(128, 96))
    pipe.render(params, View.region(10, 10, 100, 80))
    pipe.render(params, out_dtype=np.uint16)
    for tap in TAPS:
        to_display(tap, pipe.render(params, tap=tap), capture.white_level)
    if log:
        log("  compiling: display conversion, scopes (histogram, waveform)")
    from app import analysis
    from app.isp.kernels.colour import to_bgrx
    final = pipe.render(params)
    for image in (final, final[10:50, 20:70]):  # whole frames and region crops (strided)
        to_bgrx(image, np.empty(image.shape[:2] + (4,), np.uint8))
    analysis.waveform_image(analysis.waveform(final, parade=True))
    analysis.waveform_image(analysis.waveform(final, parade=False))
    analysis.histogram(final)
    if log:
        log("  compiling: MIPI unpackers, virtual camera")
    from app.loaders import mipi
    from app.simulate import warm as warm_simulator
    mipi.warm()
    warm_simulator()
    return time.perf_counter() - t0
