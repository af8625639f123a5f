"""The image sensor: photons to electrons to digital numbers, with the noise of a real one.

Signal chain, per pixel (all random draws from numpy's PCG64, seeded, so renders are
deterministic; the two numba kernels are pure, parallel, and cached on disk):

1. Expected photo-electrons: S = relative scene signal x sensitivity x lux x exposure time
   x lens shading x (1 + PRNU). Plus the mean dark signal D = dark current x exposure time.
2. Photon shot noise and dark-current shot noise: N ~ Poisson(S + D), clipped at the full well.
3. Analogue gain g = ISO / base ISO. Conversion to DN: k g DN per electron, k = (white - black)
   / full well at base ISO (so the full well just reaches the white level at unit gain).
4. Read noise (Gaussian, `read_noise_e` before the gain) and ADC noise (Gaussian, `adc_noise_dn`
   after it); DSNU (fixed per-pixel offset, `dsnu_e` electrons, before the gain); the black
   level pedestal; rounding to integer DN; clipping to [0, white level = 2^bits - 1].
5. Defects: hot pixels stuck at a high value, dead pixels with no photo-response.

Temporal noise model in DN above black (what a photon-transfer measurement recovers):
variance = a * mean + b, with a = k g and b = (k g read_noise_e)^2 + adc_noise_dn^2 + 1/12
(the last term is rounding). The mean includes the dark signal. It holds per channel, below
the clipping point. PRNU and DSNU are fixed patterns (same in every frame of this sensor, from
`fixed_pattern_seed`): they cancel in the difference of two frames, as in EMVA 1288.
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass, replace

import numpy as np
from numba import njit, prange

from app.capture import CFA_PATTERNS, cfa_channels

BIT_DEPTHS = (8, 10, 12, 14, 16)


@dataclass(frozen=True)
class SensorParams:
    """A 12 MP-class CMOS sensor (roughly 1.55 um pixels). Defaults are plausible, not a datasheet."""

    bits: int = 12
    cfa: str = "RGGB"
    black_level: tuple[float, float, float, float] | None = None  # None: 2^(bits-4) everywhere
    full_well_e: float = 9000.0
    sensitivity: float = 300.0          # green e- per lux-second, perfect white under D65
    base_iso: float = 100.0
    read_noise_e: float = 2.2
    adc_noise_dn: float = 0.3
    dark_current_e_s: float = 8.0       # electrons per second (sensor at ~40 C)
    prnu: float = 0.006                 # std of the per-pixel gain (fraction)
    dsnu_e: float = 1.0                 # std of the per-pixel dark offset (electrons)
    shot_noise: bool = True
    hot_pixels: int | None = None       # None: 2e-5 of the pixels
    dead_pixels: int | None = None      # None: 1e-5 of the pixels
    fixed_pattern_seed: int = 20240611  # the sensor's own PRNU/DSNU/defect map

    def __post_init__(self):
        if self.bits not in BIT_DEPTHS:
            raise ValueError(f"bit depth must be one of {BIT_DEPTHS}, got {self.bits}")
        if self.cfa not in CFA_PATTERNS:
            raise ValueError(f"unknown CFA pattern {self.cfa!r}; expected one of {', '.join(CFA_PATTERNS)}")
        if self.black_level is not None:
            if len(self.black_level) != 4 or any(not 0 <= b < self.white_level / 2 for b in self.black_level):
                raise ValueError(f"black level must be 4 values below half the white level, got {self.black_level}")
        for name in ("full_well_e", "sensitivity", "base_iso"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        for name in ("read_noise_e", "adc_noise_dn", "dark_current_e_s", "prnu", "dsnu_e"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @property
    def white_level(self) -> int:
        return (1 << self.bits) - 1

    @property
    def black(self) -> tuple[float, float, float, float]:
        if self.black_level is not None:
            return tuple(float(b) for b in self.black_level)
        return (float(1 << (self.bits - 4)),) * 4

    @property
    def dn_per_electron(self) -> float:
        """Conversion gain k at base ISO."""
        return (self.white_level - max(self.black)) / self.full_well_e

    def noise_free(self) -> SensorParams:
        """The same sensor with every random and fixed-pattern component switched off."""
        return replace(self, shot_noise=False, read_noise_e=0.0, adc_noise_dn=0.0, prnu=0.0,
                       dsnu_e=0.0, hot_pixels=0, dead_pixels=0)

    def defect_counts(self, width: int, height: int) -> tuple[int, int]:
        n = width * height
        hot = self.hot_pixels if self.hot_pixels is not None else int(round(2e-5 * n))
        dead = self.dead_pixels if self.dead_pixels is not None else int(round(1e-5 * n))
        return hot, dead

    def to_dict(self) -> dict:
        d = asdict(self)
        d["black_level"] = list(self.black)
        d["white_level"] = self.white_level
        return d


def saturation_electrons(p: SensorParams, iso: float) -> float:
    """Electrons at which the output clips: the full well or the white level, whichever first."""
    kg = p.dn_per_electron * iso / p.base_iso
    return min(p.full_well_e, (p.white_level - max(p.black)) / kg)


def noise_model(p: SensorParams, iso: float) -> dict:
    """The true temporal noise model in DN at this ISO: variance = a * mean + b (per channel)."""
    gain = iso / p.base_iso
    kg = p.dn_per_electron * gain
    a = kg if p.shot_noise else 0.0
    b = (kg * p.read_noise_e) ** 2 + p.adc_noise_dn ** 2 + 1.0 / 12.0
    per = {"a": round(a, 9), "b": round(b, 9)}
    saturation = kg * saturation_electrons(p, iso)
    return {"formula": "variance_dn2 = a * mean_dn + b, mean above black, temporal noise",
            "analogue_gain": gain, "conversion_gain_dn_per_e": round(kg, 9),
            "R": per, "G": dict(per), "B": dict(per),
            "read_noise_e": p.read_noise_e, "adc_noise_dn": p.adc_noise_dn,
            "quantisation_variance_dn2": 1.0 / 12.0, "shot_noise": p.shot_noise,
            "valid_below_mean_dn": round(float(saturation) * 0.95, 3),
            "prnu": p.prnu, "dsnu_e": p.dsnu_e}


# --- fixed pattern: PRNU, DSNU, defects ----------------------------------------------------

@functools.lru_cache(maxsize=2)
def _fixed_pattern(seed: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, 1])
    prnu = rng.standard_normal((height, width), dtype=np.float32)
    dsnu = rng.standard_normal((height, width), dtype=np.float32)
    prnu.setflags(write=False)
    dsnu.setflags(write=False)
    return prnu, dsnu


def defect_map(p: SensorParams, width: int, height: int) -> list[dict]:
    """The sensor's defective pixels: [{x, y, type 'hot'|'dead', value_dn (hot only)}].

    Positions come from `fixed_pattern_seed` (the same sensor always has the same defects);
    defects are isolated (no two within 2 pixels), so a 5x5 neighbourhood test finds each one.
    """
    n_hot, n_dead = p.defect_counts(width, height)
    total = n_hot + n_dead
    if total == 0:
        return []
    rng = np.random.default_rng([p.fixed_pattern_seed, 2])
    taken: set[tuple[int, int]] = set()
    chosen: list[tuple[int, int]] = []
    for _ in range(50):
        xs = rng.integers(2, width - 2, size=2 * total)
        ys = rng.integers(2, height - 2, size=2 * total)
        for x, y in zip(xs.tolist(), ys.tolist()):
            if len(chosen) == total:
                break
            if (x // 3, y // 3) in taken or any((x // 3 + i, y // 3 + j) in taken
                                                for i in (-1, 0, 1) for j in (-1, 0, 1)):
                continue
            taken.add((x // 3, y // 3))
            chosen.append((x, y))
        if len(chosen) == total:
            break
    levels = rng.uniform(0.5, 1.0, size=n_hot)
    out = []
    for i, (x, y) in enumerate(chosen):
        if i < n_hot:
            out.append({"x": x, "y": y, "type": "hot", "value_dn": int(round(levels[i] * p.white_level))})
        else:
            out.append({"x": x, "y": y, "type": "dead"})
    return out


# --- kernels -------------------------------------------------------------------------------

@njit(cache=True, nogil=True, parallel=True)
def _expected_electrons(rel, chan, scale, shading, prnu, prnu_sigma, dark_e, out):
    """out = rel x scale x shading(x, y, channel) x (1 + prnu_sigma prnu) + dark_e (float64)."""
    h, w = rel.shape
    cx = shading[0]
    cy = shading[1]
    inv2 = shading[2] * shading[2]
    t2 = shading[3]
    half_n = shading[4]
    use_prnu = prnu_sigma > 0.0
    for y in prange(h):
        dy2 = (y - cy) * (y - cy)
        for x in range(w):
            c = chan[y & 1, x & 1]
            r2 = ((x - cx) * (x - cx) + dy2) * inv2
            s = (1.0 + t2 * r2) ** (-half_n) * (1.0 - shading[5 + c] * r2)
            v = rel[y, x] * scale * s
            if use_prnu:
                v *= 1.0 + prnu_sigma * prnu[y, x]
            if v < 0.0:
                v = 0.0
            out[y, x] = v + dark_e


@njit(cache=True, nogil=True, parallel=True)
def _readout(electrons, full_well, kg, black, dsnu, dsnu_sigma, noise, noise_sigma, white, out):
    """DN = round(min(e, FW) k g + dsnu k g + noise + black), clipped to [0, white], uint16."""
    h, w = electrons.shape
    use_dsnu = dsnu_sigma > 0.0
    use_noise = noise_sigma > 0.0
    for y in prange(h):
        for x in range(w):
            e = electrons[y, x]
            if e > full_well:
                e = full_well
            v = e * kg + black[y & 1, x & 1]
            if use_dsnu:
                v += dsnu_sigma * kg * dsnu[y, x]
            if use_noise:
                v += noise_sigma * noise[y, x]
            v = math.floor(v + 0.5)
            if v < 0.0:
                v = 0.0
            elif v > white:
                v = white
            out[y, x] = np.uint16(v)


def expose(rel: np.ndarray, p: SensorParams, *, lux: float, exposure_time: float, iso: float,
           shading: np.ndarray, seed: int, defects: list[dict]) -> np.ndarray:
    """Turn the painted relative scene signal (HxW float32) into the uint16 CFA mosaic.

    `shading` is `optics.shading_model(...).as_array()`; `seed` drives the temporal noise.
    """
    h, w = rel.shape
    chan = cfa_channels(p.cfa)
    prnu, dsnu = _fixed_pattern(p.fixed_pattern_seed, h, w)
    dark_e = p.dark_current_e_s * exposure_time
    scale = p.sensitivity * lux * exposure_time
    lam = np.empty((h, w), dtype=np.float64)
    _expected_electrons(rel, chan, scale, shading, prnu, p.prnu, dark_e, lam)
    dead = [(d["y"], d["x"]) for d in defects if d["type"] == "dead"]
    if dead:
        ys, xs = np.array(dead).T
        lam[ys, xs] = dark_e
    rng = np.random.default_rng([seed, 0x5EED])
    electrons = rng.poisson(lam).astype(np.float64) if p.shot_noise else lam
    kg = p.dn_per_electron * iso / p.base_iso
    sigma = math.hypot(kg * p.read_noise_e, p.adc_noise_dn)
    noise = rng.standard_normal((h, w), dtype=np.float32) if sigma > 0 else prnu
    black = np.array(p.black, dtype=np.float64).reshape(2, 2)
    out = np.empty((h, w), dtype=np.uint16)
    _readout(electrons, float(p.full_well_e), kg, black, dsnu, p.dsnu_e, noise, sigma,
             float(p.white_level), out)
    hot = [(d["y"], d["x"], d["value_dn"]) for d in defects if d["type"] == "hot"]
    if hot:
        ys, xs, vals = np.array(hot).T
        out[ys, xs] = vals.astype(np.uint16)
    return out
