"""Reading the parameter declarations for display: titles, labels, decimals, table layouts.

Every widget in this package takes its ranges, defaults, steps, units and labels from here, and
this module takes them from `app.isp.stages` (`ParamSpec`) and from the profile's own models: no
number or label that belongs to a parameter is written in widget code. Qt-free, so the rules are
testable without a display.
"""
from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass

from pydantic import BaseModel

from app.isp.declare import ParamSpec, StageParams
from app.isp.stages import STAGE_TITLES, IspParams
from tuning_profiles.model import Profile

# The on/off switch every stage inherits from StageParams; checked here so that a rename fails at
# import instead of leaving a panel without switches.
ENABLED = "enabled"
assert ENABLED in StageParams.model_fields, "StageParams lost its on/off field"

SCALAR_KINDS = ("int", "float")
# Without a declared step a slider gets this many positions over its range.
DEFAULT_POSITIONS = 1000


def stage_names() -> tuple[str, ...]:
    return IspParams.stage_names()


def stage_specs(stage: str) -> tuple[ParamSpec, ...]:
    return IspParams.stage_class(stage).specs()


def stage_label(stage: str) -> str:
    """The stage's declared short title (`STAGE_TITLES`, e.g. "Lens shading")."""
    return STAGE_TITLES.get(stage, stage)


def stage_summary(stage: str) -> str:
    """The stage's one-line description (its class docstring), used as its tooltip."""
    doc = IspParams.stage_class(stage).__doc__ or stage
    return doc.strip().split("\n")[0]


def label(spec: ParamSpec) -> str:
    """The declared label; a one- or two-letter label is an abbreviation ("Ct" -> "CT")."""
    text = spec.label or spec.name
    return text.upper() if len(text) <= 2 else text


def decimals(spec: ParamSpec) -> int:
    """Decimals that show every step exactly (step 0.005 -> 3, step 10 -> 0)."""
    if spec.kind == "int":
        return 0
    step = step_of(spec)
    text = f"{step:.10f}".rstrip("0")
    return max(0, len(text.split(".")[1])) if "." in text else 0


def step_of(spec: ParamSpec) -> float:
    """The declared step, or a thousandth of the declared range."""
    if spec.step:
        return float(spec.step)
    if spec.minimum is not None and spec.maximum is not None:
        return _round_step((spec.maximum - spec.minimum) / DEFAULT_POSITIONS)
    return 1.0 if spec.kind == "int" else 0.001


def _round_step(raw: float) -> float:
    """`raw` rounded down to 1, 2 or 5 times a power of ten, so values print cleanly."""
    if raw <= 0:
        return 0.001
    power = 10.0 ** math.floor(math.log10(raw))
    return max(m for m in (1.0, 2.0, 5.0) if m * power <= raw * (1 + 1e-9)) * power


def suffix(spec: ParamSpec) -> str:
    """A unit short enough to follow the value ("px", "EV"); a descriptive one stays in the tooltip."""
    return f" {spec.unit}" if spec.unit and " " not in spec.unit else ""


def column_decimals(spec: ParamSpec, values, most: int = 6) -> int:
    """Decimals that show every value of a column exactly (at least the step's, at most `most`)."""
    need = decimals(spec)
    for v in values:
        text = f"{v:.{most}f}".rstrip("0")
        need = max(need, len(text.split(".")[1]) if "." in text else 0)
    return need


def fmt(spec: ParamSpec, value: float) -> str:
    return f"{value:.{decimals(spec)}f}"


def describe(spec: ParamSpec) -> str:
    """The tooltip: description, range with unit, default."""
    unit = f" {spec.unit}" if spec.unit else ""
    parts = [spec.description]
    if spec.minimum is not None and spec.maximum is not None and spec.kind in SCALAR_KINDS + ("vector",):
        parts.append(f"Range {fmt(spec, spec.minimum)} to {fmt(spec, spec.maximum)}{unit}.")
    elif spec.minimum is not None and spec.maximum is not None:
        parts.append(f"Each value from {spec.minimum:g} to {spec.maximum:g}{unit}.")
    if spec.kind in SCALAR_KINDS:
        parts.append(f"Default {fmt(spec, spec.default)}{unit}.")
    elif spec.kind in ("choice", "bool"):
        parts.append(f"Default {spec.default}.")
    return "\n".join(p for p in parts if p)


def element_labels(spec: ParamSpec, count: int) -> tuple[str, ...]:
    """Names of a vector's elements: the declared `labels`, else their positions."""
    if len(spec.labels) == count:
        return spec.labels
    return tuple(f"[{i}]" for i in range(count))


def choice_text(choice: str) -> str:
    return choice.replace("_", " ")


# ----------------------------------------------------------------------- profile tables

def entry_specs(model: type[BaseModel]) -> tuple[ParamSpec, ...]:
    """ParamSpecs of a profile table entry (its fields are declared with the same `param()`).

    Reuses `StageParams.specs` on the entry class: the field metadata is the same shape, so this
    is the one reading of a declaration, not a second one.
    """
    return StageParams.specs.__func__(model)


@dataclass(frozen=True)
class TableColumn:
    """One column of a per-condition table: a field, or one element of a fixed-length field."""

    spec: ParamSpec
    index: int | None  # element of a vector/matrix field, None for a scalar
    header: str


@dataclass(frozen=True)
class TableSection:
    """A per-condition table of the profile, e.g. `ccm.tables` (entries keyed by CT)."""

    section: str          # profile field, named like the stage it feeds
    field: str            # the tuple of entries inside the section
    entry: type[BaseModel]
    columns: tuple[TableColumn, ...]

    @property
    def key(self) -> ParamSpec:
        return self.columns[0].spec

    @property
    def title(self) -> str:
        stage = stage_label(self.section) if self.section in stage_names() else self.section
        return f"{stage} · {self.field.replace('_', ' ')}"


def _fixed_length(annotation) -> int | None:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple and args and Ellipsis not in args:
        return len(args) if all(a in (int, float) for a in args) else None
    return None


def _columns(entry: type[BaseModel]) -> tuple[TableColumn, ...] | None:
    cols = []
    for spec in entry_specs(entry):
        annotation = entry.model_fields[spec.name].annotation
        if annotation in (int, float):
            cols.append(TableColumn(spec, None, _header(label(spec), spec.unit)))
            continue
        n = _fixed_length(annotation)
        if n is None:
            return None  # grids and free-length fields are not table cells
        if spec.kind == "matrix3x3":
            names = [f"{r + 1}{c + 1}" for r in range(3) for c in range(3)]
            cols += [TableColumn(spec, i, f"{label(spec)[:1]}{names[i]}") for i in range(n)]
        else:
            names = element_labels(spec, n)
            cols += [TableColumn(spec, i, f"{label(spec)} {names[i]}") for i in range(n)]
    return tuple(cols)


def _header(text: str, unit: str) -> str:
    return f"{text} ({unit})" if unit else text


def table_sections() -> tuple[TableSection, ...]:
    """Every per-condition table of numbers in the profile, found from its models.

    A table is a tuple-of-entries field of a profile section whose entries hold only numbers
    (CCMs per CT, the AWB CT curve, strengths per gain); lens-shading grids are shown as heat
    maps instead.
    """
    found = []
    for section, field in Profile.model_fields.items():
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or section == "stages":
            continue
        for name, sub in model.model_fields.items():
            args = typing.get_args(sub.annotation)
            if typing.get_origin(sub.annotation) is not tuple or len(args) != 2 or args[1] is not Ellipsis:
                continue
            entry = args[0]
            if isinstance(entry, type) and issubclass(entry, BaseModel):
                columns = _columns(entry)
                if columns:
                    found.append(TableSection(section, name, entry, columns))
    return tuple(found)
