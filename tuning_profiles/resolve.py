"""Resolving a profile for one capture: the concrete `IspParams` the engine renders with.

A capture's conditions are its colour temperature (CT, from its white point) and its analogue
gain (its ISO / the profile's base ISO). Every table keyed by a condition is interpolated linearly
in it and clamped at the ends (`tuning_profiles.interp.by_key`), as libcamera does:

- `ccm.tables` -> `ccm.matrix` (used when the profile's ccm stage has `source: "manual"`; an
  imported firmware profile has; the neutral default keeps the capture's own matrices);
- `wb.ct_curve` -> `wb.gains` = (1/r, 1, 1/b) at the CT (used when the wb stage is manual);
- `lsc.tables` (+ luminance) -> `lsc.gains`, Bayer channels (R, Gr, Gb, B) on a cell-centred grid;
- `denoise.by_gain`, `sharpen.by_gain` -> the strengths at the gain.

Where the CT comes from (`facts_for_capture`): with an AWB curve in the profile, the capture's
as-shot neutral is placed on that curve (the closest point of the piecewise-linear curve in
(R/G, B/G), as the firmware's AWB does with its own curve); otherwise the capture's DNG colour
matrices give it (`app.colorimetry.white_point`); otherwise `DEFAULT_CT`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.isp.stages import IspParams, LensShading
from tuning_profiles import interp
from tuning_profiles.model import LscSection, Profile

DEFAULT_CT = 5000.0   # K, when a capture says nothing about its light (libcamera RkISP1's default)
DEFAULT_GAIN = 1.0    # base ISO
CHANNELS = ("r", "gr", "gb", "b")  # the engine's Bayer-channel order (R, Gr, Gb, B)


@dataclass(frozen=True)
class CaptureFacts:
    """The conditions a profile is resolved for. None means unknown (the defaults apply)."""

    ct: float | None = None    # correlated colour temperature of the scene light, K
    gain: float | None = None  # analogue gain, 1 = base ISO


def lsc_applied(section: LscSection, ct: float, normalise: bool = True) -> dict[str, np.ndarray] | None:
    """Gains applied per channel at `ct` on the section's own grid (None without tables).

    `normalise=False` leaves "relative" tables unnormalised, for a caller that resamples first.
    """
    if not section.tables:
        return None
    cts = [t.ct for t in section.tables]
    chans = {c: interp.by_key(cts, np.stack([t.channels()[c] for t in section.tables]), ct)
             for c in CHANNELS}
    if section.luminance is not None:
        lum = 1.0 + (np.asarray(section.luminance, np.float64) - 1.0) * section.luminance_strength
        chans = {c: g * lum for c, g in chans.items()}
    if section.gains == "relative" and normalise:
        chans = {c: g / g.min() for c, g in chans.items()}
    return chans


def to_cells(section: LscSection, grid: np.ndarray, cols: int | None = None,
             rows: int | None = None) -> np.ndarray:
    """A grid of the section's layout resampled to cell centres (`cols` x `rows`, default: same count)."""
    g = np.asarray(grid, np.float64)
    cols = g.shape[1] if cols is None else cols
    rows = g.shape[0] if rows is None else rows
    if section.grid.layout == "nodes":
        return interp.resample(g, np.asarray(section.grid.x), np.asarray(section.grid.y),
                               interp.cell_centres(cols), interp.cell_centres(rows))
    return interp.resample_cells(g, cols, rows)


def ct_on_curve(profile: Profile, neutral) -> float | None:
    """CT of the point of the profile's AWB curve closest to a camera neutral (R, G, B)."""
    curve = profile.wb.ct_curve
    if len(curve) < 2 or neutral is None:
        return None
    n = np.asarray(neutral, np.float64)
    if n.shape != (3,) or not np.all(np.isfinite(n)) or n[1] <= 0:
        return None
    p = np.array([n[0] / n[1], n[2] / n[1]])
    best, best_d = None, np.inf
    for a, b in zip(curve, curve[1:]):
        pa, pb = np.array([a.r, a.b]), np.array([b.r, b.b])
        seg = pb - pa
        t = float(np.clip(np.dot(p - pa, seg) / max(float(np.dot(seg, seg)), 1e-18), 0.0, 1.0))
        d = float(np.sum((pa + t * seg - p) ** 2))
        if d < best_d:
            best, best_d = a.ct + t * (b.ct - a.ct), d
    return best


def facts_for_capture(profile: Profile, capture) -> CaptureFacts:
    """The conditions of a capture, as this profile sees them (see the module docstring)."""
    ct = ct_on_curve(profile, capture.as_shot_neutral)
    if ct is None:
        from app.colorimetry import white_point
        wp = white_point(capture)
        ct = None if wp is None else float(wp[1])
    gain = None
    if capture.iso:
        gain = max(float(capture.iso) / profile.identity.base_iso, 1e-3)
    return CaptureFacts(ct=ct, gain=gain)


def resolve(profile: Profile, facts: CaptureFacts | None = None) -> IspParams:
    """The stage parameters for a capture with these facts (unknown facts: the defaults)."""
    facts = facts or CaptureFacts()
    ct = DEFAULT_CT if facts.ct is None else float(facts.ct)
    gain = DEFAULT_GAIN if facts.gain is None else float(facts.gain)
    params = profile.stages

    if profile.ccm.tables:
        m = interp.by_key([t.ct for t in profile.ccm.tables], [t.matrix for t in profile.ccm.tables], ct)
        params = params.with_stage("ccm", matrix=tuple(float(v) for v in m))
    if profile.wb.ct_curve:
        curve = profile.wb.ct_curve
        r, b = interp.by_key([p.ct for p in curve], [(p.r, p.b) for p in curve], ct)
        params = params.with_stage("wb", gains=(1.0 / float(r), 1.0, 1.0 / float(b)))
    chans = lsc_applied(profile.lsc, ct)
    if chans is not None:
        spec = LensShading.spec("gains")
        grids = [np.clip(to_cells(profile.lsc, chans[c]), spec.minimum, spec.maximum) for c in CHANNELS]
        params = params.with_stage("lsc", gains=tuple(tuple(tuple(float(v) for v in row) for row in g)
                                                      for g in grids))
    if profile.denoise.by_gain:
        rows = profile.denoise.by_gain
        luma, chroma = interp.by_key([e.gain for e in rows],
                                     [(e.luma_strength, e.chroma_strength) for e in rows], gain)
        params = params.with_stage("denoise", luma_strength=float(luma), chroma_strength=float(chroma))
    if profile.sharpen.by_gain:
        rows = profile.sharpen.by_gain
        (strength,) = interp.by_key([e.gain for e in rows], [(e.strength,) for e in rows], gain)
        params = params.with_stage("sharpen", strength=float(strength))
    return params


def resolve_for_capture(profile: Profile, capture) -> IspParams:
    """`resolve` with the capture's own conditions."""
    return resolve(profile, facts_for_capture(profile, capture))
