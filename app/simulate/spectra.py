"""Measured spectra and the spectral arithmetic of the virtual camera.

Everything lives on one wavelength grid, 380-780 nm in 5 nm steps (`WAVELENGTHS`), the grid of
the ColorChecker and fluorescent data colour-science ships. Sources (all from colour-science):

* reflectances: `SDS_COLOURCHECKERS['ColorChecker N Ohta']` (24 patches, measured);
* illuminants: `SDS_ILLUMINANTS` 'A', 'D50', 'D65', 'FL2' (F2, cool white fluorescent, CWF),
  'FL11' (F11, TL84); `sd_blackbody` (Planckian) and `sd_CIE_illuminant_D_series` (daylight)
  at any colour temperature;
* camera: `MSDS_CAMERA_SENSITIVITIES['Nikon 5100 (NPL)']`, measured by NPL (each channel
  normalised to a peak of 1 as shipped); treated as the response per unit spectral power;
* observer: `MSDS_CMFS['CIE 1931 2 Degree Standard Observer']`.

Spectral integration is a plain sum over the grid times 5 nm. The camera's signal for a
reflectance R under illuminant E is `sum(E * R * S_c) * 5`; its colour `sum(E * R * cmf) * 5`.
Photometric scale: illuminance `lux = 683 * sum(E * ybar) * 5`. A camera's *relative response*
(`relative_response`) is normalised so that a perfect white under D65 gives 1.0 in green per
unit of (lux x the sensor's sensitivity): the same lux of a redder light gives a different
green signal, as on a real sensor.

The camera's colour matrix (camera RGB -> XYZ) under an illuminant is fitted by least squares
over the 24 ColorChecker reflectances under that illuminant, with the constraint that the
illuminant's white maps exactly to its XYZ (white preserving). From it come the DNG
ColorMatrix (its inverse, scaled the DNG SDK's way) and the camera-to-sRGB matrix.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("COLOUR_SCIENCE__FILTER_USAGE_WARNINGS", "True")

WAVELENGTHS = np.arange(380.0, 780.0 + 1e-9, 5.0)
STEP_NM = 5.0
CAMERA_SENSITIVITIES = "Nikon 5100 (NPL)"
COLOURCHECKER = "ColorChecker N Ohta"
OBSERVER = "CIE 1931 2 Degree Standard Observer"

# Linear sRGB (D65) <-> XYZ as used across camtune (app.colorimetry), IEC 61966-2-1.
SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
XYZ_TO_SRGB = np.linalg.inv(SRGB_TO_XYZ)
# D50 white of the DNG profile connection space (used to scale ColorMatrix as the DNG SDK does).
XYZ_D50_PCS = np.array([0.9642, 1.0, 0.8249])

# Named illuminants: colour-science key, nominal CCT (K), EXIF LightSource code, description.
NAMED_ILLUMINANTS = {
    "A": ("A", 2856, 17, "CIE A, incandescent (tungsten) 2856 K"),
    "D50": ("D50", 5003, 23, "CIE D50, horizon daylight"),
    "D65": ("D65", 6504, 21, "CIE D65, noon daylight"),
    "F2": ("FL2", 4230, 14, "CIE F2, cool white fluorescent (CWF)"),
    "F11": ("FL11", 4000, 14, "CIE F11, narrow-band tri-phosphor fluorescent (TL84)"),
}
ALIASES = {"CWF": "F2", "FL2": "F2", "TL84": "F11", "FL11": "F11", "INCANDESCENT": "A",
           "TUNGSTEN": "A", "DAYLIGHT": "D65"}
DAYLIGHT_MIN_CCT = 4000.0  # CIE D-series is defined from 4000 K; below it we use Planck
CCT_RANGE = (1000.0, 25000.0)


def _colour():
    import colour  # deferred: ~0.5 s to import, and only the spectral set-up needs it
    return colour


def _on_grid(sd) -> np.ndarray:
    """Values of a colour-science spectral distribution at `WAVELENGTHS` (interpolated if needed)."""
    wl = np.asarray(sd.wavelengths, dtype=np.float64)
    vals = np.asarray(sd.values, dtype=np.float64)
    if vals.ndim == 1:
        return np.interp(WAVELENGTHS, wl, vals, left=0.0, right=0.0)
    return np.stack([np.interp(WAVELENGTHS, wl, vals[:, i], left=0.0, right=0.0)
                     for i in range(vals.shape[1])], axis=1)


@dataclass(frozen=True, eq=False)
class Illuminant:
    """A light source: its relative spectral power on `WAVELENGTHS` and what to call it.

    `exif` is the EXIF/DNG LightSource code when one fits (0 = unknown). `kind` says where the
    spectrum comes from: 'named' (a CIE table), 'planckian' or 'daylight' (computed at `cct`).
    """

    name: str
    cct: float
    exif: int
    kind: str
    description: str
    spd: np.ndarray

    def __post_init__(self):
        self.spd.setflags(write=False)

    @property
    def label(self) -> str:
        """Short lower-case label for file names (e.g. 'd65', 'f11', 'planck3200')."""
        return self.name.lower().replace(" ", "")


@functools.lru_cache(maxsize=32)
def illuminant(name: str | None = None, cct: float | None = None) -> Illuminant:
    """An illuminant by name (A, D50, D65, F2/CWF, F11/TL84; also 'D<cct>' and 'Planck<cct>')
    or by correlated colour temperature (`cct`: Planckian below 4000 K, CIE daylight above).

    Raises ValueError for an unknown name or a temperature outside 1000-25000 K.
    """
    if (name is None) == (cct is None):
        raise ValueError("give an illuminant name or a colour temperature, not both")
    if name is not None:
        key = name.strip().upper()
        key = ALIASES.get(key, key)
        if key in NAMED_ILLUMINANTS:
            colour_key, k, exif, desc = NAMED_ILLUMINANTS[key]
            spd = _on_grid(_colour().SDS_ILLUMINANTS[colour_key])
            return Illuminant(key, float(k), exif, "named", desc, spd / spd.max())
        for prefix, kind in (("PLANCK", "planckian"), ("D", "daylight")):
            rest = key[len(prefix):].rstrip("K")
            if key.startswith(prefix) and rest.replace(".", "", 1).isdigit():
                return _by_cct(float(rest) * (100.0 if kind == "daylight" and float(rest) < 100 else 1.0),
                               kind)
        known = ", ".join(list(NAMED_ILLUMINANTS) + list(ALIASES))
        raise ValueError(f"unknown illuminant {name!r}; expected one of {known}, "
                         "D<cct> (daylight) or Planck<cct>")
    kind = "planckian" if cct < DAYLIGHT_MIN_CCT else "daylight"
    return _by_cct(float(cct), kind)


def _by_cct(cct: float, kind: str) -> Illuminant:
    lo, hi = CCT_RANGE
    if not lo <= cct <= hi:
        raise ValueError(f"colour temperature {cct:g} K is outside {lo:g}-{hi:g} K")
    colour = _colour()
    if kind == "daylight":
        if cct < DAYLIGHT_MIN_CCT:
            raise ValueError(f"CIE daylight is defined from {DAYLIGHT_MIN_CCT:g} K, not {cct:g} K")
        # The D-series is indexed by the 1931 value of c2; 1.4388/1.4380 converts a modern CCT.
        xy = colour.temperature.CCT_to_xy_CIE_D(cct * 1.4388 / 1.4380)
        spd = _on_grid(colour.sd_CIE_illuminant_D_series(xy))
        exif = {5003: 23, 5503: 20, 6504: 21, 7504: 22}.get(int(round(cct)), 0)
        return Illuminant(f"D{int(round(cct))}", cct, exif, "daylight",
                          f"CIE daylight (D-series) at {cct:g} K", spd / spd.max())
    spd = _on_grid(colour.sd_blackbody(cct, colour.SpectralShape(380, 780, 5)))
    exif = 17 if abs(cct - 2856) < 1 else (24 if abs(cct - 3200) < 1 else 0)
    return Illuminant(f"Planck{int(round(cct))}", cct, exif, "planckian",
                      f"Planckian (blackbody) radiator at {cct:g} K", spd / spd.max())


@functools.lru_cache(maxsize=1)
def camera_sensitivities() -> np.ndarray:
    """(81, 3) measured spectral sensitivities R, G, B of the virtual camera's sensor."""
    s = _on_grid(_colour().MSDS_CAMERA_SENSITIVITIES[CAMERA_SENSITIVITIES])
    s.setflags(write=False)
    return s


@functools.lru_cache(maxsize=1)
def observer() -> np.ndarray:
    """(81, 3) CIE 1931 2 degree colour matching functions xbar, ybar, zbar."""
    c = _on_grid(_colour().MSDS_CMFS[OBSERVER])
    c.setflags(write=False)
    return c


@functools.lru_cache(maxsize=1)
def colorchecker() -> tuple[tuple[str, ...], np.ndarray]:
    """Names and (24, 81) spectral reflectances of the ColorChecker (N Ohta), in chart order."""
    data = _colour().SDS_COLOURCHECKERS[COLOURCHECKER]
    names = tuple(data.keys())
    refl = np.stack([_on_grid(data[n]) for n in names])
    refl.setflags(write=False)
    return names, refl


def flat_reflectance(value: float) -> np.ndarray:
    """A spectrally neutral reflectance (a perfect grey of the given reflectance factor)."""
    return np.full(WAVELENGTHS.shape, float(value))


def _as_2d(reflectances) -> np.ndarray:
    r = np.asarray(reflectances, dtype=np.float64)
    return r[None, :] if r.ndim == 1 else r


def camera_rgb(spd: np.ndarray, reflectances) -> np.ndarray:
    """(N, 3) raw spectral integration sum(E * R * S_c) * 5 nm, no normalisation."""
    return _as_2d(reflectances) @ (spd[:, None] * camera_sensitivities()) * STEP_NM


def tristimulus(spd: np.ndarray, reflectances) -> np.ndarray:
    """(N, 3) CIE XYZ of reflectances under `spd`, normalised so a perfect white has Y = 1."""
    cmf = observer()
    return _as_2d(reflectances) @ (spd[:, None] * cmf) / float(spd @ cmf[:, 1])


def illuminance_units(spd: np.ndarray) -> float:
    """sum(E * ybar) * 5 nm: proportional to the illuminance the spectrum gives (x 683 lm/W)."""
    return float(spd @ observer()[:, 1]) * STEP_NM


@functools.lru_cache(maxsize=1)
def _d65_green_per_lux() -> float:
    d65 = illuminant("D65").spd
    return float(camera_rgb(d65, flat_reflectance(1.0))[0, 1]) / illuminance_units(d65)


def relative_response(illum: Illuminant, reflectances) -> np.ndarray:
    """(N, 3) camera signal per unit illuminance, 1.0 = green of a perfect white under D65.

    Multiply by the sensor's sensitivity (electrons per lux-second for that reference), the
    illuminance and the exposure time to get electrons.
    """
    return camera_rgb(illum.spd, reflectances) / illuminance_units(illum.spd) / _d65_green_per_lux()


def camera_neutral(illum: Illuminant) -> np.ndarray:
    """Camera RGB of a perfect white under `illum`, normalised to green = 1 (DNG AsShotNeutral)."""
    rgb = camera_rgb(illum.spd, flat_reflectance(1.0))[0]
    return rgb / rgb[1]


def white_balance_gains(illum: Illuminant) -> np.ndarray:
    """Gains (R, G, B), green = 1, that make a neutral under `illum` equal in all channels."""
    return 1.0 / camera_neutral(illum)


@functools.lru_cache(maxsize=32)
def _fit(illum_key: tuple) -> np.ndarray:
    name, kind, cct = illum_key
    illum = illuminant(name) if kind == "named" else _by_cct(cct, kind)
    _, refl = colorchecker()
    white = camera_rgb(illum.spd, flat_reflectance(1.0))[0]
    cam = camera_rgb(illum.spd, refl) / white[1]          # white green = 1
    xyz = tristimulus(illum.spd, refl)                     # white Y = 1
    cam_w = white / white[1]
    xyz_w = tristimulus(illum.spd, flat_reflectance(1.0))[0]
    # Per XYZ row: minimise |cam m - x|^2 subject to cam_w . m = x_w (KKT system).
    kkt = np.zeros((4, 4))
    kkt[:3, :3] = cam.T @ cam
    kkt[:3, 3] = cam_w
    kkt[3, :3] = cam_w
    m = np.empty((3, 3))
    for row in range(3):
        rhs = np.concatenate([cam.T @ xyz[:, row], [xyz_w[row]]])
        m[row] = np.linalg.solve(kkt, rhs)[:3]
    m.setflags(write=False)
    return m


def _key(illum: Illuminant) -> tuple:
    return illum.name, illum.kind, illum.cct


def camera_to_xyz(illum: Illuminant) -> np.ndarray:
    """3x3 camera RGB -> XYZ under `illum` (camera RGB scaled so white green = 1, white Y = 1).

    White preserving: `camera_to_xyz(E) @ camera_neutral(E)` is exactly the XYZ of E's white.
    """
    return _fit(_key(illum)).copy()


def dng_color_matrix(illum: Illuminant) -> np.ndarray:
    """DNG ColorMatrix (XYZ -> camera) for calibration illuminant `illum`.

    The inverse of `camera_to_xyz`, scaled as the DNG SDK normalises colour matrices: the D50
    white of the profile connection space maps to a camera value whose largest component is 1.
    """
    cm = np.linalg.inv(camera_to_xyz(illum))
    return cm / float((cm @ XYZ_D50_PCS).max())


def bradford(xyz_src: np.ndarray, xyz_dst: np.ndarray) -> np.ndarray:
    """Bradford chromatic adaptation matrix from white `xyz_src` to white `xyz_dst`."""
    m = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
    return np.linalg.inv(m) @ np.diag((m @ xyz_dst) / (m @ xyz_src)) @ m


def camera_to_srgb(illum: Illuminant) -> np.ndarray:
    """3x3 white-balanced camera RGB -> linear sRGB (D65) for a scene lit by `illum`.

    Apply after the white-balance gains (`white_balance_gains`); a neutral maps to equal R=G=B
    (each row sums to 1). Built as XYZ->sRGB . Bradford(illuminant white -> D65) .
    camera_to_xyz . diag(camera_neutral).
    """
    m = camera_to_xyz(illum)
    xyz_w = tristimulus(illum.spd, flat_reflectance(1.0))[0]
    d65 = SRGB_TO_XYZ.sum(axis=1)
    return XYZ_TO_SRGB @ bradford(xyz_w, d65) @ m @ np.diag(camera_neutral(illum))


def centroid_wavelengths() -> np.ndarray:
    """Mean wavelength (nm) of each camera channel's sensitivity (R, G, B): for diffraction."""
    s = camera_sensitivities()
    return (WAVELENGTHS @ s) / s.sum(axis=0)
