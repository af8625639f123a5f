"""Reading tuning files: size limit, UTF-8, JSON (strict or libcamera-lenient), YAML; clear errors.

Every failure is a `CamtuneError` naming the file and the place (`line 12, column 5: ...`).
libcamera reads its JSON tuning files with a YAML parser, which tolerates trailing commas
(`[1, 2, ]`, `{"a": 1, }`); two shipped Raspberry Pi files rely on it. `loads_lenient_json`
accepts exactly that extension: each comma that is followed only by whitespace and a closing
bracket is replaced by a space before strict parsing, so reported positions stay those of the file.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from app.errors import CamtuneError

MAX_FILE_BYTES = 64 * 1024 * 1024  # the largest shipping tuning file is about 0.1 MB

# A JSON string (skipped as a whole) or a comma followed by whitespace and a closing bracket.
_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[\]}])', re.DOTALL)


def describe(value: Any) -> str:
    """A short description of a parsed value for an error message (`got ...`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "an object"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_bytes(path: str | Path) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise CamtuneError("is a directory, not a file", path)
        if size > MAX_FILE_BYTES:
            raise CamtuneError(f"{size / 1e6:.0f} MB is far too large for a tuning file "
                               f"(at most {MAX_FILE_BYTES // (1024 * 1024)} MB)", path)
        return path.read_bytes()
    except FileNotFoundError:
        raise CamtuneError("no such file", path) from None
    except PermissionError:
        raise CamtuneError("permission denied", path) from None
    except OSError as err:
        raise CamtuneError(f"cannot read: {err.strerror or err}", path) from None


def decode(data: bytes, source: str | Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CamtuneError(f"byte {err.start}: not UTF-8 text (is this a binary file?)", source) from None


def _reject_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _json_error(err: json.JSONDecodeError, source) -> CamtuneError:
    return CamtuneError(f"line {err.lineno}, column {err.colno}: {err.msg} (not valid JSON)", source)


def loads_json(text: str, source: str | Path) -> Any:
    """Strict JSON (NaN and Infinity are read as numbers so validation can name where they are)."""
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as err:
        raise _json_error(err, source) from None
    except ValueError as err:  # duplicate key
        raise CamtuneError(f"{err} (each key may appear once per object)", source) from None
    except RecursionError:
        raise CamtuneError("nested too deeply to be a tuning file", source) from None


def strip_trailing_commas(text: str) -> str:
    """`text` with every trailing comma (before `]` or `}`) blanked; strings are left alone."""
    return _TRAILING_COMMA.sub(lambda m: " " if m.group(0) == "," else m.group(0), text)


def _no_constants(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def loads_lenient_json(text: str, source: str | Path) -> Any:
    """JSON as libcamera reads it: trailing commas allowed."""
    try:
        return json.loads(strip_trailing_commas(text), parse_constant=_no_constants)
    except json.JSONDecodeError as err:
        raise _json_error(err, source) from None
    except ValueError as err:  # NaN, Infinity
        raise CamtuneError(f"{err} (not valid JSON)", source) from None
    except RecursionError:
        raise CamtuneError("nested too deeply to be a tuning file", source) from None


def loads_yaml(text: str, source: str | Path) -> Any:
    import yaml  # deferred: only the RkISP1 format needs it
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise CamtuneError(f"{where}{err.problem or err.context} (not valid YAML)", source) from None
    except yaml.YAMLError as err:
        raise CamtuneError(f"not valid YAML: {err}", source) from None
    except RecursionError:
        raise CamtuneError("nested too deeply to be a tuning file", source) from None
