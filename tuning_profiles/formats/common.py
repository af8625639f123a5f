"""What every firmware format shares: results, import options, typed reading with paths, carrying.

Carrying: an imported firmware file is kept in the profile (`profile.firmware[FORMAT]`) with
every value the profile models replaced by the marker `"@profile"`, so the carried copy keeps
the file's block order, key order and everything camtune does not model, while the modelled
values live only in the profile (no stale second copy). Exporting walks the carried copy and
writes the profile's values where the markers are (`put`), and keys the file did not have are
added only when their value differs from the firmware's own default.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from typing import Any

from app.errors import CamtuneError
from app.isp.stages import Tone
from tuning_profiles.model import Profile
from tuning_profiles.textio import describe

MARK = "@profile"
BLOB_MAGIC = b"CTPB"  # first bytes of a camtune binary blob (formats.blob)
_ALWAYS = object()


@dataclass(frozen=True)
class ImportOptions:
    """What a firmware file does not say about the sensor (None: the file name / an assumption)."""

    name: str | None = None
    bit_depth: int | None = None
    cfa: str | None = None


@dataclass(frozen=True)
class Imported:
    profile: Profile
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exported:
    data: bytes
    notes: tuple[str, ...] = ()


@dataclass
class Notes:
    """Lossy or assumed steps of an import or export, told to the user (each once)."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


class Reader:
    """Typed access to parsed firmware data; a wrong value is a CamtuneError naming its path."""

    def __init__(self, source: str | Path):
        self.source = source

    def fail(self, path: str, reason: str) -> CamtuneError:
        return CamtuneError(f"{path}: {reason}" if path else reason, self.source)

    def obj(self, value: Any, path: str, *, allow_none: bool = False) -> dict:
        if value is None and allow_none:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {describe(value)}")
        return value

    def list(self, value: Any, path: str, *, max_len: int = 100_000) -> list:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {describe(value)}")
        if len(value) > max_len:
            raise self.fail(path, f"{len(value)} items is absurd here (at most {max_len})")
        return value

    def num(self, value: Any, path: str, lo: float | None = None, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, f"expected a number, got {describe(value)}")
        if not math.isfinite(value):
            raise self.fail(path, f"{value} is not a finite number")
        if lo is not None and value < lo:
            raise self.fail(path, f"{value:g} is below the minimum {lo:g}")
        if hi is not None and value > hi:
            raise self.fail(path, f"{value:g} is above the maximum {hi:g}")
        return float(value)

    def nums(self, value: Any, path: str, count: int | None = None, multiple: int | None = None,
             lo: float | None = None, hi: float | None = None, max_len: int = 100_000) -> list[float]:
        items = self.list(value, path, max_len=max_len)
        if count is not None and len(items) != count:
            raise self.fail(path, f"expected {count} numbers, got {len(items)}")
        if multiple is not None and (len(items) % multiple or not items):
            raise self.fail(path, f"expected a non-empty multiple of {multiple} numbers, got {len(items)}")
        return [self.num(v, f"{path}[{i}]", lo, hi) for i, v in enumerate(items)]

    def increasing(self, keys: list[float], path: str, what: str) -> None:
        for i in range(1, len(keys)):
            if not keys[i] > keys[i - 1]:
                raise self.fail(path, f"{what} must increase: {keys[i]:g} follows {keys[i - 1]:g}")


def put(block: dict, key: str, value: Any, default: Any = _ALWAYS) -> None:
    """Set `key` in a carried block: in place where the file had it, else appended unless default."""
    if key in block or default is _ALWAYS or value != default:
        block[key] = value


def drop_marks(value: Any) -> Any:
    """`value` without keys still marked (modelled values the profile has nothing for)."""
    if isinstance(value, dict):
        return {k: drop_marks(v) for k, v in value.items() if v != MARK}
    if isinstance(value, list):
        return [drop_marks(v) for v in value if v != MARK]
    return value


def reciprocal(x: float) -> float:
    """1 / x written as the shortest decimal whose reciprocal is `x` again.

    A profile stores the AWB neutral ratio r/g where RkISP1 stores the gain g/r: this gives back
    the file's own number, not 1.6641000000000001.
    """
    inv = 1.0 / x
    for digits in range(1, 18):
        candidate = float(f"{inv:.{digits}g}")
        if 1.0 / candidate == x:
            return candidate
    return inv


def file_name(source: str | Path) -> str:
    return Path(str(source)).stem or "imported"


def profile_data(source: str | Path, opts: ImportOptions, fmt: str, notes: Notes) -> dict:
    """The starting point of an import: a default profile's data with the identity filled in."""
    data = Profile().model_dump(mode="json")
    ident = data["identity"]
    ident["name"] = (opts.name or file_name(source))[:64]
    if opts.bit_depth is None:
        notes.add(f"the {fmt} file does not give the sensor bit depth: assumed {ident['bit_depth']} "
                  "(levels convert with it; pass --bit-depth to set it)")
    else:
        ident["bit_depth"] = opts.bit_depth
    if opts.cfa is None:
        notes.add(f"the {fmt} file does not give the CFA pattern: assumed {ident['cfa']} (pass --cfa)")
    else:
        ident["cfa"] = opts.cfa
    ident["notes"] = f"Imported from {Path(str(source)).name} ({fmt})."
    return data


def build_profile(data: dict, source: str | Path) -> Profile:
    """Validate imported data as a profile; a value camtune cannot hold is a CamtuneError."""
    from tuning_profiles.store import profile_from_data
    try:
        return profile_from_data(data, source)
    except CamtuneError as err:
        raise CamtuneError(f"cannot be held in a camtune profile: {err.reason}", source) from None


def tone_response_16(tone: Tone, knots: list[int]) -> list[int]:
    """The tone stage's output on a 16-bit scale at 16-bit linear inputs `knots` (0..65535).

    Uses the engine's own tone response (`app.isp.tone.response`), so exported curves are
    exactly what camtune renders.
    """
    from app.isp.tone import response
    values = response(tone, np.asarray(knots, dtype=np.float64) / 65535.0)
    return [int(round(float(v) * 65535.0)) for v in values]
