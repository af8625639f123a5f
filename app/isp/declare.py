"""How an ISP parameter is declared: once, with type, range, default, unit and description.

Everything else reads these declarations: validation (here), profile serialisation (pydantic),
the GUI panels (`widgets/`), the firmware exporters (`tuning_profiles/`). A stage's parameters
are a frozen pydantic model deriving from `StageParams`; each field is made with `param()`.

Ranges live in the field's metadata rather than in pydantic's `ge`/`le` so that one validator
checks scalars and every element of vectors, matrices, curves and grids alike, and reports the
path of the bad value (`tone.curve[2][0]: 1.2 is above the maximum 1`).
"""
from __future__ import annotations

import hashlib
import math
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Composite kinds a widget or exporter must know about; scalars are inferred from the type.
KINDS = ("bool", "int", "float", "choice", "vector", "matrix3x3", "curve", "grid")


def param(default: Any, *, description: str, unit: str = "", minimum: float | None = None,
          maximum: float | None = None, step: float | None = None, kind: str | None = None,
          label: str | None = None, labels: tuple[str, ...] | None = None):
    """A declared parameter. `minimum`/`maximum` bound every number inside the value."""
    extra = {"unit": unit, "minimum": minimum, "maximum": maximum, "step": step,
             "kind": kind, "label": label, "labels": labels}
    return Field(default, description=description,
                 json_schema_extra={k: v for k, v in extra.items() if v is not None})


@dataclass(frozen=True)
class ParamSpec:
    """The declaration of one parameter, in the plain form widgets and exporters consume."""

    name: str
    kind: str
    default: Any
    description: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""
    labels: tuple[str, ...] = ()  # names of a vector's elements, e.g. ("R", "Gr", "Gb", "B")


def _infer_kind(annotation) -> tuple[str, tuple[str, ...]]:
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if typing.get_origin(annotation) is Literal:
        return "choice", tuple(typing.get_args(annotation))
    return "vector", ()


def _walk_numbers(value, path: str):
    """Yield (path, number) for every number inside nested tuples/lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, (int, float)):
        yield path, value
        return
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _walk_numbers(item, f"{path}[{i}]")


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_declared_ranges(model: BaseModel) -> BaseModel:
    """Raise ValueError naming the path of the first number outside its field's declared range."""
    for name, field in type(model).model_fields.items():
        extra = field.json_schema_extra or {}
        lo, hi = extra.get("minimum"), extra.get("maximum")
        for path, number in _walk_numbers(getattr(model, name), name):
            if not math.isfinite(number):
                raise ValueError(f"{path}: {number} is not a finite number")
            if lo is not None and number < lo:
                raise ValueError(f"{path}: {_fmt(number)} is below the minimum {_fmt(lo)}")
            if hi is not None and number > hi:
                raise ValueError(f"{path}: {_fmt(number)} is above the maximum {_fmt(hi)}")
    return model


class StageParams(BaseModel):
    """Base of every stage's parameters: frozen, no unknown keys, declared ranges enforced."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    enabled: bool = param(True, description="Run this stage; when off its input passes through.")

    @model_validator(mode="after")
    def _check_declared_ranges(self):
        return check_declared_ranges(self)

    @classmethod
    def specs(cls) -> tuple[ParamSpec, ...]:
        """The declarations of this stage's parameters, in declaration order."""
        out = []
        for name, field in cls.model_fields.items():
            extra = dict(field.json_schema_extra or {})
            kind, choices = _infer_kind(field.annotation)
            out.append(ParamSpec(
                name=name, kind=extra.get("kind", kind), default=field.default,
                description=field.description or "", unit=extra.get("unit", ""),
                minimum=extra.get("minimum"), maximum=extra.get("maximum"),
                step=extra.get("step"), choices=choices,
                label=extra.get("label", name.replace("_", " ").capitalize()),
                labels=tuple(extra.get("labels", ()))))
        return tuple(out)

    @classmethod
    def spec(cls, name: str) -> ParamSpec:
        for s in cls.specs():
            if s.name == name:
                return s
        raise KeyError(name)

    def digest(self) -> str:
        """Stable hash of the values, for pipeline cache keys."""
        return hashlib.blake2b(self.model_dump_json().encode(), digest_size=12).hexdigest()
