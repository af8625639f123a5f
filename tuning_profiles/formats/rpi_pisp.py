"""Raspberry Pi libcamera, PiSP back end (Pi 5): `"target": "pisp"`, ALSC grids 32 x 32.

Denoise is `rpi.denoise` with per-mode (normal, hdr, night) spatial (`sdn`), colour (`cdn`) and
temporal (`tdn`) settings; camtune writes its luma and chroma strengths into `normal.sdn.strength`
and `normal.cdn.strength` and carries the rest. Minimal defaults for unmodelled blocks are the
camera tuning tool's pisp template values (`pisp_template.json`); the AGC default is that
template's first channel reduced to its uniform ("matrix") metering over the 15 x 15 AGC regions,
so no weighting is invented.
"""
from __future__ import annotations

from typing import Any

from tuning_profiles.formats import rpi, rpi_vc4
from tuning_profiles.formats.common import MARK, Exported
from tuning_profiles.model import Profile

NAME = "rpi-pisp"
KNOTS = tuple(list(range(0, 8192, 512)) + list(range(8192, 20480, 1024))
              + list(range(20480, 65536, 2048)) + [65535])


def denoise_defaults() -> dict:
    def mode(tdn_deviation: float, tdn_threshold: float) -> dict:
        return {
            "sdn": {"deviation": 0.6, "strength": MARK, "deviation2": 3.2, "deviation_no_tdn": 3.2,
                    "strength_no_tdn": 0.95},
            "cdn": {"deviation": 200, "strength": MARK},
            "tdn": {"deviation": tdn_deviation, "threshold": tdn_threshold},
        }
    return {"normal": mode(1.0, 0.05), "hdr": mode(1.3, 0.1), "night": mode(1.3, 0.1)}


def agc_defaults() -> dict:
    lower = {"bound": "LOWER", "q_lo": 0.98, "q_hi": 1.0, "y_target": [0, 0.5, 1000, 0.5]}
    upper = {"bound": "UPPER", "q_lo": 0.98, "q_hi": 1.0, "y_target": [0, 0.8, 1000, 0.8]}
    gains = [1.0, 1.5, 2.0, 4.0, 8.0]
    return {"channels": [{
        "metering_modes": {"matrix": {"weights": [1] * 225}},
        "exposure_modes": {
            "normal": {"shutter": [100, 10000, 30000, 60000, 66666], "gain": list(gains)},
            "short": {"shutter": [100, 5000, 10000, 20000, 60000], "gain": list(gains)},
            "long": {"shutter": [100, 10000, 30000, 60000, 90000, 120000], "gain": gains + [12.0]},
        },
        "constraint_modes": {
            "normal": [dict(lower)],
            "highlight": [dict(lower), upper],
            "shadows": [{"bound": "LOWER", "q_lo": 0.0, "q_hi": 0.5, "y_target": [0, 0.17, 1000, 0.17]}],
        },
        "y_target": [0, 0.16, 1000, 0.165, 10000, 0.17],
    }]}


def defaults() -> dict[str, dict[str, Any]]:
    return {
        "rpi.black_level": {"black_level": MARK},
        "rpi.lux": rpi_vc4.lux_defaults(),
        "rpi.dpc": {"strength": 1},
        "rpi.noise": {},
        "rpi.geq": {},
        "rpi.denoise": denoise_defaults(),
        "rpi.awb": {"enabled": True, **rpi_vc4.awb_defaults(7700, 8000)},
        "rpi.agc": agc_defaults(),
        "rpi.alsc": {"omega": 1.3, "n_iter": 100, "luminance_strength": 0.8},
        "rpi.contrast": {"ce_enable": 1, "gamma_curve": MARK},
        "rpi.ccm": {},
        "rpi.sharpen": {"threshold": 0.75, "limit": 0.5, "strength": 1.0},
    }


TARGET = rpi.Target(
    name=NAME, target="pisp", cols=32, rows=32, gamma_knots=KNOTS,
    defaults=defaults)


detect = TARGET.detect
import_data = TARGET.import_data


def export(profile: Profile) -> Exported:
    return rpi.export_document(profile, TARGET, (rpi_vc4.TARGET,))
