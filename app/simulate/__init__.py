"""The virtual camera: captures with a known answer, rendered from measured spectral data.

Scenes are built from spectral reflectances (ColorChecker N Ohta, neutral wedges, slanted
edges, flat fields, dark frames, a demo test chart), lit by spectral illuminants (CIE A, D50,
D65, F2/CWF, F11/TL84, Planckian or daylight at any CCT), seen through measured camera
sensitivities (Nikon 5100, NPL), a lens (PSF with known MTF, lens shading, barrel distortion)
and a noisy sensor (shot, read and dark noise, PRNU/DSNU, defects, black level, bit depth, CFA).
Each capture comes with a ground-truth record of everything a calibration should recover.

Modules, one job each: `spectra` (spectral data and integration, fitted colour matrices),
`scenes` (layouts and geometry), `optics` (PSF/MTF, shading, distortion), `raster` (the numba
painter), `sensor` (electrons to DN), `camera` (the render), `truth` (the sidecar schema),
`writers` (DNG, headerless, MIPI), `calibration_set`, `demo`, `commands` (the CLI).

    from app.simulate import Shot, simulate, write_capture
    result = simulate(Shot(scene="edge", illuminant="TL84", width=2028, height=1520))
    write_capture(result.capture, "edge", "dng")
"""
from __future__ import annotations

import importlib

# Exported lazily, so that importing the package (e.g. for its CLI command) stays cheap.
_EXPORTS = {
    "CameraModel": "app.simulate.camera", "Result": "app.simulate.camera", "Shot": "app.simulate.camera",
    "simulate": "app.simulate.camera", "OpticsParams": "app.simulate.optics",
    "SensorParams": "app.simulate.sensor", "demo_capture": "app.simulate.demo",
    "write_capture": "app.simulate.writers", "write_truth": "app.simulate.truth",
    "write_calibration_set": "app.simulate.calibration_set",
}
__all__ = sorted([*_EXPORTS, "warm"])


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'app.simulate' has no attribute {name!r}")


def warm() -> None:
    """Compile (or load from the numba cache) the painter and sensor kernels."""
    from app.simulate.camera import Shot, simulate
    simulate(Shot(scene="demo", width=160, height=90))
