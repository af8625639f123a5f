"""Raspberry Pi libcamera, VideoCore 4 ISP (Pi 0-4): `"target": "bcm2835"`, ALSC grids 16 x 12.

Denoise is `rpi.sdn` (spatial denoise; `strength`). A file built without an imported one gets the
minimal defaults below for the blocks the profile does not model; they are the values of the
camera tuning tool's vc4 template (`rpi-ctt` `vc4_template.json`; a test compares them), so a
fresh export is what the tool would start from before calibration (lux, noise and GEQ stay to be
calibrated, as in the template).
"""
from __future__ import annotations

from typing import Any

from tuning_profiles.formats import rpi
from tuning_profiles.formats.common import MARK, Exported
from tuning_profiles.model import Profile

NAME = "rpi-vc4"
KNOTS = tuple(list(range(0, 16384, 1024)) + list(range(16384, 32768, 2048))
              + list(range(32768, 65536, 4096)) + [65535])


def awb_defaults(auto_hi: int, cloudy_hi: int) -> dict:
    """The tuning tool's AWB priors and modes (its templates differ only in two upper limits)."""
    return {
        "priors": [
            {"lux": 0, "prior": [2000, 1.0, 3000, 0.0, 13000, 0.0]},
            {"lux": 800, "prior": [2000, 0.0, 6000, 2.0, 13000, 2.0]},
            {"lux": 1500, "prior": [2000, 0.0, 4000, 1.0, 6000, 6.0, 6500, 7.0, 7000, 1.0, 13000, 1.0]},
        ],
        "modes": {
            "auto": {"lo": 2500, "hi": auto_hi},
            "incandescent": {"lo": 2500, "hi": 3000},
            "tungsten": {"lo": 3000, "hi": 3500},
            "fluorescent": {"lo": 4000, "hi": 4700},
            "indoor": {"lo": 3000, "hi": 5000},
            "daylight": {"lo": 5500, "hi": 6500},
            "cloudy": {"lo": 7000, "hi": cloudy_hi},
        },
        "bayes": 1,
        "ct_curve": MARK,
    }


def lux_defaults() -> dict:
    return {"reference_shutter_speed": 10000, "reference_gain": 1, "reference_aperture": 1.0}


def agc_defaults() -> dict:
    lower = {"bound": "LOWER", "q_lo": 0.98, "q_hi": 1.0, "y_target": [0, 0.5, 1000, 0.5]}
    upper = {"bound": "UPPER", "q_lo": 0.98, "q_hi": 1.0, "y_target": [0, 0.8, 1000, 0.8]}
    gains = [1.0, 2.0, 4.0, 6.0, 8.0]
    return {
        "metering_modes": {
            "centre-weighted": {"weights": [3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0]},
            "spot": {"weights": [2, 1, 1] + [0] * 12},
            "matrix": {"weights": [1] * 15},
        },
        "exposure_modes": {
            "normal": {"shutter": [100, 10000, 30000, 60000, 66666], "gain": list(gains)},
            "short": {"shutter": [100, 5000, 10000, 20000, 66666], "gain": list(gains)},
            "long": {"shutter": [100, 10000, 30000, 60000, 120000], "gain": list(gains)},
        },
        "constraint_modes": {"normal": [dict(lower)], "highlight": [dict(lower), upper]},
        "y_target": [0, 0.16, 1000, 0.165, 10000, 0.17],
    }


def defaults() -> dict[str, dict[str, Any]]:
    return {
        "rpi.black_level": {"black_level": MARK},
        "rpi.dpc": {},
        "rpi.lux": lux_defaults(),
        "rpi.noise": {},
        "rpi.geq": {},
        "rpi.sdn": {},
        "rpi.awb": awb_defaults(8000, 8600),
        "rpi.agc": agc_defaults(),
        "rpi.alsc": {"omega": 1.3, "n_iter": 100, "luminance_strength": 0.7},
        "rpi.contrast": {"ce_enable": 1, "gamma_curve": MARK},
        "rpi.ccm": {},
        "rpi.sharpen": {"threshold": 0.75, "limit": 0.5, "strength": 1.0},
    }


TARGET = rpi.Target(
    name=NAME, target="bcm2835", cols=16, rows=12, gamma_knots=KNOTS,
    defaults=defaults)


detect = TARGET.detect
import_data = TARGET.import_data


def export(profile: Profile) -> Exported:
    from tuning_profiles.formats import rpi_pisp
    return rpi.export_document(profile, TARGET, (rpi_pisp.TARGET,))
