"""The ground-truth sidecar: everything a calibration or a metric should recover from a capture.

Written next to the capture as ``<capture file name>.truth.json`` (``chart.dng.truth.json``,
``x_640x480_12bit_RGGB.raw.truth.json``): a name the loaders never read, so it cannot be
mistaken for the geometry sidecar (``<file>.json``) of a headerless dump. UTF-8 JSON, one
object; numbers are plain floats; matrices are lists of rows; positions are pixels (x right,
y down, centre of pixel (row i, column j) at (j, i)).

Schema (``schema_version`` 1):

``schema``, ``schema_version``, ``generator``
    "camtune.virtual-camera.truth", 1, the software that wrote it.
``capture``
    file (name, or null in memory), format, width, height, cfa, bits, black_level (4 DN, one
    per 2x2 CFA position, row-major), white_level (DN), exposure_time_s, iso, analogue_gain,
    seed (temporal noise), make, model.
``scene``
    name, description, lux (illuminance on the scene), lit (false for a dark frame),
    materials (name -> relative camera response R, G, B: signal per unit of
    sensitivity x lux x time, 1.0 = green of a perfect white under D65).
``illuminant``
    name, kind (named | planckian | daylight), cct_k, exif_light_source, description,
    white_xyz (Y = 1) and white_xy (CIE 1931 2 deg).
``camera``
    spectral_sensitivities ("Nikon 5100 (NPL)", colour-science), channel_wavelengths_nm
    (centroids of R, G, B, used for diffraction).
``white_balance``
    camera_neutral (camera RGB of a perfect white, G = 1; the DNG AsShotNeutral) and gains
    (1 / neutral: the true white-balance gains of the illuminant, G = 1).
``colour``
    camera_to_xyz (3x3, camera RGB -> XYZ under this illuminant, camera scaled so white G = 1,
    white preserving), camera_to_srgb (3x3, white-balanced camera RGB -> linear sRGB D65, rows
    sum to 1: the true CCM), fit (how they were fitted), dng_color_matrix1/2 (XYZ -> camera
    as written in the DNG, rounded to 4 decimals) with dng_calibration_illuminant1/2 (EXIF
    codes, 17 = A, 21 = D65).
``exposure``
    time_s, auto (chosen automatically), electrons_per_relative_unit (sensitivity x lux x
    time), dn_per_electron (conversion gain at this ISO), dark_signal_e and dark_signal_dn
    (mean dark current signal), saturation_e (clipping point in electrons).
``noise_model``
    formula "variance_dn2 = a * mean_dn + b", per channel R, G, B {a, b}, conversion gain,
    read noise, ADC noise, quantisation variance, valid_below_mean_dn, prnu, dsnu_e.
``optics``
    params (the OpticsParams), mtf {frequencies_cy_px (0..1 step 0.01), channels R/G/B:
    optics_mtf, system_mtf (x pixel aperture along a row), optics_mtf50_cy_px,
    system_mtf50_cy_px, wavelength_nm, cutoff_cy_px for diffraction}.
``lens_shading``
    formula and constants (centre_x, centre_y, inv_half_diagonal, tan2_theta_edge, exponent,
    colour_shading R G B) giving the exact shading factor at any pixel, and ``grid``: correction
    gains [R, Gr, Gb, B][row][col] at the centres of a 32 x 24 grid of cells (camtune's
    LensShading layout). Use `app.simulate.optics.shading_map` for the exact full-size map.
``distortion``
    k1, k2, centre, normalisation and formula (scene = c + (p - c)(1 + k1 r^2 + k2 r^4)).
``defects``
    list of {x, y, type: hot | dead, value_dn (hot pixels: the stuck value)}.
``geometry``
    the scene's layout (see scenes.py): colorchecker {corners, patch_size, patches [{index,
    name, row, column, centre, rect, expected}]}, grey_steps {steps [{index, density,
    reflectance, centre, rect, expected}]}, slanted_edges [{id, orientation,
    angle_from_axis_deg, point, start, end, normal_dark_to_light, dark_reflectance,
    light_reflectance, roi}], siemens_star, line_pairs, sine_patches, flat, dark.
    Each ``expected`` holds relative_rgb, mean_dn_above_black (R, G, B: noise-free mean without
    lens shading, dark signal included, before clipping), clipped (bool), xyz (Y of a perfect
    white = 1) and srgb_linear (the true colour after white balance and camera_to_srgb).
    With distortion, positions are scene positions; ``image_centre`` gives where a patch
    centre lands in the image.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from app.atomic import atomic_write_text
from app.simulate import optics as op
from app.simulate import spectra
from app.simulate.sensor import noise_model, saturation_electrons

SCHEMA = "camtune.virtual-camera.truth"
SCHEMA_VERSION = 1
SUFFIX = ".truth.json"


def truth_path(capture_path: str | Path) -> Path:
    """Where the ground truth of `capture_path` goes: ``<file name>.truth.json``."""
    p = Path(capture_path)
    return p.with_name(p.name + SUFFIX)


def _m(a, n: int = 6) -> list:
    return np.round(np.asarray(a, dtype=np.float64), n).tolist()


def build_truth(*, shot, camera, scene, illum, colours, exposure_time, defects, wavelengths,
                color_matrices, calibration) -> dict:
    """The sidecar content for one render (see the module docstring for the schema)."""
    sensor, optics = camera.sensor, camera.optics
    w, h = shot.width, shot.height
    noise = noise_model(sensor, shot.iso)
    kg = noise["conversion_gain_dn_per_e"]
    e_per_unit = sensor.sensitivity * shot.lux * exposure_time
    dark_e = sensor.dark_current_e_s * exposure_time
    sat_e = saturation_electrons(sensor, shot.iso)
    xyz_w = spectra.tristimulus(illum.spd, spectra.flat_reflectance(1.0))[0]
    neutral = spectra.camera_neutral(illum)
    to_srgb = spectra.camera_to_srgb(illum)
    refl = scene.reflectances()
    xyz_all = spectra.tristimulus(illum.spd, refl)
    cam_all = spectra.camera_rgb(illum.spd, refl)
    white_g = spectra.camera_rgb(illum.spd, spectra.flat_reflectance(1.0))[0, 1]
    srgb_all = (to_srgb @ (cam_all / white_g / neutral).T).T

    def expected(material: int) -> dict:
        mean = (colours[material] * e_per_unit + dark_e) * kg
        return {"relative_rgb": _m(colours[material], 8), "mean_dn_above_black": _m(mean, 4),
                "clipped": bool((colours[material] * e_per_unit).max() >= sat_e),
                "xyz": _m(xyz_all[material]), "srgb_linear": _m(srgb_all[material])}

    geometry = json.loads(json.dumps(scene.geometry))  # a deep, JSON-clean copy
    names = {m.name: i for i, m in enumerate(scene.materials)}
    for patch in geometry.get("colorchecker", {}).get("patches", []):
        patch["expected"] = expected(names[patch["name"]])
    for step in geometry.get("grey_steps", {}).get("steps", []):
        step["expected"] = expected(names[f"grey step D={step['density']:.2f}"])
    if optics.has_distortion:
        for rec in geometry.get("colorchecker", {}).get("patches", []) + \
                geometry.get("grey_steps", {}).get("steps", []):
            ix, iy = op.scene_to_image(optics, w, h, rec["centre"][0], rec["centre"][1])
            rec["image_centre"] = [round(float(ix), 4), round(float(iy), 4)]

    shading = op.shading_model(optics, w, h)
    ill1, ill2 = calibration
    cm1, cm2 = color_matrices
    dist = op.distortion_constants(optics, w, h)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generator": "camtune virtual camera (app/simulate)",
        "capture": {"file": None, "format": None, "width": w, "height": h, "cfa": sensor.cfa,
                    "bits": sensor.bits, "black_level": list(sensor.black),
                    "white_level": sensor.white_level, "exposure_time_s": exposure_time,
                    "iso": shot.iso, "analogue_gain": shot.iso / sensor.base_iso, "seed": shot.seed,
                    "make": camera.make, "model": camera.model},
        "scene": {"name": scene.name, "description": scene.description, "lux": shot.lux,
                  "lit": scene.lit,
                  "materials": {m.name: _m(colours[i], 8) for i, m in enumerate(scene.materials)}},
        "illuminant": {"name": illum.name, "kind": illum.kind, "cct_k": illum.cct,
                       "exif_light_source": illum.exif, "description": illum.description,
                       "white_xyz": _m(xyz_w), "white_xy": _m(xyz_w[:2] / xyz_w.sum())},
        "camera": {"spectral_sensitivities": spectra.CAMERA_SENSITIVITIES,
                   "channel_wavelengths_nm": _m(wavelengths, 3),
                   "sensor": sensor.to_dict()},
        "white_balance": {"camera_neutral": _m(neutral), "gains": _m(1.0 / neutral)},
        "colour": {
            "camera_to_xyz": _m(spectra.camera_to_xyz(illum)),
            "camera_to_srgb": _m(to_srgb),
            "fit": "white-preserving least squares, camera RGB -> XYZ, over the 24 ColorChecker "
                   "(N Ohta) reflectances under this illuminant; camera_to_srgb adds Bradford "
                   "adaptation to D65 and the sRGB primaries, for white-balanced input",
            "dng_color_matrix1": _m(cm1, 4), "dng_calibration_illuminant1": ill1.exif,
            "dng_color_matrix2": _m(cm2, 4), "dng_calibration_illuminant2": ill2.exif},
        "exposure": {"time_s": exposure_time, "auto": shot.exposure_time is None,
                     "electrons_per_relative_unit": round(e_per_unit, 6), "dn_per_electron": kg,
                     "dark_signal_e": round(dark_e, 6), "dark_signal_dn": round(dark_e * kg, 6),
                     "saturation_e": round(sat_e, 3)},
        "noise_model": noise,
        "optics": {"params": optics.to_dict(), "mtf": op.mtf_record(optics, wavelengths)},
        "lens_shading": {
            "formula": "shading(x, y, c) = (1 + tan2_theta_edge r^2)^(-exponent/2) (1 - colour_shading[c] r^2), "
                       "r^2 = ((x - centre_x)^2 + (y - centre_y)^2) inv_half_diagonal^2; "
                       "the correction gain is 1 / shading",
            "centre_x": shading.cx, "centre_y": shading.cy, "inv_half_diagonal": shading.inv_norm,
            "tan2_theta_edge": shading.t2, "exponent": 2 * shading.half_n,
            "colour_shading": list(shading.colour),
            "grid": {"columns": 32, "rows": 24, "order": ["R", "Gr", "Gb", "B"],
                     "sampled_at": "cell centres ((i + 0.5) W / columns - 0.5, (j + 0.5) H / rows - 0.5)",
                     "gains": op.shading_gain_grids(optics, w, h, sensor.cfa)}},
        "distortion": {"k1": optics.distortion_k1, "k2": optics.distortion_k2,
                       "centre": [float(dist[2]), float(dist[3])], "inv_half_diagonal": float(dist[4]),
                       "formula": "scene = c + (p - c)(1 + k1 r^2 + k2 r^4), r = |p - c| inv_half_diagonal, "
                                  "p the image position"},
        "defects": defects,
        "geometry": geometry,
    }


def with_file(truth: dict, path: str | Path, fmt: str) -> dict:
    """A copy of `truth` naming the file it describes."""
    out = dict(truth)
    out["capture"] = {**truth["capture"], "file": Path(path).name, "format": fmt}
    return out


def write_truth(truth: dict, capture_path: str | Path) -> Path:
    """Write the sidecar of `capture_path` atomically; returns its path."""
    target = truth_path(capture_path)
    atomic_write_text(target, json.dumps(truth, indent=1, allow_nan=False) + "\n")
    return target


def read_truth(path: str | Path) -> dict:
    """Read a sidecar (the capture's path or the sidecar's own); ValueError if it is not one."""
    p = Path(path)
    if not p.name.endswith(SUFFIX):
        p = truth_path(p)
    data = json.loads(p.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{p} is not a virtual-camera ground-truth file")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{p}: unsupported schema version {data.get('schema_version')}")
    return data
