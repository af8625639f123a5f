"""The tuning profile: identity, every stage's parameters, and the tables firmware keys by condition.

The base stage parameters **are** an `IspParams` (`stages`); nothing here re-declares a stage
parameter. The per-condition tables reuse the declarations of the stage they feed: a CCM table
entry's `matrix` *is* `ColourMatrix.matrix`'s field (same range, unit, description), a per-gain
noise-reduction entry's strengths *are* `Denoise`'s fields, the lens-shading grids take their
bounds from `LensShading.gains`, and the AWB curve's neutral ratios are bounded by the reciprocals
of `WhiteBalance.gains`' range. Ranges are checked by the same validator the stages use
(`app.isp.declare.check_declared_ranges`), so a bad value is reported with its path
(`ccm.tables[2].matrix[4]: 9 is above the maximum 8`).

Conditions (the keys of the tables):

- colour temperature `ct` in kelvin: `ccm.tables`, `lsc.tables`, `wb.ct_curve`;
- analogue gain `gain` (1 = the sensor's base ISO, `identity.base_iso`): `denoise.by_gain`,
  `sharpen.by_gain`.

Entries are strictly increasing in their key; `resolve` interpolates linearly and clamps at the
ends (see `tuning_profiles.interp`).

Lens shading (`lsc`): each table holds gain grids for R, Gr, Gb, B (Gr/Gb may be omitted: 1.0).
The gain applied to channel c at colour temperature T is

    table_c(T) * (1 + (luminance - 1) * luminance_strength)

and, when `gains` is "relative", each channel's grid is then divided by its smallest value
(libcamera's Raspberry Pi ALSC semantics: only the shape of a table matters, the colour cast is
the white balance's job). "absolute" grids are applied as written (RkISP1 semantics). Grids are
sampled at cell centres (`grid.layout = "cells"`) or at explicit node positions
(`grid.layout = "nodes"`, `grid.x`/`grid.y` from 0 to 1 inclusive, as RkISP1's 17 x 17 tables).

`firmware` carries, per firmware format, what an imported file had that the profile does not
model (see `tuning_profiles.formats.carry`), so exporting back loses nothing.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticUndefined

from app.isp.declare import StageParams, check_declared_ranges, param
from app.isp.stages import ColourMatrix, Denoise, IspParams, LensShading, Matrix3x3, Sharpen, WhiteBalance

SCHEMA_VERSION = 2
FORMAT_NAME = "camtune-profile"
CFA_CHOICES = ("RGGB", "BGGR", "GRBG", "GBRG", "mono")
FIRMWARE_KEYS = ("rpi-vc4", "rpi-pisp", "rkisp1")
MAX_ENTRIES = 64       # entries per table: more is an error (shipping files have at most 15)
MAX_GRID_SIDE = 128    # samples per side of a lens-shading grid (pisp uses 32, RkISP1 17)

Grid = tuple[tuple[float, ...], ...]


def declared(stage: type[StageParams], name: str):
    """The stage's own field declaration for `name`, made required (for a table entry)."""
    info = copy.copy(stage.model_fields[name])
    info.default = PydanticUndefined
    return info


def _ct(default=...):
    return param(default, unit="K", minimum=1000.0, maximum=40000.0, step=10.0,
                 description="Correlated colour temperature of the light this entry is for.")


def _gain():
    return param(..., unit="x", minimum=1.0, maximum=1024.0, step=0.1,
                 description="Analogue gain this entry is for (1 = the sensor's base ISO).")


_LSC = LensShading.spec("gains")
_WB = WhiteBalance.spec("gains")


def _grid(default, description: str):
    return param(default, kind="grid", unit=_LSC.unit, minimum=_LSC.minimum, maximum=_LSC.maximum,
                 description=description)


def _neutral(description: str):
    # A neutral ratio is the reciprocal of the white-balance gain it implies.
    return param(..., unit="", minimum=1.0 / _WB.maximum, maximum=1.0 / _WB.minimum, description=description)


class Declared(BaseModel):
    """Base of the profile's own models: frozen, no unknown keys, declared ranges enforced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The very validator the stages use: every number inside a field within its declared range.
    @model_validator(mode="after")
    def _check_declared_ranges(self):
        return check_declared_ranges(self)


def _increasing(entries, key: str, what: str) -> None:
    if len(entries) > MAX_ENTRIES:
        raise ValueError(f"{what}: {len(entries)} entries, at most {MAX_ENTRIES} are allowed")
    for i in range(1, len(entries)):
        a, b = getattr(entries[i - 1], key), getattr(entries[i], key)
        if not b > a:
            raise ValueError(f"{what}[{i}].{key}: {b:g} does not follow {a:g}; entries must be in "
                             f"increasing {key} order without repeats")


def _ordered(field: str, key: str):
    """A validator: the entries of `field` strictly increase in `key` (and are not too many)."""
    def check(self):
        _increasing(getattr(self, field), key, field)
        return self
    return model_validator(mode="after")(check)


class Identity(Declared):
    """What the profile is for."""

    name: str = Field("unnamed", min_length=1, max_length=64,
                      description="Sensor or module name (e.g. imx477), used for file and C names.")
    make: str = Field("", max_length=64, description="Camera or module maker.")
    model: str = Field("", max_length=64, description="Camera or module model.")
    bit_depth: int = param(12, unit="bits", minimum=8, maximum=16, step=1,
                           description="Sensor output bit depth (levels are in DN at this depth).")
    cfa: Literal["RGGB", "BGGR", "GRBG", "GBRG", "mono"] = param(
        "RGGB", description="Colour filter array pattern (2x2 tile, row-major), or mono.")
    base_iso: float = param(100.0, unit="ISO", minimum=1.0, maximum=1.0e6, step=1.0,
                            description="ISO at analogue gain 1: a capture's gain is its ISO / this.")
    notes: str = Field("", max_length=4000, description="Free text: provenance, calibration notes.")


class CcmEntry(Declared):
    """A colour matrix calibrated at one colour temperature."""

    ct: float = _ct()
    matrix: Matrix3x3 = declared(ColourMatrix, "matrix")


class CcmSection(Declared):
    tables: tuple[CcmEntry, ...] = ()
    _order = _ordered("tables", "ct")


class CtPoint(Declared):
    """The neutral point (white) of the sensor under light of one colour temperature."""

    ct: float = _ct()
    r: float = _neutral("R/G of a neutral surface under this light (the red white-balance gain is 1/r).")
    b: float = _neutral("B/G of a neutral surface under this light (the blue white-balance gain is 1/b).")


class WbSection(Declared):
    ct_curve: tuple[CtPoint, ...] = ()
    _order = _ordered("ct_curve", "ct")


class LscGrid(Declared):
    """Where a lens-shading grid's samples lie."""

    layout: Literal["cells", "nodes"] = param(
        "cells", description="cells: samples at the centres of equal cells; nodes: samples at "
                             "the positions x, y (0 = left/top edge, 1 = right/bottom edge).")
    x: tuple[float, ...] | None = param(None, minimum=0.0, maximum=1.0,
                                        description="Node positions across the width (layout nodes).")
    y: tuple[float, ...] | None = param(None, minimum=0.0, maximum=1.0,
                                        description="Node positions down the height (layout nodes).")

    @model_validator(mode="after")
    def _positions(self):
        if self.layout == "cells":
            if self.x is not None or self.y is not None:
                raise ValueError("x, y: only a 'nodes' layout has explicit positions")
            return self
        for name in ("x", "y"):
            pos = getattr(self, name)
            if pos is None:
                raise ValueError(f"{name}: a 'nodes' layout needs the node positions")
            if len(pos) < 2 or pos[0] != 0.0 or pos[-1] != 1.0:
                raise ValueError(f"{name}: node positions must run from 0 to 1, got {len(pos)} "
                                 f"positions from {pos[0] if pos else '-'}")
            if any(b <= a for a, b in zip(pos, pos[1:])):
                raise ValueError(f"{name}: node positions must increase strictly")
        return self


class LscEntry(Declared):
    """Lens-shading gain grids [row][column] measured at one colour temperature."""

    ct: float = _ct()
    r: Grid = _grid(..., "Gain grid of the R channel.")
    gr: Grid | None = _grid(None, "Gain grid of the G channel on R rows (none: 1 everywhere).")
    gb: Grid | None = _grid(None, "Gain grid of the G channel on B rows (none: 1 everywhere).")
    b: Grid = _grid(..., "Gain grid of the B channel.")

    def channels(self) -> dict[str, np.ndarray]:
        """float64 grids for r, gr, gb, b (ones where a green grid is omitted)."""
        r = np.asarray(self.r, np.float64)
        ones = np.ones_like(r)
        return {"r": r, "gr": ones if self.gr is None else np.asarray(self.gr, np.float64),
                "gb": ones if self.gb is None else np.asarray(self.gb, np.float64),
                "b": np.asarray(self.b, np.float64)}


def _grid_shape(grid: Grid, where: str) -> tuple[int, int]:
    rows = len(grid)
    cols = len(grid[0]) if rows else 0
    if rows < 2 or cols < 2:
        raise ValueError(f"{where}: a grid needs at least 2 x 2 samples, got {cols} x {rows}")
    if rows > MAX_GRID_SIDE or cols > MAX_GRID_SIDE:
        raise ValueError(f"{where}: {cols} x {rows} samples, at most {MAX_GRID_SIDE} per side")
    for j, row in enumerate(grid):
        if len(row) != cols:
            raise ValueError(f"{where}[{j}]: expected {cols} numbers like row 0, got {len(row)}")
    return rows, cols


class LscSection(Declared):
    """Lens shading per colour temperature (see the module docstring for how gains apply)."""

    gains: Literal["relative", "absolute"] = param(
        "relative", description="relative: each channel is normalised to a minimum of 1 when "
                                "applied (shape only); absolute: gains applied as written.")
    grid: LscGrid = LscGrid()
    luminance: Grid | None = _grid(None, "Vignetting gain shared by all channels and temperatures.")
    luminance_strength: float = param(1.0, unit="", minimum=0.0, maximum=1.0, step=0.05,
                                      description="Fraction of the luminance correction applied.")
    tables: tuple[LscEntry, ...] = ()

    @model_validator(mode="after")
    def _consistent(self):
        _increasing(self.tables, "ct", "tables")
        shape = None
        grids = [("luminance", self.luminance)] + [
            (f"tables[{i}].{c}", getattr(t, c)) for i, t in enumerate(self.tables)
            for c in ("r", "gr", "gb", "b")]
        for where, grid in grids:
            if grid is None:
                continue
            s = _grid_shape(grid, where)
            if shape is None:
                shape, first = s, where
            elif s != shape:
                raise ValueError(f"{where}: {s[1]} x {s[0]} samples, but {first} has "
                                 f"{shape[1]} x {shape[0]}; all grids must match")
        if shape is not None and self.grid.layout == "nodes":
            if (len(self.grid.y), len(self.grid.x)) != shape:
                raise ValueError(f"grid: {len(self.grid.x)} x {len(self.grid.y)} node positions for "
                                 f"{shape[1]} x {shape[0]} samples")
        return self

    def shape(self) -> tuple[int, int] | None:
        """(rows, cols) of the grids, or None without any grid."""
        grid = self.luminance if self.luminance is not None else (self.tables[0].r if self.tables else None)
        return None if grid is None else (len(grid), len(grid[0]))


class DenoiseEntry(Declared):
    gain: float = _gain()
    luma_strength: float = declared(Denoise, "luma_strength")
    chroma_strength: float = declared(Denoise, "chroma_strength")


class DenoiseSection(Declared):
    by_gain: tuple[DenoiseEntry, ...] = ()
    _order = _ordered("by_gain", "gain")


class SharpenEntry(Declared):
    gain: float = _gain()
    strength: float = declared(Sharpen, "strength")


class SharpenSection(Declared):
    by_gain: tuple[SharpenEntry, ...] = ()
    _order = _ordered("by_gain", "gain")


def _check_carried(fmt: str, doc: dict) -> None:
    """A carried firmware document must still be a list of named blocks of finite numbers."""
    blocks = doc.get("algorithms")
    if not isinstance(blocks, list):
        raise ValueError(f"{fmt}.algorithms: expected a list of blocks")
    for i, item in enumerate(blocks):
        if not isinstance(item, dict) or len(item) != 1:
            raise ValueError(f"{fmt}.algorithms[{i}]: expected one block name with its settings")
        (name, block), = item.items()
        if block is not None and not isinstance(block, dict):
            raise ValueError(f"{fmt}.algorithms[{i}].{name}: expected an object or nothing")

    def walk(value, path):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{path}: {value} is not a finite number")
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
    walk(doc, fmt)


class Profile(BaseModel):
    """A camtune tuning profile (schema version 2). Frozen: edits make a new object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[2] = SCHEMA_VERSION
    format: Literal["camtune-profile"] = FORMAT_NAME
    identity: Identity = Identity()
    stages: IspParams = IspParams()
    ccm: CcmSection = CcmSection()
    lsc: LscSection = LscSection()
    wb: WbSection = WbSection()
    denoise: DenoiseSection = DenoiseSection()
    sharpen: SharpenSection = SharpenSection()
    firmware: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per firmware format, what an imported file had beyond the modelled values.")

    @field_validator("firmware")
    @classmethod
    def _carried(cls, firmware):
        for key, doc in firmware.items():
            if key not in FIRMWARE_KEYS:
                raise ValueError(f"unknown firmware format {key!r}; expected one of "
                                 f"{', '.join(FIRMWARE_KEYS)}")
            _check_carried(key, doc)
        return firmware

    def replace(self, **sections) -> "Profile":
        """A validated copy with whole sections replaced (values may be models or plain data)."""
        data = self.model_dump()
        for key, value in sections.items():
            data[key] = value.model_dump() if isinstance(value, BaseModel) else value
        return Profile.model_validate(data)
