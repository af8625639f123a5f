"""The virtual camera: a scene, a light, a lens and a sensor -> a `Capture` and its ground truth.

    >>> from app.simulate.camera import Shot, simulate
    >>> result = simulate(Shot(scene="colorchecker", illuminant="D65", width=1024, height=768))
    >>> result.capture.mosaic.shape, result.truth["white_balance"]["gains"]

The spectral work (illuminant x reflectance x sensitivity) is done once per material; the
frame is then painted analytically (raster.py) and exposed (sensor.py). A render is fully
determined by (`Shot`, `CameraModel`): the same inputs give the same mosaic, bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from app.capture import Capture
from app.simulate import optics as op
from app.simulate import raster, scenes, spectra, truth
from app.simulate.optics import OpticsParams
from app.simulate.sensor import SensorParams, defect_map, expose, saturation_electrons

CALIBRATION_ILLUMINANTS = ("A", "D65")  # DNG ColorMatrix1 / ColorMatrix2
DARK_EXPOSURE_S = 1 / 30


@dataclass(frozen=True)
class CameraModel:
    """The camera: lens, sensor and the names it writes into its files."""

    optics: OpticsParams = field(default_factory=OpticsParams)
    sensor: SensorParams = field(default_factory=SensorParams)
    make: str = "camtune"
    model: str = "Virtual Camera"

    @property
    def unique_model(self) -> str:
        return f"{self.make} {self.model}"

    def ideal(self) -> CameraModel:
        """Noise-free sensor, no lens shading, no distortion (for exact physics checks)."""
        return replace(self, sensor=self.sensor.noise_free(),
                       optics=replace(self.optics, shading_falloff=1.0, colour_shading=(0.0, 0.0, 0.0),
                                      distortion_k1=0.0, distortion_k2=0.0))


@dataclass(frozen=True)
class Shot:
    """What to capture, and how.

    `exposure_time` None means automatic: the brightest material of the scene, at the optical
    centre, reaches `exposure_target` of the sensor's saturation signal. `lux` is the
    illuminance on the scene. Either `illuminant` (a name) or `cct` (kelvin) or neither (D65).
    """

    scene: str = "colorchecker"
    width: int = 4000
    height: int = 3000
    illuminant: str | None = None
    cct: float | None = None
    lux: float = 1000.0
    exposure_time: float | None = None
    iso: float = 100.0
    seed: int = 0
    exposure_target: float = 0.8

    def light(self) -> spectra.Illuminant:
        if self.illuminant is not None and self.cct is not None:
            raise ValueError("give an illuminant name or a colour temperature, not both")
        if self.cct is not None:
            return spectra.illuminant(cct=float(self.cct))
        return spectra.illuminant(self.illuminant or "D65")


@dataclass(frozen=True)
class Result:
    capture: Capture
    truth: dict


def auto_exposure(shot: Shot, camera: CameraModel, colours: np.ndarray, lit: bool) -> float:
    """Exposure time (s, whole microseconds) for `shot.exposure_target` of saturation."""
    if not lit:
        return DARK_EXPOSURE_S
    brightest = float(colours.max())
    if brightest <= 0:
        return DARK_EXPOSURE_S
    target_e = shot.exposure_target * saturation_electrons(camera.sensor, shot.iso)
    return target_e / (camera.sensor.sensitivity * shot.lux * brightest)


def simulate(shot: Shot, camera: CameraModel | None = None, scene: scenes.Scene | None = None) -> Result:
    """Render one capture. ValueError for inconsistent or out-of-range settings."""
    camera = camera or CameraModel()
    if not 0 < shot.exposure_target <= 1:
        raise ValueError(f"exposure target must be in (0, 1], got {shot.exposure_target}")
    if not (shot.lux > 0 and shot.iso > 0):
        raise ValueError("lux and ISO must be positive")
    if shot.exposure_time is not None and not 0 < shot.exposure_time <= 3600:
        raise ValueError(f"exposure time must be in (0, 3600] s, got {shot.exposure_time}")
    if shot.width % 2 or shot.height % 2:
        raise ValueError(f"width and height must be even (whole CFA tiles), got {shot.width}x{shot.height}")
    illum = shot.light()
    scene = scene or scenes.build_scene(shot.scene, shot.width, shot.height)
    if (scene.width, scene.height) != (shot.width, shot.height):
        raise ValueError("the scene was laid out for another frame size")
    colours = spectra.relative_response(illum, scene.reflectances())
    if not scene.lit:
        colours = np.zeros_like(colours)
    t = shot.exposure_time if shot.exposure_time is not None else auto_exposure(shot, camera, colours, scene.lit)
    t = min(3600.0, max(1e-6, round(t * 1e6) / 1e6))
    sensor, optics = camera.sensor, camera.optics
    wavelengths = spectra.centroid_wavelengths()
    rel = raster.rasterise(scene, colours, optics, sensor.cfa, wavelengths)
    defects = defect_map(sensor, shot.width, shot.height)
    shading = op.shading_model(optics, shot.width, shot.height).as_array()
    mosaic = expose(rel, sensor, lux=shot.lux, exposure_time=t, iso=shot.iso, shading=shading,
                    seed=shot.seed, defects=defects)
    mosaic.setflags(write=False)
    ill1, ill2 = (spectra.illuminant(n) for n in CALIBRATION_ILLUMINANTS)
    cm1, cm2 = (np.round(spectra.dng_color_matrix(i), 4) for i in (ill1, ill2))
    neutral = tuple(float(v) for v in np.round(spectra.camera_neutral(illum), 6))
    capture = Capture(
        mosaic=mosaic, cfa=sensor.cfa, black_level=sensor.black, white_level=float(sensor.white_level),
        bits=sensor.bits, source=f"<virtual camera: {scene.name} under {illum.name}>", format="simulated",
        as_shot_neutral=neutral, color_matrix1=cm1, color_matrix2=cm2,
        illuminant1=ill1.exif, illuminant2=ill2.exif, exposure_time=t, iso=float(shot.iso),
        make=camera.make, model=camera.model, unique_camera_model=camera.unique_model,
        extra={"simulated": True, "scene": scene.name, "illuminant": illum.name,
               "cct": illum.cct, "lux": shot.lux, "seed": shot.seed})
    facts = truth.build_truth(shot=shot, camera=camera, scene=scene, illum=illum, colours=colours,
                              exposure_time=t, defects=defects, wavelengths=wavelengths,
                              color_matrices=(cm1, cm2), calibration=(ill1, ill2))
    return Result(capture, facts)
