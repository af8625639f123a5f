"""Firmware formats: one module per format, each deriving its file from the profile.

| name      | module     | export | import | file                                              |
|-----------|------------|--------|--------|---------------------------------------------------|
| rpi-vc4   | rpi_vc4    | yes    | yes    | libcamera Raspberry Pi JSON 2.0, target bcm2835   |
| rpi-pisp  | rpi_pisp   | yes    | yes    | libcamera Raspberry Pi JSON 2.0, target pisp      |
| rkisp1    | rkisp1     | yes    | yes    | libcamera Rockchip RkISP1 YAML, version 1         |
| c-header  | c_header   | yes    | no     | C99 header: documented structs, static tables     |
| blob      | blob       | yes    | no     | binary: magic, version, section table, CRC-32     |

`export_profile(profile, name)` gives the bytes (deterministic: the same profile, the same bytes)
and notes on anything lossy; `import_file(path)` detects the format from the content.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from app.errors import CamtuneError
from tuning_profiles.formats.common import BLOB_MAGIC, Exported, Imported, ImportOptions
from tuning_profiles.model import Profile
from tuning_profiles.textio import decode, loads_lenient_json, loads_yaml, read_bytes

EXPORT_FORMATS = ("rpi-vc4", "rpi-pisp", "rkisp1", "c-header", "blob")
IMPORT_FORMATS = ("rpi-vc4", "rpi-pisp", "rkisp1")
_MODULES = {"rpi-vc4": "rpi_vc4", "rpi-pisp": "rpi_pisp", "rkisp1": "rkisp1", "c-header": "c_header",
            "blob": "blob"}


def module(name: str):
    if name not in _MODULES:
        raise CamtuneError(f"unknown firmware format {name!r}; expected one of {', '.join(EXPORT_FORMATS)}")
    return importlib.import_module(f"tuning_profiles.formats.{_MODULES[name]}")


def export_profile(profile: Profile, name: str) -> Exported:
    """The firmware file for `profile` in format `name`."""
    return module(name).export(profile)


def parse_firmware(data: bytes, source: str | Path):
    """(format name, parsed document) of a firmware file's bytes; the format from the content."""
    if data.startswith(BLOB_MAGIC):
        raise CamtuneError("a camtune binary blob: blobs are export-only (import the profile or "
                           "firmware file it was made from)", source)
    text = decode(data, source)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        doc = loads_lenient_json(text, source)
    elif stripped.startswith(("/*", "#include", "#ifndef", "//")):
        raise CamtuneError("a C header: headers are export-only", source)
    else:
        doc = loads_yaml(text, source)
    for name in IMPORT_FORMATS:
        if module(name).detect(doc):
            return name, doc
    if isinstance(doc, dict) and "algorithms" not in doc and any(str(k).startswith("rpi.") for k in doc):
        raise CamtuneError("a Raspberry Pi version 1.0 tuning file (blocks at the top level); convert it "
                           "with libcamera's utils/raspberrypi/ctt/convert_tuning.py first", source)
    if isinstance(doc, dict) and "schema_version" in doc:
        raise CamtuneError("a camtune profile, not a firmware file (open or validate it instead)", source)
    if isinstance(doc, dict) and isinstance(doc.get("target"), str) and "algorithms" in doc:
        raise CamtuneError(f"target: {doc['target']!r} is not a supported Raspberry Pi target "
                           "(bcm2835, pisp)", source)
    raise CamtuneError("not a tuning file camtune can import (Raspberry Pi JSON with a target, "
                       "or RkISP1 YAML with version and algorithms)", source)


def import_file(path: str | Path, opts: ImportOptions = ImportOptions()) -> tuple[str, Imported]:
    """(format name, imported profile and notes) of the firmware file at `path`."""
    name, doc = parse_firmware(read_bytes(path), path)
    return name, module(name).import_data(doc, path, opts)


__all__ = ["EXPORT_FORMATS", "IMPORT_FORMATS", "ImportOptions", "Imported", "Exported",
           "export_profile", "import_file", "parse_firmware", "module"]
