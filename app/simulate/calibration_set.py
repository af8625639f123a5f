"""A complete calibration shoot in one call, named the way Raspberry Pi's tuning tool expects.

For each illuminant (default A, TL84, D50, D65):

* ``<label>_<cct>k_<lux>l.dng``: the ColorChecker (AWB, CCM, noise, lux, GEQ calibration);
* ``alsc_<cct>k_<n>.dng``: flat fields (lens shading calibration);

and ``dark_<n>.dng`` dark frames (black level) at two exposures/gains. Every DNG has its
ground truth beside it (``<file>.truth.json``, see truth.py), and ``calibration_set.json``
summarises the set: files and roles, and per colour temperature the true white-balance gains,
camera-to-sRGB matrix and lens-shading grid, with the true black level: what the tuning tool's
results should be compared with. The tool reads only ``*.dng`` in the directory root, so the
JSON files do not disturb it: ``python -m ctt -i DIR -t vc4``.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from app.atomic import atomic_write_text
from app.simulate import spectra, truth, writers
from app.simulate.camera import CameraModel, Shot, simulate

DEFAULT_ILLUMINANTS = ("A", "TL84", "D50", "D65")
DEFAULT_SIZE = (1352, 1014)
LABELS = {"A": "a", "F11": "tl84", "F2": "cwf", "D50": "d50", "D65": "d65"}
MANIFEST = "calibration_set.json"
DARK_SETTINGS = ((1 / 30, 100.0), (1 / 10, 400.0))  # (exposure s, ISO) of the dark frames


def _label(illum: spectra.Illuminant) -> str:
    return LABELS.get(illum.name, illum.label)


def write_calibration_set(directory: str | Path, *, size: tuple[int, int] = DEFAULT_SIZE,
                          illuminants=DEFAULT_ILLUMINANTS, camera: CameraModel | None = None,
                          lux: float = 1000.0, flats_per_ct: int = 1, seed: int = 0,
                          log=None) -> dict:
    """Render and write the set into `directory` (created if needed); returns the manifest.

    `illuminants` are names or numbers (colour temperatures in kelvin). Each capture gets its
    own noise seed derived from `seed`, so the set is deterministic.
    """
    camera = camera or CameraModel()
    width, height = size
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    lights = [spectra.illuminant(cct=float(i)) if isinstance(i, (int, float)) or str(i).isdigit()
              else spectra.illuminant(str(i)) for i in illuminants]
    ccts = [int(round(il.cct)) for il in lights]
    if len(set(ccts)) != len(ccts):
        raise ValueError(f"two illuminants share a colour temperature ({ccts}); the tuning tool "
                         "names files by CCT and would merge them")
    files, per_ct = [], []
    n = 0

    def shoot(name: str, role: str, shot: Shot, illum=None):
        nonlocal n
        result = simulate(replace(shot, seed=seed * 1000 + n), camera)
        n += 1
        path = out / name
        writers.write_dng(result.capture, path)
        truth.write_truth(truth.with_file(result.truth, path, "dng"), path)
        files.append({"file": name, "role": role, "truth": truth.truth_path(path).name,
                      "illuminant": None if illum is None else illum.name,
                      "cct_k": None if illum is None else int(round(illum.cct)),
                      "exposure_time_s": result.capture.exposure_time, "iso": result.capture.iso})
        if log:
            log(f"  {name}")
        return result

    for illum in lights:
        ct = int(round(illum.cct))
        kw = dict(width=width, height=height, lux=lux)
        light = {"illuminant": illum.name} if illum.kind == "named" else {"cct": illum.cct}
        chart = shoot(f"{_label(illum)}_{ct}k_{int(round(lux))}l.dng", "colorchecker",
                      Shot(scene="colorchecker", **light, **kw), illum)
        for k in range(flats_per_ct):
            shoot(f"alsc_{ct}k_{k}.dng", "alsc", Shot(scene="flat", exposure_target=0.7, **light, **kw), illum)
        t = chart.truth
        per_ct.append({"cct_k": ct, "illuminant": illum.name,
                       "white_balance_gains": t["white_balance"]["gains"],
                       "camera_neutral": t["white_balance"]["camera_neutral"],
                       "camera_to_srgb": t["colour"]["camera_to_srgb"],
                       "lens_shading_grid": t["lens_shading"]["grid"]})
    for k, (exposure, iso) in enumerate(DARK_SETTINGS):
        shoot(f"dark_{k}.dng", "dark", Shot(scene="dark", width=width, height=height,
                                           exposure_time=exposure, iso=iso))
    sensor = camera.sensor
    manifest = {
        "schema": "camtune.virtual-camera.calibration-set", "schema_version": 1,
        "camera": {"make": camera.make, "model": camera.model, "width": width, "height": height,
                   "cfa": sensor.cfa, "bits": sensor.bits},
        "true_black_level": list(sensor.black),
        "files": files,
        "per_colour_temperature": per_ct,
        "usage": "python -m ctt -i DIR -t vc4  (Raspberry Pi camera tuning tool, PyPI rpi-ctt)",
    }
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return manifest
