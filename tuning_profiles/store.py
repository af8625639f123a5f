"""Profile files: parse, migrate, validate with precise messages; save atomically with a backup.

Loading: read (size-limited, UTF-8) -> strict JSON -> `migrations.migrate` (older schema versions)
-> pydantic validation. Every problem found is reported as `PATH: REASON`, the path written the way
it appears in the file (`ccm.tables[2].matrix: expected 9 numbers, got 8`), all of them in one
`CamtuneError` that names the file.

Saving (`save_profile`): the text is written to a temporary sibling, flushed and fsynced, the
existing file is copied to `NAME.bak`, then the temporary file is renamed over `NAME` (atomic on
POSIX): at every instant `NAME` is either the old or the new complete file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.atomic import atomic_write_text
from app.errors import CamtuneError
from tuning_profiles import jsonfmt
from tuning_profiles.migrations import migrate
from tuning_profiles.model import Profile
from tuning_profiles.textio import decode, describe, loads_json, read_bytes

MAX_MESSAGES = 20
_RELATIVE_PATH = re.compile(r"^[A-Za-z_][\w-]*(\[\d+\])*(\.[A-Za-z_][\w-]*(\[\d+\])*)*: ")


def _path(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _join(base: str, relative: str) -> str:
    if not base:
        return relative
    return base + ("" if relative.startswith("[") else ".") + relative


def _at(data: Any, loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def messages(err: ValidationError, data: Any) -> list[str]:
    """Readable `path: reason` lines for a pydantic error raised while validating `data`."""
    out: list[str] = []
    short: dict[tuple, int] = {}  # fixed-length tuples with missing items: parent loc -> length
    for e in err.errors(include_url=False):
        loc, kind = tuple(e["loc"]), e["type"]
        path = _path(loc)
        if kind == "missing" and loc and isinstance(loc[-1], int):
            short[loc[:-1]] = max(short.get(loc[:-1], 0), loc[-1] + 1)
            continue
        ctx = e.get("ctx") or {}
        if kind == "value_error":
            reason = str(ctx.get("error", e["msg"]))
            if _RELATIVE_PATH.match(reason):
                out.append(_join(path, reason))
                continue
        elif kind == "extra_forbidden":
            reason = "unknown key"
        elif kind == "missing":
            reason = "missing (required)"
        elif kind == "too_long" or kind == "too_short":
            # Only fixed-length tuples (a matrix, a vector) have a maximum length in the model.
            bound = ctx.get("max_length") if kind == "too_long" else f"at least {ctx.get('min_length')}"
            reason = f"expected {bound} {_noun(_at(data, loc))}, got {ctx.get('actual_length')}"
        elif kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
            want = "a whole number" if kind.startswith("int") else "a number"
            reason = f"expected {want}, got {describe(e.get('input'))}"
        elif kind in ("bool_type", "bool_parsing"):
            reason = f"expected true or false, got {describe(e.get('input'))}"
        elif kind in ("string_type",):
            reason = f"expected text, got {describe(e.get('input'))}"
        elif kind in ("tuple_type", "list_type"):
            reason = f"expected a list, got {describe(e.get('input'))}"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            reason = f"expected an object, got {describe(e.get('input'))}"
        elif kind == "literal_error":
            reason = f"expected {ctx.get('expected', 'one of the allowed values')}, got {describe(e.get('input'))}"
        elif kind in ("string_too_long", "string_too_short"):
            reason = e["msg"].replace("String should have", "expected text with")
        else:
            reason = e["msg"]
        out.append(f"{path}: {reason}" if path else reason)
    for loc, expected in short.items():
        got = _at(data, loc)
        count = len(got) if isinstance(got, (list, tuple)) else "fewer"
        out.append(f"{_path(loc)}: expected {expected} numbers, got {count}")
    return out


def _noun(value) -> str:
    numbers = isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              for v in value)
    return "numbers" if numbers else "items"


def profile_from_data(data: Any, source: str | Path = "<profile>") -> Profile:
    """Migrate and validate parsed profile data; raise one CamtuneError listing every problem."""
    if not isinstance(data, dict):
        raise CamtuneError(f"expected a JSON object at the top level, got {describe(data)}", source)
    try:
        current = migrate(data)
    except CamtuneError as err:
        raise CamtuneError(err.reason, source) from None
    try:
        return Profile.model_validate(current)
    except ValidationError as err:
        found = messages(err, current)
        raise CamtuneError(_summary(found), source) from None


def _summary(found: list[str]) -> str:
    if len(found) == 1:
        return found[0]
    shown = found[:MAX_MESSAGES]
    more = f"\n  ... and {len(found) - MAX_MESSAGES} more" if len(found) > MAX_MESSAGES else ""
    return f"{len(found)} problems:\n  " + "\n  ".join(shown) + more


def loads_profile(text: str, source: str | Path = "<profile>") -> Profile:
    return profile_from_data(loads_json(text, source), source)


def load_profile(path: str | Path) -> Profile:
    """Read, migrate and validate the profile at `path`."""
    return loads_profile(decode(read_bytes(path), path), path)


def dumps_profile(profile: Profile) -> str:
    """The profile's file text: deterministic, one parameter per line, grids in rows."""
    return jsonfmt.dumps(profile.model_dump(mode="json"))


def save_profile(profile: Profile, path: str | Path) -> None:
    """Write `profile` to `path` atomically, keeping the previous file as `path.bak`."""
    text = dumps_profile(profile)
    try:
        atomic_write_text(path, text, backup=True)
    except OSError as err:
        raise CamtuneError(f"cannot write: {err.strerror or err}", path) from None
