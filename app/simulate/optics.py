"""The lens: point spread function and its MTF, lens shading, barrel distortion.

Coordinates are pixels: pixel (row i, column j) has its centre at (x=j, y=i) and covers
[j-0.5, j+0.5] x [i-0.5, i+0.5]. Frequencies are cycles per pixel (Nyquist = 0.5).

PSF. Radially symmetric, so its MTF is one curve per colour channel:

* ``gaussian``: MTF(f) = exp(-2 pi^2 sigma^2 f^2), sigma in pixels (aberrations, defocus, the
  optical low-pass filter lumped together).
* ``diffraction``: the diffraction-limited incoherent MTF of a circular pupil,
  MTF(f) = 2/pi (acos(s) - s sqrt(1 - s^2)), s = f / f_c, f_c = pitch / (lambda N) cycles per
  pixel, at the centroid wavelength of each channel (so red is softer than blue), multiplied by
  the Gaussian above when sigma > 0 (residual aberrations).

Every pixel integrates light over its whole square area (100 % fill factor), so a system MTF
measured on the sensor is the optics MTF times the pixel aperture's
sinc(f cos a) sinc(f sin a) for a direction a (sinc(f) along the rows and columns).

The scenes are rendered analytically through the edge spread function (ESF) of PSF x pixel
aperture: for a straight edge whose normal makes angle a with the x axis, the value at a pixel
centre at signed distance d from the edge is ESF_a(d) = integral of (LSF * box(|cos a|) *
box(|sin a|)) up to d, where LSF is the PSF's line spread function (the inverse 1-D Fourier
transform of its MTF). This is exact for straight edges at any distance from a corner, and for
axis-aligned rectangles with the Gaussian PSF (both PSF and pixel are then separable); near the
corner of a rotated shape it is the product of the two edges' profiles.

Lens shading. Relative illumination I(r) = cos(theta)^n with tan(theta) = t r, r the distance from
the optical centre over the half-diagonal of the frame; t is chosen so that I = `shading_falloff`
at r = 1 (the frame corner when the optical centre is the frame centre). Colour shading
multiplies channel c by (1 - colour_shading[c] r^2). The true gain map that corrects it is
1 / (I(r) (1 - s_c r^2)) at each pixel, for that pixel's colour.

Distortion. The lens maps a scene point to the image radially; the model is written from the
image side (the convention of most calibration tools' undistortion): the scene point seen at
image position p is c + (p - c)(1 + k1 r^2 + k2 r^4), r = |p - c| / half-diagonal, c the frame
centre. k1 > 0 is barrel distortion (straight lines bow outwards).
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from app.capture import cfa_channels

NU_GRID = np.round(np.arange(0.0, 1.0 + 1e-9, 0.01), 2)  # frequencies recorded in the truth
ESF_STEP = 1.0 / 64.0        # sampling of the ESF lookup tables, pixels
MTF_LUT_STEP = 1.0 / 256.0   # sampling of the MTF lookup table used for sinusoidal targets
MTF_LUT_MAX = 4.0            # cycles/pixel; beyond this the system MTF is taken as 0


@dataclass(frozen=True)
class OpticsParams:
    """The lens of the virtual camera. Defaults: a sharp, moderately vignetting phone-class lens."""

    psf: Literal["gaussian", "diffraction"] = "gaussian"
    sigma_px: float = 0.6            # Gaussian blur sigma in pixels (0 = none)
    f_number: float = 2.8            # for the diffraction PSF
    pixel_pitch_um: float = 1.55     # for the diffraction PSF
    shading_falloff: float = 0.45    # relative illumination at r = 1 (1 = no vignetting)
    shading_exponent: float = 4.0    # the n of cos^n (4 = the natural cos^4 law)
    colour_shading: tuple[float, float, float] = (0.10, 0.0, 0.04)  # extra loss at r = 1, R G B
    shading_centre: tuple[float, float] = (0.0, 0.0)  # optical centre offset, fractions of half W/H
    distortion_k1: float = 0.0
    distortion_k2: float = 0.0

    def __post_init__(self):
        if self.psf not in ("gaussian", "diffraction"):
            raise ValueError(f"unknown PSF {self.psf!r}; expected gaussian or diffraction")
        if not 0.0 <= self.sigma_px <= 10.0:
            raise ValueError(f"sigma_px must be 0..10 pixels, got {self.sigma_px}")
        if self.psf == "diffraction" and (self.f_number <= 0 or self.pixel_pitch_um <= 0):
            raise ValueError("diffraction PSF needs a positive f-number and pixel pitch")
        if not 0.05 <= self.shading_falloff <= 1.0:
            raise ValueError(f"shading_falloff must be 0.05..1, got {self.shading_falloff}")
        if any(not 0.0 <= s < 0.9 for s in self.colour_shading):
            raise ValueError(f"colour_shading values must be 0..0.9, got {self.colour_shading}")
        if not -0.5 <= self.distortion_k1 <= 0.5 or not -0.5 <= self.distortion_k2 <= 0.5:
            raise ValueError("distortion coefficients must be within -0.5..0.5")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def has_distortion(self) -> bool:
        return self.distortion_k1 != 0.0 or self.distortion_k2 != 0.0


# --- MTF -----------------------------------------------------------------------------------

def cutoff_frequency(p: OpticsParams, wavelength_nm: float) -> float:
    """Diffraction cut-off in cycles per pixel: pitch / (lambda N)."""
    return p.pixel_pitch_um / (wavelength_nm * 1e-3 * p.f_number)


def mtf_optics(p: OpticsParams, nu, wavelength_nm: float) -> np.ndarray:
    """The optics' MTF at frequencies `nu` (cycles/pixel) for light of `wavelength_nm`."""
    nu = np.abs(np.asarray(nu, dtype=np.float64))
    out = np.exp(-2.0 * math.pi ** 2 * p.sigma_px ** 2 * nu ** 2)
    if p.psf == "diffraction":
        s = np.clip(nu / cutoff_frequency(p, wavelength_nm), 0.0, 1.0)
        out = out * (2.0 / math.pi) * (np.arccos(s) - s * np.sqrt(1.0 - s * s))
    return out


def mtf_pixel(nu, angle_rad: float = 0.0) -> np.ndarray:
    """MTF of the square pixel aperture along direction `angle_rad` (0 = along the rows)."""
    nu = np.asarray(nu, dtype=np.float64)
    return np.sinc(nu * math.cos(angle_rad)) * np.sinc(nu * math.sin(angle_rad))


def mtf50(nu: np.ndarray, mtf: np.ndarray) -> float | None:
    """First frequency where `mtf` falls to 0.5 (linear interpolation); None if it never does."""
    below = np.nonzero(mtf < 0.5)[0]
    if len(below) == 0 or below[0] == 0:
        return None
    i = below[0]
    f0, f1, m0, m1 = nu[i - 1], nu[i], mtf[i - 1], mtf[i]
    return float(f0 + (m0 - 0.5) * (f1 - f0) / (m0 - m1))


def support_radius(p: OpticsParams, wavelengths_nm) -> float:
    """Half-width (pixels) beyond which an edge's profile is within ~1e-4 of fully dark/light."""
    r = 6.0 * p.sigma_px + 2.0
    if p.psf == "diffraction":
        fc = min(cutoff_frequency(p, w) for w in wavelengths_nm)
        r = max(r, 25.0 / fc + 2.0)  # the Airy LSF tails fall as 1/x^3
    return float(min(max(r, 4.0), 64.0))


def _lsf(p: OpticsParams, x: np.ndarray, wavelength_nm: float, dx: float) -> np.ndarray:
    """Line spread function on the uniform grid `x` (odd length, centred on 0), summing to 1."""
    if p.psf == "gaussian":
        if p.sigma_px < 2 * dx:
            out = np.zeros_like(x)
            out[np.argmin(np.abs(x))] = 1.0
            return out
        out = np.exp(-0.5 * (x / p.sigma_px) ** 2)
        return out / out.sum()
    # Diffraction: the LSF is the inverse 1-D Fourier transform of the (radial) MTF. Sampling
    # the band-limited MTF at 1/(n dx) makes the inverse DFT the LSF periodised over n dx
    # (>= 128 px, where the Airy tails are long gone) and sampled exactly at dx.
    n = 1 << max(15, int(math.ceil(math.log2(len(x)))) + 1)
    nu = np.fft.rfftfreq(n, dx)
    lsf = np.fft.fftshift(np.fft.irfft(mtf_optics(p, nu, wavelength_nm), n))
    centre = n // 2
    half = len(x) // 2
    out = lsf[centre - half:centre + half + 1]
    return out / out.sum()


def _box(width: float, dx: float) -> np.ndarray:
    """Discrete box of exact area `width` on a grid of step dx (fractional end weights)."""
    if width < dx:
        return np.array([1.0])
    half = width / (2 * dx)
    n = int(math.floor(half + 0.5))
    k = np.arange(-n, n + 1, dtype=np.float64)
    w = np.clip(np.minimum(k + 0.5, half) - np.maximum(k - 0.5, -half), 0.0, None)
    return w / w.sum()


@functools.lru_cache(maxsize=64)
def esf_table(p: OpticsParams, wavelength_nm: float, angle_rad: float, radius: float) -> np.ndarray:
    """ESF of PSF x pixel aperture for an edge whose normal is at `angle_rad`.

    Sampled at d = -radius .. +radius in steps of `ESF_STEP` (float32); ESF(-radius) = 0,
    ESF(+radius) = 1; d > 0 is inside the bright (covered) side.
    """
    dx = 1.0 / 256.0
    span = radius + 2.0
    n = int(round(span / dx))
    x = np.arange(-n, n + 1) * dx
    h = _lsf(p, x, wavelength_nm, dx)
    h = np.convolve(h, _box(abs(math.cos(angle_rad)), dx), mode="same")
    h = np.convolve(h, _box(abs(math.sin(angle_rad)), dx), mode="same")
    esf = np.cumsum(h) - 0.5 * h      # value at the sample centre
    esf = (esf - esf[0]) / (esf[-1] - esf[0])
    d = np.arange(-radius, radius + 0.5 * ESF_STEP, ESF_STEP)
    table = np.interp(d, x, esf)
    table[0], table[-1] = 0.0, 1.0
    table = table.astype(np.float32)
    table.setflags(write=False)
    return table


def system_mtf_table(p: OpticsParams, wavelength_nm: float) -> np.ndarray:
    """Optics x pixel MTF (along the rows) on 0..MTF_LUT_MAX in MTF_LUT_STEP steps, float32."""
    nu = np.arange(0.0, MTF_LUT_MAX + 0.5 * MTF_LUT_STEP, MTF_LUT_STEP)
    return (mtf_optics(p, nu, wavelength_nm) * mtf_pixel(nu)).astype(np.float32)


def mtf_record(p: OpticsParams, wavelengths_nm) -> dict:
    """The MTF facts for the ground truth: curves and MTF50 per channel (cycles/pixel)."""
    out = {"frequencies_cy_px": NU_GRID.tolist(), "channels": {}}
    for name, wl in zip("RGB", wavelengths_nm):
        optics = mtf_optics(p, NU_GRID, wl)
        system = optics * mtf_pixel(NU_GRID)
        out["channels"][name] = {
            "wavelength_nm": round(float(wl), 2),
            "optics_mtf": [round(float(v), 6) for v in optics],
            "system_mtf": [round(float(v), 6) for v in system],
            "optics_mtf50_cy_px": _round(mtf50(NU_GRID, optics)),
            "system_mtf50_cy_px": _round(mtf50(NU_GRID, system)),
            **({"cutoff_cy_px": round(cutoff_frequency(p, wl), 6)} if p.psf == "diffraction" else {}),
        }
    return out


def _round(v, n=6):
    return None if v is None else round(float(v), n)


# --- lens shading --------------------------------------------------------------------------

@dataclass(frozen=True)
class ShadingModel:
    """Kernel-ready constants of the shading law for one frame size."""

    cx: float
    cy: float
    inv_norm: float      # 1 / half-diagonal
    t2: float            # tan(theta at r = 1)^2
    half_n: float        # exponent / 2
    colour: tuple[float, float, float]

    def as_array(self) -> np.ndarray:
        return np.array([self.cx, self.cy, self.inv_norm, self.t2, self.half_n, *self.colour],
                        dtype=np.float64)


def shading_model(p: OpticsParams, width: int, height: int) -> ShadingModel:
    cos_c = p.shading_falloff ** (1.0 / p.shading_exponent)
    t2 = 1.0 / (cos_c * cos_c) - 1.0
    cx = (width - 1) / 2.0 * (1.0 + p.shading_centre[0])
    cy = (height - 1) / 2.0 * (1.0 + p.shading_centre[1])
    return ShadingModel(cx, cy, 1.0 / math.hypot(width / 2.0, height / 2.0), t2,
                        p.shading_exponent / 2.0, tuple(float(c) for c in p.colour_shading))


def relative_illumination(model: ShadingModel, x, y, channel) -> np.ndarray:
    """Shading factor (<= 1) at positions x, y for colour channel(s) 0 R, 1 G, 2 B."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    r2 = ((x - model.cx) ** 2 + (y - model.cy) ** 2) * model.inv_norm ** 2
    colour = np.asarray(model.colour)[np.asarray(channel)]
    return (1.0 + model.t2 * r2) ** (-model.half_n) * (1.0 - colour * r2)


def shading_map(p: OpticsParams, width: int, height: int, cfa: str) -> np.ndarray:
    """Full-resolution shading factor (HxW float64), each pixel for its own CFA colour.

    Dividing a flat-field mosaic (minus black) by this map makes it flat.
    """
    model = shading_model(p, width, height)
    yy, xx = np.mgrid[0:height, 0:width]
    chan = cfa_channels(cfa)[yy & 1, xx & 1]
    return relative_illumination(model, xx, yy, chan)


def shading_gain_grids(p: OpticsParams, width: int, height: int, cfa: str,
                       cols: int = 32, rows: int = 24) -> list:
    """Correction gains [R, Gr, Gb, B][row][col] at the centres of a cols x rows grid of cells.

    The layout of camtune's LensShading stage; the gain is 1 / shading for that position's
    colour, evaluated at the cell centre.
    """
    model = shading_model(p, width, height)
    xs = (np.arange(cols) + 0.5) * width / cols - 0.5
    ys = (np.arange(rows) + 0.5) * height / rows - 0.5
    gx, gy = np.meshgrid(xs, ys)
    chans = cfa_channels(cfa)
    # CFA positions in R, Gr, Gb, B order (the stage's order), whatever the pattern.
    order = _rggb_positions(cfa)
    return [np.round(1.0 / relative_illumination(model, gx, gy, chans[pos]), 6).tolist()
            for pos in order]


def _rggb_positions(cfa: str) -> list[tuple[int, int]]:
    """(row, col) in the 2x2 tile of R, Gr (green on a red row), Gb, B."""
    chans = cfa_channels(cfa)
    r = tuple(int(v) for v in np.argwhere(chans == 0)[0])
    b = tuple(int(v) for v in np.argwhere(chans == 2)[0])
    gr = (r[0], 1 - r[1])
    gb = (b[0], 1 - b[1])
    return [r, gr, gb, b]


# --- distortion ----------------------------------------------------------------------------

def distortion_constants(p: OpticsParams, width: int, height: int) -> np.ndarray:
    """[k1, k2, cx, cy, 1/half-diagonal] for the kernels."""
    return np.array([p.distortion_k1, p.distortion_k2, (width - 1) / 2.0, (height - 1) / 2.0,
                     1.0 / math.hypot(width / 2.0, height / 2.0)], dtype=np.float64)


def image_to_scene(p: OpticsParams, width: int, height: int, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Scene position seen at image position (x, y) (identity without distortion)."""
    k1, k2, cx, cy, inv = distortion_constants(p, width, height)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    r2 = ((x - cx) ** 2 + (y - cy) ** 2) * inv * inv
    f = 1.0 + k1 * r2 + k2 * r2 * r2
    return cx + (x - cx) * f, cy + (y - cy) * f


def scene_to_image(p: OpticsParams, width: int, height: int, xs, ys) -> tuple[np.ndarray, np.ndarray]:
    """Image position where scene point (xs, ys) appears (inverse of `image_to_scene`, Newton)."""
    k1, k2, cx, cy, inv = distortion_constants(p, width, height)
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    rs = np.hypot(xs - cx, ys - cy) * inv
    rd = rs.copy()
    for _ in range(30):  # solve rd (1 + k1 rd^2 + k2 rd^4) = rs
        g = rd * (1 + k1 * rd ** 2 + k2 * rd ** 4) - rs
        dg = 1 + 3 * k1 * rd ** 2 + 5 * k2 * rd ** 4
        rd = rd - g / dg
    scale = np.where(rs > 0, rd / np.where(rs > 0, rs, 1.0), 1.0)
    return cx + (xs - cx) * scale, cy + (ys - cy) * scale
