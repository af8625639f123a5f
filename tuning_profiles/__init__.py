"""camtune tuning profiles: the project's own versioned profile format, and firmware formats.

A tuner's work is a profile (`Profile`, one JSON file): the sensor's identity, every ISP stage's
parameters (an `app.isp.stages.IspParams`, never a second list of ranges) and the tables real
firmware keys by condition: colour matrices and lens-shading grids per colour temperature, the AWB
colour-temperature curve, noise reduction and sharpening per analogue gain.

    from tuning_profiles import load_profile, save_profile, resolve, CaptureFacts
    profile = load_profile("imx477.json")              # migrated + validated, or CamtuneError
    params = resolve(profile, CaptureFacts(ct=4100, gain=2.0))   # IspParams for the engine
    save_profile(profile, "imx477.json")               # atomic, previous kept as imx477.json.bak

Firmware: `tuning_profiles.formats` exports a profile to Raspberry Pi libcamera (vc4, pisp),
Rockchip RkISP1, a C header and a binary blob, and imports the first three back, carrying what the
profile does not model so nothing is lost. See docs/profiles.md for the formats, units and the
lens-shading resampling.

Modules: `model` (the schema), `migrations` (older schema versions), `store` (files, messages,
atomic save), `resolve` (profile -> IspParams for a capture), `interp` (table and grid
interpolation), `diff` (a tuner's review of two profiles), `formats` (firmware), `commands`
(validate, diff, export, import). Never imports Qt.
"""
from __future__ import annotations

from pathlib import Path

from tuning_profiles.model import SCHEMA_VERSION, Profile
from tuning_profiles.resolve import CaptureFacts, facts_for_capture, resolve, resolve_for_capture
from tuning_profiles.store import dumps_profile, load_profile, loads_profile, profile_from_data, save_profile

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_PROFILE = PACKAGE_DIR / "default.json"
DEMO_PROFILE = PACKAGE_DIR / "demo_nikon_d5100.json"


def default_profile() -> Profile:
    """The shipped neutral profile (the engine's defaults, no tables)."""
    return load_profile(DEFAULT_PROFILE)


__all__ = [
    "SCHEMA_VERSION", "Profile", "CaptureFacts", "resolve", "resolve_for_capture", "facts_for_capture",
    "load_profile", "loads_profile", "save_profile", "dumps_profile", "profile_from_data",
    "default_profile", "DEFAULT_PROFILE", "DEMO_PROFILE",
]
