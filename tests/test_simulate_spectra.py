"""The spectral side of the virtual camera: illuminants, the fitted colour matrices, the optics
formulas and the scenes' geometry records."""
from __future__ import annotations

import math

import numpy as np
import pytest

from app.simulate import optics, scenes, spectra


@pytest.mark.parametrize("name, cct, exif", [("A", 2856, 17), ("D50", 5003, 23), ("D65", 6504, 21),
                                             ("CWF", 4230, 14), ("TL84", 4000, 14), ("f11", 4000, 14)])
def test_named_illuminants(name, cct, exif):
    il = spectra.illuminant(name)
    assert (il.cct, il.exif, il.kind) == (cct, exif, "named")
    assert il.spd.shape == spectra.WAVELENGTHS.shape and il.spd.max() == 1.0
    assert not il.spd.flags.writeable


def test_illuminants_at_any_colour_temperature():
    import colour
    for cct, kind in ((2000, "planckian"), (3200, "planckian"), (4000, "daylight"), (5500, "daylight"),
                      (9000, "daylight")):
        il = spectra.illuminant(cct=cct)
        assert il.kind == kind
        xyz = spectra.tristimulus(il.spd, spectra.flat_reflectance(1.0))[0]
        uv = colour.xy_to_UCS_uv(xyz[:2] / xyz.sum())
        measured = colour.temperature.uv_to_CCT(uv, method="Ohno 2013")[0]
        assert measured == pytest.approx(cct, rel=0.01)
    assert spectra.illuminant("D55").name == "D5500"
    assert spectra.illuminant("Planck2700").kind == "planckian"
    for bad in ({"name": "sodium"}, {"cct": 500}, {"cct": 40000}):
        with pytest.raises(ValueError):
            spectra.illuminant(**bad)


@pytest.mark.parametrize("name", ["A", "F2", "F11", "D50", "D65"])
def test_fitted_camera_matrix_is_white_preserving_and_accurate(name):
    import colour
    il = spectra.illuminant(name)
    m = spectra.camera_to_xyz(il)
    white = spectra.tristimulus(il.spd, spectra.flat_reflectance(1.0))[0]
    np.testing.assert_allclose(m @ spectra.camera_neutral(il), white, atol=1e-12)
    _, refl = spectra.colorchecker()
    cam = spectra.camera_rgb(il.spd, refl)
    cam /= spectra.camera_rgb(il.spd, spectra.flat_reflectance(1.0))[0, 1]
    wp = colour.XYZ_to_xy(white)
    lab_true = colour.XYZ_to_Lab(spectra.tristimulus(il.spd, refl), wp)
    lab_fit = colour.XYZ_to_Lab(cam @ m.T, wp)
    de = colour.delta_E(lab_true, lab_fit, method="CIE 2000")
    assert de.mean() < 2.0 and de.max() < 6.0
    # DNG ColorMatrix: inverse of the fit, scaled so the D50 PCS white's largest component is 1.
    cm = spectra.dng_color_matrix(il)
    assert (cm @ spectra.XYZ_D50_PCS).max() == pytest.approx(1.0)
    n = cm @ white
    np.testing.assert_allclose(n / n[1], spectra.camera_neutral(il), rtol=1e-10)
    ccm = spectra.camera_to_srgb(il)
    np.testing.assert_allclose(ccm.sum(axis=1), 1.0, atol=1e-9)


def test_relative_response_reference():
    d65 = spectra.illuminant("D65")
    white = spectra.relative_response(d65, spectra.flat_reflectance(1.0))[0]
    assert white[1] == pytest.approx(1.0)
    half = spectra.relative_response(d65, spectra.flat_reflectance(0.5))[0]
    np.testing.assert_allclose(half, white / 2)
    gains = spectra.white_balance_gains(spectra.illuminant("A"))
    assert gains[1] == 1 and gains[2] > gains[0]  # blue needs the most gain under tungsten
    r, g, b = spectra.centroid_wavelengths()
    assert 580 < r < 620 and 510 < g < 550 and 450 < b < 490


def test_mtf_formulas():
    p = optics.OpticsParams(psf="gaussian", sigma_px=0.5)
    nu = np.linspace(0, 1, 101)
    np.testing.assert_allclose(optics.mtf_optics(p, nu, 550), np.exp(-2 * math.pi ** 2 * 0.25 * nu ** 2))
    assert optics.mtf50(nu, optics.mtf_optics(p, nu, 550)) == pytest.approx(
        math.sqrt(math.log(2) / (2 * math.pi ** 2)) / 0.5, rel=1e-3)
    d = optics.OpticsParams(psf="diffraction", sigma_px=0.0, f_number=8.0, pixel_pitch_um=1.5)
    fc = optics.cutoff_frequency(d, 500)
    assert fc == pytest.approx(1.5 / (0.5 * 8))
    m = optics.mtf_optics(d, [0, fc / 2, fc, 2 * fc], 500)
    assert m[0] == 1 and m[1] == pytest.approx(0.391, abs=1e-3) and m[2] == 0 and m[3] == 0
    # The ESF tables integrate the LSF to exactly 0 and 1 and are monotonic and symmetric.
    for params in (p, d):
        table = optics.esf_table(params, 550, math.radians(5), 12.0)
        assert table[0] == 0 and table[-1] == 1
        assert np.all(np.diff(table) >= -1e-6)
        np.testing.assert_allclose(table + table[::-1], 1.0, atol=2e-4)


def test_distortion_mapping_round_trip():
    p = optics.OpticsParams(distortion_k1=0.1, distortion_k2=-0.02)
    xs, ys = np.meshgrid(np.linspace(0, 1279, 9), np.linspace(0, 959, 7))
    ix, iy = optics.scene_to_image(p, 1280, 960, xs, ys)
    bx, by = optics.image_to_scene(p, 1280, 960, ix, iy)
    np.testing.assert_allclose(bx, xs, atol=1e-9)
    np.testing.assert_allclose(by, ys, atol=1e-9)


@pytest.mark.parametrize("name", scenes.SCENES)
@pytest.mark.parametrize("size", [(640, 480), (1920, 1080), (1000, 1400)])
def test_scene_geometry_fits_the_frame(name, size):
    w, h = size
    s = scenes.build_scene(name, w, h)
    assert s.shapes and all(len(m.reflectance) == len(spectra.WAVELENGTHS) for m in s.materials)
    for shape in s.shapes[1:]:
        x0, y0, x1, y1 = shape.extent()
        assert -1e-6 <= x0 and x1 <= w + 1e-6 and -1e-6 <= y0 and y1 <= h + 1e-6, (name, shape)
    cc = s.geometry.get("colorchecker")
    if cc:
        xs = [p["centre"][0] for p in cc["patches"]]
        assert cc["patches"][0]["name"] == "dark skin" and cc["patches"][23]["name"].startswith("black")
        assert xs[:6] == sorted(xs[:6])
        width = cc["corners"][1][0] - cc["corners"][0][0]
        assert 0.25 * w < width < 0.9 * w  # what Raspberry Pi's tuning tool wants
    for edge in s.geometry.get("slanted_edges", []):
        n = np.array(edge["normal_dark_to_light"])
        along = np.subtract(edge["end"], edge["start"])
        assert abs(n @ along) < 1e-3 and np.linalg.norm(n) == pytest.approx(1.0, abs=1e-6)
        x0, y0, x1, y1 = edge["roi"]
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
