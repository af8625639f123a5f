"""Geometry of a headerless sensor dump, and where it comes from.

A headerless dump (``.raw``/``.bin``) is bare pixels: width, height, bit depth, CFA and the
byte layout must come from outside the file. Three sources, highest precedence first, merged
field by field (so a sidecar can add only ``bits`` to what the file name says):

1. the explicit spec (CLI ``--raw-format``, GUI dialog), a string
   ``WIDTHxHEIGHT:BITS:CFA[:PACKING][:stride=N][:offset=N][:black=N|a,b,c,d][:white=N]``,
   e.g. ``1920x1080:12:BGGR`` or ``4000x3000:10:RGGB:mipi10:stride=5024``.
   Fields are told apart by their form, so any subset in any order is accepted
   (``GRBG:10:black=25`` for a PGM, whose size is in its header). ``key=value`` is accepted
   for every field (width, height, bits, cfa, packing, stride, offset, black, white).
2. a JSON sidecar next to the capture: ``<file name>.json`` (``foo.raw.json``), else
   ``<stem>.json`` (``foo.json``; used only if it holds at least one geometry key, so an
   unrelated JSON file of another tool is left alone). Keys, all optional::

       {"width": 768, "height": 512, "bits": 14, "cfa": "RGGB",
        "packing": "u16le",            # u8 | u16le | u16be | mipi10 | mipi12 | mipi14
        "stride": 1536,                # bytes per line, >= packed line width (default: packed)
        "offset": 0,                   # bytes to skip before the first line (a header)
        "black_level": 600,            # one number, or 4 per 2x2 CFA position, row-major
        "white_level": 15520,
        "masked_areas": [[0, 2600, 304, 2624]],   # optically black (top, left, bottom, right)
        "comment": "free text"}

   Unknown keys are an error (a typo such as ``blacklevel`` must not be silently ignored).
3. the file name: ``NAME_WIDTHxHEIGHT_BITSbit(s)_PATTERN[_more].raw``, tokens separated by
   ``_``, ``-``, ``.`` or spaces, case-insensitive (``test_1920x1080_10bit_RGGB.RAW``,
   ``BlackImage_1920x1080_12bits_BGGR.raw``). A packing token (``mipi10``) is also read.

When no source gives the bit depth (``DSC_1339_768x512_rggb.raw``) it is taken from the file
size: exactly 1 byte per pixel -> 8-bit ``u8``; exactly 2 -> a ``u16le`` container with
``bits = 16`` (white 65535). The true depth of such data is unknowable from the bytes alone,
so the loader says so in ``Capture.extra`` and the user supplies it (``768x512:14:RGGB`` or a
sidecar with ``"bits": 14``). A guess from the pixel values would silently change with content.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path

from app.capture import CFA_PATTERNS
from app.errors import CamtuneError, CaptureError, GeometryError

PACKINGS = ("u8", "u16le", "u16be", "mipi10", "mipi12", "mipi14")
MAX_DIM = 65535  # per side; larger is a typo, not a sensor
SPEC_SYNTAX = "WIDTHxHEIGHT:BITS:CFA[:PACKING][:stride=N][:offset=N][:black=N][:white=N]"
_MIPI_BITS = {"mipi10": 10, "mipi12": 12, "mipi14": 14}
_SIDECAR_KEYS = {"width", "height", "bits", "cfa", "packing", "stride", "offset",
                 "black_level", "white_level", "masked_areas", "comment"}
_GEOMETRY_KEYS = {"width", "height", "bits", "cfa", "packing"}
_SIDECAR_MAX_BYTES = 1 << 20


def container_packing(bits: int) -> str:
    """Default byte layout for a bit depth: one byte up to 8 bits, else little-endian uint16."""
    return "u8" if bits <= 8 else "u16le"


def packing_bits(packing: str) -> int:
    """Largest bit depth a packing can hold."""
    return _MIPI_BITS.get(packing, 8 if packing == "u8" else 16)


def packed_line_bytes(width: int, packing: str) -> int:
    """Bytes of one unpadded line. MIPI widths must fill whole pixel groups (see mipi.py)."""
    if packing == "u8":
        return width
    if packing in ("u16le", "u16be"):
        return 2 * width
    from app.loaders.mipi import packed_line_bytes as mipi_line_bytes
    return mipi_line_bytes(width, _MIPI_BITS[packing])


@dataclass(frozen=True)
class RawHints:
    """A partial spec: whatever one source knows. `None` means "this source does not say"."""

    width: int | None = None
    height: int | None = None
    bits: int | None = None
    cfa: str | None = None
    packing: str | None = None
    stride: int | None = None
    offset: int | None = None
    black_level: tuple[float, float, float, float] | None = None
    white_level: float | None = None
    masked_areas: tuple[tuple[int, int, int, int], ...] | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def over(self, lower: RawHints) -> RawHints:
        """Merge: my fields win, `lower` fills the gaps."""
        return RawHints(**{f.name: getattr(self, f.name) if getattr(self, f.name) is not None
                           else getattr(lower, f.name) for f in fields(self)})


@dataclass(frozen=True)
class RawSpec:
    """Complete geometry of a headerless dump. `stride` None = packed lines; `offset` = header bytes.

    `black_level`/`white_level` None mean the loader defaults (0 and 2**bits-1).
    """

    width: int
    height: int
    bits: int
    cfa: str
    packing: str = ""
    stride: int | None = None
    offset: int = 0
    black_level: tuple[float, float, float, float] | None = None
    white_level: float | None = None

    def __post_init__(self):
        if not self.packing:
            object.__setattr__(self, "packing", container_packing(self.bits))
        _validate(self)

    @classmethod
    def parse(cls, text: str) -> RawSpec:
        """Parse a complete CLI spec; CamtuneError when a required field is missing or bad."""
        return spec_from_hints(parse_raw_format(text), what=f"--raw-format {text!r}")

    @property
    def line_bytes(self) -> int:
        return packed_line_bytes(self.width, self.packing)

    @property
    def line_stride(self) -> int:
        return self.line_bytes if self.stride is None else self.stride

    def expected_bytes(self) -> int:
        """File size for this geometry: offset + height full lines (the last may lack padding)."""
        return self.offset + self.line_stride * self.height

    def __str__(self) -> str:
        parts = [f"{self.width}x{self.height}", str(self.bits), self.cfa, self.packing]
        if self.stride is not None:
            parts.append(f"stride={self.stride}")
        if self.offset:
            parts.append(f"offset={self.offset}")
        if self.black_level is not None:
            parts.append("black=" + ",".join(_num(v) for v in _compact_black(self.black_level)))
        if self.white_level is not None:
            parts.append(f"white={_num(self.white_level)}")
        return ":".join(parts)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _compact_black(black: tuple) -> tuple:
    return black[:1] if len(set(black)) == 1 else black


def _validate(s: RawSpec) -> None:
    for name in ("width", "height"):
        v = getattr(s, name)
        if not isinstance(v, int) or not 1 <= v <= MAX_DIM:
            raise CamtuneError(f"{name} must be an integer 1..{MAX_DIM}, got {v!r}")
    if s.packing not in PACKINGS:
        raise CamtuneError(f"unknown packing {s.packing!r}; expected one of {', '.join(PACKINGS)}")
    cap = packing_bits(s.packing)
    if not isinstance(s.bits, int) or not 1 <= s.bits <= cap:
        raise CamtuneError(f"bits must be 1..{cap} for {s.packing} data, got {s.bits!r}")
    if s.cfa not in CFA_PATTERNS:
        raise CamtuneError(f"unknown CFA {s.cfa!r}; expected one of {', '.join(CFA_PATTERNS)}")
    try:
        line = s.line_bytes
    except ValueError as e:
        raise CamtuneError(str(e)) from None
    if s.stride is not None and (not isinstance(s.stride, int) or s.stride < line):
        raise CamtuneError(f"stride {s.stride!r} is smaller than one {s.packing} line of "
                           f"{s.width} pixels ({line} bytes)")
    if not isinstance(s.offset, int) or s.offset < 0:
        raise CamtuneError(f"offset must be a non-negative integer, got {s.offset!r}")
    if s.white_level is not None and not 0 < s.white_level <= 2 ** cap - 1:
        raise CamtuneError(f"white level {s.white_level!r} is outside 1..{2 ** cap - 1}")
    if s.black_level is not None and (len(s.black_level) != 4 or
                                      any(not 0 <= b < 2 ** cap for b in s.black_level)):
        raise CamtuneError(f"black level {s.black_level!r} must be 4 values in 0..{2 ** cap - 1}")


# --- parsing -------------------------------------------------------------------------------

_SIZE = re.compile(r"^(\d{1,6})x(\d{1,6})$", re.I)
_BITS = re.compile(r"^(\d{1,2})(?:bits?)?$", re.I)
_NAME_BITS = re.compile(r"^(\d{1,2})bits?$", re.I)
_INT = re.compile(r"^\d{1,12}$")


def _black(value) -> tuple[float, float, float, float]:
    vals = value if isinstance(value, (list, tuple)) else [value]
    if len(vals) not in (1, 4) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                          for v in vals):
        raise CamtuneError(f"black level must be one number or 4 (per 2x2 position), got {value!r}")
    vals = [float(v) for v in vals]
    return tuple(vals * 4 if len(vals) == 1 else vals)


def _float(text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise CamtuneError(f"{what} must be a number, got {text!r}") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise CamtuneError(f"{what} must be a finite number, got {text!r}")
    return v


def _int(text: str, what: str) -> int:
    if not _INT.match(text):
        raise CamtuneError(f"{what} must be a non-negative integer, got {text!r}")
    return int(text)


def parse_raw_format(text: str) -> RawHints:
    """Parse a (possibly partial) ``--raw-format`` string into hints. CamtuneError if malformed."""
    if not isinstance(text, str) or not text.strip():
        raise CamtuneError(f"empty raw format; expected {SPEC_SYNTAX}")
    if len(text) > 400:
        raise CamtuneError("raw format string is too long")
    out: dict = {}

    def put(key, value, token):
        if key in out:
            raise CamtuneError(f"{key} given twice in raw format {text!r} (at {token!r})")
        out[key] = value

    for token in (t.strip() for t in text.split(":")):
        if not token:
            continue
        if "=" in token:
            key, _, val = (p.strip() for p in token.partition("="))
            key = key.lower()
            if key in ("width", "height", "stride", "offset"):
                put(key, _int(val, key), token)
            elif key == "bits":
                put("bits", _int(val, "bits"), token)
            elif key == "cfa":
                put("cfa", val.upper(), token)
            elif key == "packing":
                put("packing", val.lower(), token)
            elif key in ("black", "black_level"):
                put("black_level", _black([_float(v, "black level") for v in val.split(",")]), token)
            elif key in ("white", "white_level"):
                put("white_level", _float(val, "white level"), token)
            else:
                raise CamtuneError(f"unknown key {key!r} in raw format {text!r}; expected {SPEC_SYNTAX}")
        elif m := _SIZE.match(token):
            put("width", int(m.group(1)), token)
            put("height", int(m.group(2)), token)
        elif m := _BITS.match(token):
            put("bits", int(m.group(1)), token)
        elif token.upper() in CFA_PATTERNS:
            put("cfa", token.upper(), token)
        elif token.lower() in PACKINGS:
            put("packing", token.lower(), token)
        else:
            raise CamtuneError(f"cannot read {token!r} in raw format {text!r}; expected {SPEC_SYNTAX}, "
                               f"e.g. 1920x1080:12:BGGR or 4000x3000:10:RGGB:mipi10")
    if "cfa" in out and out["cfa"] not in CFA_PATTERNS:
        raise CamtuneError(f"unknown CFA {out['cfa']!r}; expected one of {', '.join(CFA_PATTERNS)}")
    if "packing" in out and out["packing"] not in PACKINGS:
        raise CamtuneError(f"unknown packing {out['packing']!r}; expected one of {', '.join(PACKINGS)}")
    return RawHints(**out)


def hints_from_name(path: str | Path) -> RawHints:
    """What the naming convention NAME_WIDTHxHEIGHT_BITSbit_PATTERN.raw tells (may be nothing)."""
    out: dict = {}
    for token in re.split(r"[_\-. ]+", Path(path).stem):
        if (m := _SIZE.match(token)) and "width" not in out:
            out["width"], out["height"] = int(m.group(1)), int(m.group(2))
        elif (m := _NAME_BITS.match(token)) and "bits" not in out:
            out["bits"] = int(m.group(1))
        elif token.upper() in CFA_PATTERNS and "cfa" not in out:
            out["cfa"] = token.upper()
        elif token.lower() in PACKINGS and "packing" not in out:
            out["packing"] = token.lower()
    return RawHints(**out)


def sidecar_paths(path: str | Path) -> tuple[Path, Path]:
    """Where a sidecar may be: ``foo.raw.json`` (preferred), then ``foo.json``."""
    p = Path(path)
    return p.with_name(p.name + ".json"), p.with_suffix(".json")


def hints_from_sidecar(path: str | Path) -> tuple[RawHints, Path | None]:
    """Read the capture's sidecar, if any. CaptureError (naming the sidecar) when it is invalid."""
    full, stem = sidecar_paths(path)
    for candidate, strict in ((full, True), (stem, False)):
        if candidate == Path(path) or not candidate.is_file():
            continue
        try:
            if candidate.stat().st_size > _SIDECAR_MAX_BYTES:
                raise CaptureError("sidecar is larger than 1 MB; not a capture description", candidate)
            data = json.loads(candidate.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
            if not strict:
                continue
            raise CaptureError(f"cannot read sidecar: {e}", candidate) from None
        if not isinstance(data, dict):
            if strict:
                raise CaptureError("sidecar must be a JSON object with keys "
                                   + ", ".join(sorted(_SIDECAR_KEYS)), candidate)
            continue
        if not strict and not _GEOMETRY_KEYS & data.keys():
            continue  # someone else's JSON
        try:
            return _sidecar_hints(data), candidate
        except CamtuneError as e:
            raise CaptureError(e.reason, candidate) from None
    return RawHints(), None


def _sidecar_hints(data: dict) -> RawHints:
    unknown = set(data) - _SIDECAR_KEYS
    if unknown:
        raise CamtuneError(f"unknown sidecar key(s) {', '.join(sorted(map(str, unknown)))}; "
                           f"expected {', '.join(sorted(_SIDECAR_KEYS))}")
    out: dict = {}
    for key in ("width", "height", "bits", "stride", "offset"):
        v = data.get(key)
        if v is not None:
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise CamtuneError(f"sidecar {key} must be a non-negative integer, got {v!r}")
            out[key] = v
    for key, norm in (("cfa", str.upper), ("packing", str.lower)):
        v = data.get(key)
        if v is not None:
            if not isinstance(v, str):
                raise CamtuneError(f"sidecar {key} must be a string, got {v!r}")
            out[key] = norm(v)
    if out.get("cfa") is not None and out["cfa"] not in CFA_PATTERNS:
        raise CamtuneError(f"unknown CFA {out['cfa']!r}; expected one of {', '.join(CFA_PATTERNS)}")
    if out.get("packing") is not None and out["packing"] not in PACKINGS:
        raise CamtuneError(f"unknown packing {out['packing']!r}; expected one of {', '.join(PACKINGS)}")
    if data.get("black_level") is not None:
        out["black_level"] = _black(data["black_level"])
    if data.get("white_level") is not None:
        w = data["white_level"]
        if not isinstance(w, (int, float)) or isinstance(w, bool) or not 0 < w < 1 << 16:
            raise CamtuneError(f"sidecar white_level must be a number in 1..65535, got {w!r}")
        out["white_level"] = float(w)
    if data.get("masked_areas") is not None:
        areas = data["masked_areas"]
        ok = isinstance(areas, list) and all(
            isinstance(a, list) and len(a) == 4 and all(isinstance(v, int) and v >= 0 for v in a)
            and a[0] < a[2] and a[1] < a[3] for a in areas)
        if not ok:
            raise CamtuneError("sidecar masked_areas must be a list of [top, left, bottom, right]")
        out["masked_areas"] = tuple(tuple(a) for a in areas)
    return RawHints(**out)


# --- resolving -----------------------------------------------------------------------------

def how_to_give_geometry(path: str | Path) -> str:
    p = Path(path)
    return (f"give it with --raw-format {SPEC_SYNTAX} (e.g. 1920x1080:12:BGGR), or a sidecar "
            f"{p.name}.json (see app/loaders/rawspec.py), or name the file "
            f"NAME_WIDTHxHEIGHT_BITSbit_CFA{p.suffix or '.raw'}")


def collect_hints(path: str | Path, explicit: str | RawHints | RawSpec | None) -> tuple[RawHints, list[str]]:
    """Merge explicit > sidecar > file name. Returns the hints and the sources that contributed."""
    if isinstance(explicit, RawSpec):
        explicit = RawHints(**{f.name: getattr(explicit, f.name) for f in fields(RawHints)
                               if hasattr(explicit, f.name)})
    elif isinstance(explicit, str):
        try:
            explicit = parse_raw_format(explicit)
        except CamtuneError as e:
            raise CaptureError(f"bad --raw-format: {e.reason}", path) from None
    explicit = explicit or RawHints()
    side, side_path = hints_from_sidecar(path)
    name = hints_from_name(path)
    side_label = f"sidecar {side_path.name}" if side_path else "sidecar"
    sources = [label for label, h in (("--raw-format", explicit), (side_label, side), ("file name", name))
               if not h.is_empty()]
    return explicit.over(side).over(name), sources


def spec_from_hints(h: RawHints, *, file_size: int | None = None, what: str = "") -> RawSpec:
    """Complete a RawSpec from merged hints; infer bits/packing from the file size if needed.

    Raises CamtuneError naming what is missing.
    """
    missing = [n for n in ("width", "height", "cfa") if getattr(h, n) is None]
    if missing:
        raise CamtuneError(f"{what + ': ' if what else ''}missing {', '.join(missing)}")
    bits, packing = h.bits, h.packing
    if bits is None and packing is not None:
        bits = packing_bits(packing)
    if bits is None and file_size is not None and h.stride is None:
        pixels = h.width * h.height
        body = file_size - (h.offset or 0)
        if body == pixels:
            bits, packing = 8, "u8"
        elif body == 2 * pixels:
            bits, packing = 16, "u16le"
    if bits is None:
        raise CamtuneError(f"{what + ': ' if what else ''}missing bits (bit depth)")
    return RawSpec(width=h.width, height=h.height, bits=bits, cfa=h.cfa,
                   packing=packing or container_packing(bits), stride=h.stride,
                   offset=h.offset or 0, black_level=h.black_level, white_level=h.white_level)


def resolve_spec(path: str | Path, explicit: str | RawHints | RawSpec | None,
                 file_size: int) -> tuple[RawSpec, RawHints, list[str]]:
    """The RawSpec of a headerless file, with the merged hints and their sources.

    CaptureError that tells the user how to give the geometry when it cannot be resolved.
    """
    if isinstance(explicit, RawSpec):
        return explicit, RawHints(), ["--raw-format"]
    hints, sources = collect_hints(path, explicit)
    try:
        spec = spec_from_hints(hints, file_size=file_size)
    except CamtuneError as e:
        told = f" (known from {', '.join(sources)})" if sources else ""
        raise GeometryError(f"headerless file: {e.reason}{told}; " + how_to_give_geometry(path), path) from None
    return spec, hints, sources


def check_areas(areas, width: int, height: int, path: str | Path) -> tuple:
    """Masked areas (top, left, bottom, right) from a sidecar must lie inside the mosaic."""
    for t, l, b, r in areas or ():
        if b > height or r > width:
            raise CaptureError(f"masked area {[t, l, b, r]} lies outside the {width}x{height} mosaic", path)
    return tuple(areas or ())
