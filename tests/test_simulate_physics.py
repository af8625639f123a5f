"""Physics checks of the virtual camera: what it records as truth is what its captures show.

Each check measures a rendered capture the way a calibration would, independently of the
simulator's own code where it matters (the spectral integration is redone from colour-science
data; the shading law is evaluated from the sidecar's formula constants).
"""
from __future__ import annotations

import math
import os
from dataclasses import replace

import numpy as np
import pytest

os.environ.setdefault("COLOUR_SCIENCE__FILTER_USAGE_WARNINGS", "True")

from app.capture import cfa_channels  # noqa: E402
from app.simulate.camera import CameraModel, Shot, simulate  # noqa: E402
from app.simulate.optics import OpticsParams  # noqa: E402
from app.simulate.sensor import SensorParams  # noqa: E402


def _planes(mosaic: np.ndarray, cfa: str, channel: int):
    """The sub-planes (2x2 positions) of one colour channel."""
    chans = cfa_channels(cfa)
    return [mosaic[i::2, j::2] for i, j in zip(*np.nonzero(chans == channel))]


# --- noise model: photon transfer -----------------------------------------------------------

@pytest.mark.parametrize("iso", [100, 800])
def test_flat_field_noise_follows_recorded_model(iso):
    """Mean/variance of flat-field pairs over a range of exposures fit the truth within 3 %."""
    camera = CameraModel(sensor=SensorParams(hot_pixels=0, dead_pixels=0))
    points = {c: [] for c in range(3)}
    truth = None
    for k, target in enumerate((0.0005, 0.002, 0.01, 0.03, 0.1, 0.25, 0.5, 0.7)):
        a, b = (simulate(Shot(scene="flat", width=640, height=480, iso=iso, exposure_target=target,
                              seed=100 + 2 * k + s), camera) for s in (0, 1))
        truth = a.truth
        black = truth["capture"]["black_level"][0]
        fa, fb = (r.capture.mosaic.astype(np.float64) for r in (a, b))
        for c in range(3):
            for pa, pb in zip(_planes(fa, "RGGB", c), _planes(fb, "RGGB", c)):
                # Temporal variance from the difference of two frames (fixed patterns cancel).
                points[c].append(((pa.mean() + pb.mean()) / 2 - black, np.var(pa - pb) / 2, pa.size))
    model = truth["noise_model"]
    assert model["analogue_gain"] == iso / 100
    for c, name in enumerate("RGB"):
        mean, var, n = np.array(points[c]).T
        weight = np.sqrt(n / (2 * var ** 2))   # 1 / standard error of each variance estimate
        design = np.stack([mean, np.ones_like(mean)], axis=1)
        slope, offset = np.linalg.lstsq(design * weight[:, None], var * weight, rcond=None)[0]
        assert slope == pytest.approx(model[name]["a"], rel=0.03), name
        assert offset == pytest.approx(model[name]["b"], rel=0.03), name
        assert mean.max() < model["valid_below_mean_dn"]


# --- spectral integration -------------------------------------------------------------------

def _independent_relative_response(illuminant_key, cct=None):
    """Camera signal of the 24 patches per unit illuminance, from colour-science directly."""
    import colour
    shape = colour.SpectralShape(380, 780, 5)

    def grid(sd):
        return np.asarray(sd.copy().align(shape).values, dtype=np.float64)

    cmf = grid(colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"])
    sens = grid(colour.MSDS_CAMERA_SENSITIVITIES["Nikon 5100 (NPL)"])
    chart = colour.SDS_COLOURCHECKERS["ColorChecker N Ohta"]
    refl = np.stack([grid(chart[name]) for name in chart])
    if cct is not None:
        spd = grid(colour.sd_blackbody(cct, shape))
    else:
        spd = grid(colour.SDS_ILLUMINANTS[illuminant_key])
    d65 = grid(colour.SDS_ILLUMINANTS["D65"])
    reference = (d65 @ sens[:, 1]) / (d65 @ cmf[:, 1])      # D65 perfect white, green, per lux
    return (refl * spd) @ sens / (spd @ cmf[:, 1]) / reference, list(chart)


@pytest.mark.parametrize("light", [("A", None), ("F11", "FL11"), ("Planck3200", None)])
def test_colorchecker_patch_means_equal_spectral_integration(light):
    name, key = light
    cct = 3200.0 if name.startswith("Planck") else None
    camera = CameraModel().ideal()
    shot = Shot(scene="colorchecker", width=960, height=720, illuminant=name)
    result = simulate(shot, camera)
    truth = result.truth
    rel, names = _independent_relative_response(key or name, cct)
    sensor = camera.sensor
    scale = sensor.sensitivity * shot.lux * truth["exposure"]["time_s"]
    kg = truth["noise_model"]["conversion_gain_dn_per_e"]
    dark_dn = truth["exposure"]["dark_signal_dn"]
    mosaic = result.capture.mosaic.astype(np.float64)
    black = truth["capture"]["black_level"][0]
    chans = cfa_channels(result.capture.cfa)
    yy, xx = np.mgrid[0:mosaic.shape[0], 0:mosaic.shape[1]]
    site = chans[yy & 1, xx & 1]
    patches = truth["geometry"]["colorchecker"]["patches"]
    assert [p["name"] for p in patches] == names
    for idx, patch in enumerate(patches):
        x0, y0, x1, y1 = patch["rect"]
        w, h = x1 - x0, y1 - y0
        inner = (xx > x0 + w / 4) & (xx < x1 - w / 4) & (yy > y0 + h / 4) & (yy < y1 - h / 4)
        for c in range(3):
            measured = mosaic[inner & (site == c)].mean() - black
            expected = rel[idx, c] * scale * kg + dark_dn
            assert measured == pytest.approx(expected, abs=0.5 + 1e-4 * expected), (patch["name"], c)
            assert patch["expected"]["mean_dn_above_black"][c] == pytest.approx(expected, rel=1e-5, abs=1e-3)


# --- MTF from a slanted edge ----------------------------------------------------------------

def _edge_mtf(mosaic, cfa, edge, channel, half_width=30.0, bin_width=0.125):
    """ISO 12233-style MTF of one slanted edge: project sites onto the known edge normal."""
    px, py = edge["point"]
    nx, ny = edge["normal_dark_to_light"]
    (sx, sy), (ex, ey) = edge["start"], edge["end"]
    length = math.hypot(ex - sx, ey - sy)
    ax, ay = (ex - sx) / length, (ey - sy) / length
    yy, xx = np.mgrid[0:mosaic.shape[0], 0:mosaic.shape[1]]
    d = (xx - px) * nx + (yy - py) * ny
    s = (xx - px) * ax + (yy - py) * ay
    site = cfa_channels(cfa)[yy & 1, xx & 1]
    sel = (np.abs(d) < half_width) & (np.abs(s) < 0.4 * length) & (site == channel)
    nbins = int(round(2 * half_width / bin_width))
    idx = np.clip(np.floor((d[sel] + half_width) / bin_width).astype(int), 0, nbins - 1)
    count = np.bincount(idx, minlength=nbins)
    total = np.bincount(idx, mosaic[sel].astype(np.float64), minlength=nbins)
    centres = (np.arange(nbins) + 0.5) * bin_width - half_width
    ok = count > 0
    esf = np.interp(centres, centres[ok], total[ok] / count[ok])
    lsf = np.gradient(esf, bin_width)
    spectrum = np.abs(np.fft.rfft(lsf))
    freq = np.fft.rfftfreq(len(lsf), bin_width)
    # Undo the central difference (sinc over 2 bins) and the binning (sinc over 1 bin).
    return freq, spectrum / spectrum[0] / (np.sinc(2 * freq * bin_width) * np.sinc(freq * bin_width))


@pytest.mark.parametrize("optics", [OpticsParams(psf="gaussian", sigma_px=0.6),
                                    OpticsParams(psf="diffraction", sigma_px=0.0, f_number=4.0)],
                         ids=["gaussian", "diffraction"])
def test_edge_mtf_matches_recorded_psf_mtf(optics):
    camera = CameraModel(optics=optics, sensor=SensorParams(bits=16)).ideal()
    result = simulate(Shot(scene="edge", width=1600, height=1200), camera)
    truth = result.truth
    mtf = truth["optics"]["mtf"]
    nu = np.array(mtf["frequencies_cy_px"])
    edges = truth["geometry"]["slanted_edges"]
    assert len(edges) == 36 and {e["orientation"] for e in edges} == {"vertical", "horizontal"}
    assert all(abs(abs(e["angle_from_axis_deg"]) - 5.0) < 1e-6 for e in edges)
    for edge in (edges[16], edges[18]):  # centre square: one near-vertical, one near-horizontal
        theta = math.radians(5.0)
        for c, name in enumerate("RGB"):
            freq, measured = _edge_mtf(result.capture.mosaic, result.capture.cfa, edge, c)
            rec = mtf["channels"][name]
            # The recorded system MTF is along an axis; the 5 degree slant adds sinc(f sin 5).
            expected = np.array(rec["optics_mtf"]) * np.sinc(nu * math.cos(theta)) * np.sinc(nu * math.sin(theta))
            upto = nu <= 0.5
            got = np.interp(nu, freq, measured)
            assert np.abs(got - expected)[upto].max() < 0.02, (edge["orientation"], name)
            assert np.abs(np.array(rec["system_mtf"]) - expected)[upto].max() < 0.003
            # MTF50 from the measurement agrees with the recorded one.
            below = np.nonzero(got < 0.5)[0][0]
            f50 = nu[below - 1] + (got[below - 1] - 0.5) * (nu[below] - nu[below - 1]) / (got[below - 1] - got[below])
            assert f50 == pytest.approx(rec["system_mtf50_cy_px"], rel=0.03)


# --- lens shading ---------------------------------------------------------------------------

def test_lens_shading_map_divides_out_exactly():
    optics = OpticsParams(shading_falloff=0.4, colour_shading=(0.12, 0.02, 0.05), shading_centre=(0.05, -0.03))
    camera = CameraModel(optics=optics, sensor=SensorParams(bits=16).noise_free())
    result = simulate(Shot(scene="flat", width=800, height=600, cct=4500, exposure_target=0.9), camera)
    truth = result.truth
    ls = truth["lens_shading"]
    h, w = result.capture.mosaic.shape
    yy, xx = np.mgrid[0:h, 0:w]
    site = cfa_channels(result.capture.cfa)[yy & 1, xx & 1]
    # The shading law from the sidecar's own constants, not the simulator's code.
    r2 = ((xx - ls["centre_x"]) ** 2 + (yy - ls["centre_y"]) ** 2) * ls["inv_half_diagonal"] ** 2
    shading = (1 + ls["tan2_theta_edge"] * r2) ** (-ls["exponent"] / 2) * (1 - np.array(ls["colour_shading"])[site] * r2)
    # Dark current is not shaded: remove it with the black level, then divide the shading out.
    signal = (result.capture.mosaic.astype(np.float64) - truth["capture"]["black_level"][0]
              - truth["exposure"]["dark_signal_dn"])
    flat = signal / shading
    for c in range(3):
        v = flat[site == c]
        # Rounding to integer DN is the only error left: < 0.5 DN before the division.
        tol = 0.5 / (shading[site == c] * 1.0).min() + 1e-3
        assert v.max() - v.min() < 2 * tol + 1e-6 * v.mean(), c
    assert shading.min() < 0.45  # the frame really is shaded
    # The recorded grid is 1/shading at the cell centres, per CFA position R, Gr, Gb, B.
    grid = np.array(ls["grid"]["gains"])
    assert grid.shape == (4, 24, 32)
    gx = (np.arange(32) + 0.5) * w / 32 - 0.5
    gy = (np.arange(24) + 0.5) * h / 24 - 0.5
    cx, cy = np.meshgrid(gx, gy)
    r2g = ((cx - ls["centre_x"]) ** 2 + (cy - ls["centre_y"]) ** 2) * ls["inv_half_diagonal"] ** 2
    for pos, chan in enumerate((0, 1, 1, 2)):
        want = 1 / ((1 + ls["tan2_theta_edge"] * r2g) ** (-ls["exponent"] / 2) * (1 - ls["colour_shading"][chan] * r2g))
        np.testing.assert_allclose(grid[pos], want, rtol=1e-5)


# --- defects, black level, determinism ------------------------------------------------------

def test_defects_black_level_and_dark_frame():
    camera = CameraModel(sensor=SensorParams(hot_pixels=12, dead_pixels=6))
    dark = simulate(Shot(scene="dark", width=640, height=480, seed=3), camera)
    flat = simulate(Shot(scene="flat", width=640, height=480, seed=4), camera)
    truth = flat.truth
    assert dark.truth["defects"] == truth["defects"]  # the sensor's own defects, every frame
    hot = [d for d in truth["defects"] if d["type"] == "hot"]
    dead = [d for d in truth["defects"] if d["type"] == "dead"]
    assert len(hot) == 12 and len(dead) == 6
    for d in hot:
        assert flat.capture.mosaic[d["y"], d["x"]] == d["value_dn"]
        assert dark.capture.mosaic[d["y"], d["x"]] == d["value_dn"]
    black = truth["capture"]["black_level"][0]
    for d in dead:
        assert abs(int(flat.capture.mosaic[d["y"], d["x"]]) - black) < 12
    # The dark frame's mean is the black level plus the recorded dark signal (hot pixels aside).
    mask = np.ones(dark.capture.mosaic.shape, bool)
    for d in hot:
        mask[d["y"], d["x"]] = False
    mean = dark.capture.mosaic[mask].mean()
    assert mean - black == pytest.approx(dark.truth["exposure"]["dark_signal_dn"], abs=0.05)
    assert dark.capture.black_level == (256.0,) * 4


def test_render_is_deterministic_and_seeded():
    shot = Shot(scene="demo", width=320, height=180, seed=7)
    a, b = simulate(shot), simulate(shot)
    assert np.array_equal(a.capture.mosaic, b.capture.mosaic)
    c = simulate(replace(shot, seed=8))
    assert not np.array_equal(a.capture.mosaic, c.capture.mosaic)


def test_distortion_moves_geometry_as_recorded():
    optics = OpticsParams(distortion_k1=0.08, shading_falloff=1.0, colour_shading=(0, 0, 0))
    camera = CameraModel(optics=optics, sensor=SensorParams().noise_free())
    result = simulate(Shot(scene="colorchecker", width=960, height=720), camera)
    truth = result.truth
    assert truth["distortion"]["k1"] == 0.08
    mosaic = result.capture.mosaic.astype(np.float64)
    site = cfa_channels("RGGB")
    black = truth["capture"]["black_level"][0]
    moved = 0
    for patch in truth["geometry"]["colorchecker"]["patches"]:
        ix, iy = patch["image_centre"]
        sx, sy = patch["centre"]
        moved = max(moved, math.hypot(ix - sx, iy - sy))
        # Barrel distortion pulls points towards the centre.
        assert math.hypot(ix - 479.5, iy - 359.5) <= math.hypot(sx - 479.5, sy - 359.5) + 1e-9
        x, y = int(round(ix)), int(round(iy))
        box = mosaic[y - 6:y + 6, x - 6:x + 6]
        for c in range(3):
            sel = (site[np.arange(y - 6, y + 6)[:, None] & 1, np.arange(x - 6, x + 6)[None, :] & 1] == c)
            expected = patch["expected"]["mean_dn_above_black"][c]
            assert box[sel].mean() - black == pytest.approx(expected, abs=0.6 + 1e-3 * expected)
    assert moved > 3  # the distortion is not negligible at the chart's corners
