"""Schema migrations: a chain of plain `dict -> dict` steps, run on the parsed file before validation.

Every profile file carries its schema version. `migrate()` applies `STEPS[v]` (v -> v+1) from the
file's version up to `SCHEMA_VERSION`; validation then sees only the current layout. To change the
layout: bump `model.SCHEMA_VERSION`, add a step here, and freeze one file of the old version in
`tuning_profiles/fixtures/` (the tests load every frozen fixture through the chain).

What version 1 was, honestly: camtune never shipped a version-1 file. Version 1 is the layout of
the first prototype, written down and frozen so that the migration chain exists and is tested from
the start. It differs from version 2 in ways a real migration has to handle:

- `"version": 1` instead of `"schema_version": 2`; `sensor` (`bits`, `bayer`) instead of
  `identity` (`bit_depth`, `cfa`); `params` instead of `stages`;
- manual black levels stored per 2x2 CFA tile *position* (row-major), as the first stage
  declaration had them; version 2 stores them per Bayer *channel* (R, Gr, Gb, B), so the step
  reorders them according to the CFA pattern;
- colour under `colour`: CCMs as nested 3x3 rows (`ccms[].ccm`), the AWB curve as flat triples
  (`awb_curve: [[ct, r/g, b/g], ...]`);
- lens shading as a bare list (`shading`) of cell-centred, relative R/Gr/Gb/B tables;
- noise reduction and sharpening keyed by ISO (`noise_by_iso: [{iso, luma, chroma}]`,
  `sharpen_by_iso: [{iso, amount}]`) instead of analogue gain (gain = ISO / base ISO).

A step never raises on odd content: what it cannot convert it passes on unchanged, and
validation then reports it with its path.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

from app.errors import CamtuneError
from tuning_profiles.model import SCHEMA_VERSION


def _v1_to_v2(old: dict) -> dict:
    old = copy.deepcopy(old)
    new: dict = {"schema_version": 2, "format": "camtune-profile"}
    old.pop("version", None)

    sensor = old.pop("sensor", {})
    identity = dict(sensor) if isinstance(sensor, dict) else sensor
    if isinstance(identity, dict):
        for before, after in (("bits", "bit_depth"), ("bayer", "cfa")):
            if before in identity:
                identity[after] = identity.pop(before)
    new["identity"] = identity
    cfa = identity.get("cfa", "RGGB") if isinstance(identity, dict) else "RGGB"
    base_iso = identity.get("base_iso", 100.0) if isinstance(identity, dict) else 100.0

    stages = old.pop("params", {})
    black = stages.get("black_level", {}).get("black") if isinstance(stages, dict) and isinstance(
        stages.get("black_level"), dict) else None
    if isinstance(black, list) and len(black) == 4 and cfa in ("RGGB", "BGGR", "GRBG", "GBRG"):
        from app.isp.prepare import bayer_channel_of_positions
        per_channel = [0.0] * 4
        for position, channel in enumerate(bayer_channel_of_positions(cfa)):
            per_channel[int(channel)] = black[position]
        stages["black_level"]["black"] = per_channel
    new["stages"] = stages

    colour = old.pop("colour", {})
    if isinstance(colour, dict):
        ccms = colour.pop("ccms", [])
        tables = []
        for entry in ccms if isinstance(ccms, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("ccm"), list) and all(
                    isinstance(row, list) for row in entry["ccm"]):
                entry = {"ct": entry.get("ct"), "matrix": [v for row in entry.pop("ccm") for v in row],
                         **{k: v for k, v in entry.items() if k != "ct"}}
            tables.append(entry)
        new["ccm"] = {"tables": tables}
        curve = colour.pop("awb_curve", [])
        points = []
        for point in curve if isinstance(curve, list) else []:
            if isinstance(point, list) and len(point) == 3:
                point = {"ct": point[0], "r": point[1], "b": point[2]}
            points.append(point)
        new["wb"] = {"ct_curve": points}
        if colour:
            new["colour_v1_leftovers"] = colour  # reported as an unknown key by validation

    shading = old.pop("shading", [])
    new["lsc"] = {"gains": "relative", "grid": {"layout": "cells"}, "luminance": None,
                  "luminance_strength": 1.0, "tables": shading}

    def by_gain(entries, renames):
        out = []
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("iso"), (int, float)) and base_iso:
                entry = {"gain": entry.pop("iso") / float(base_iso),
                         **{renames.get(k, k): v for k, v in entry.items()}}
            out.append(entry)
        return out

    new["denoise"] = {"by_gain": by_gain(old.pop("noise_by_iso", []),
                                         {"luma": "luma_strength", "chroma": "chroma_strength"})}
    new["sharpen"] = {"by_gain": by_gain(old.pop("sharpen_by_iso", []), {"amount": "strength"})}
    new.update(old)  # anything else: validation names it as an unknown key
    return new


# STEPS[v] turns a version-v dict into a version-(v+1) dict.
STEPS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2}


def schema_version_of(data: dict) -> int:
    """The schema version a parsed profile declares (version 1 used the key `version`)."""
    if "schema_version" in data:
        version = data["schema_version"]
    elif "version" in data and "sensor" in data:
        version = data["version"]
    else:
        raise CamtuneError("schema_version: missing; is this a camtune profile?")
    if isinstance(version, bool) or not isinstance(version, int):
        raise CamtuneError(f"schema_version: expected a whole number, got {version!r}")
    if version > SCHEMA_VERSION:
        raise CamtuneError(f"schema_version: {version} is newer than this camtune understands "
                           f"(up to {SCHEMA_VERSION}); update camtune to open it")
    if version < 1:
        raise CamtuneError(f"schema_version: {version} is not a camtune schema version")
    return version


def migrate(data: dict) -> dict:
    """`data` brought to the current schema version (a new dict; the input is not modified)."""
    version = schema_version_of(data)
    while version < SCHEMA_VERSION:
        data = STEPS[version](data)
        version += 1
    return data
