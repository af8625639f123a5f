"""Profile sub-commands: validate, diff, export, import (registered by `app.cli`).

    python main.py validate PROFILE
    python main.py diff A B                      exit 0: same, 1: different
    python main.py export PROFILE --format {rpi-vc4,rpi-pisp,rkisp1,c-header,blob} -o OUT
    python main.py import FIRMWARE_FILE -o PROFILE [--name N] [--bit-depth B] [--cfa P]

User errors raise CamtuneError (printed as one line, exit status 2); an output file is written
atomically, so on any error it is not created, or left as it was.
"""
from __future__ import annotations

import sys
from pathlib import Path

from app.errors import CamtuneError

FORMATS = ("rpi-vc4", "rpi-pisp", "rkisp1", "c-header", "blob")
CFAS = ("RGGB", "BGGR", "GRBG", "GBRG", "mono")


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a tuning profile: schema, ranges, tables")
    p.add_argument("profile")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("diff", help="per-stage, per-parameter differences between two profiles "
                                    "(exit 1 when they differ)")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(handler=cmd_diff)

    p = sub.add_parser("export", help="write a profile as a firmware tuning file")
    p.add_argument("profile")
    p.add_argument("--format", "-f", required=True, choices=FORMATS, help="firmware format")
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import", help="read a firmware tuning file (format detected) into a profile")
    p.add_argument("firmware")
    p.add_argument("-o", "--output", required=True, help="profile to write (the old one kept as .bak)")
    p.add_argument("--name", help="sensor/module name (default: the file name)")
    p.add_argument("--bit-depth", type=int, choices=range(8, 17), metavar="{8..16}",
                   help="sensor bit depth (firmware files do not say; default 12)")
    p.add_argument("--cfa", choices=CFAS, help="CFA pattern (firmware files do not say; default RGGB)")
    p.set_defaults(handler=cmd_import)


def _notes(notes) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def _summary(profile) -> str:
    parts = [f"{profile.identity.name} ({profile.identity.bit_depth}-bit {profile.identity.cfa})"]
    if profile.ccm.tables:
        parts.append(f"{len(profile.ccm.tables)} CCMs")
    if profile.wb.ct_curve:
        parts.append(f"AWB curve of {len(profile.wb.ct_curve)} points")
    if profile.lsc.tables:
        rows, cols = profile.lsc.shape()
        parts.append(f"{len(profile.lsc.tables)} lens-shading tables {cols} x {rows}")
    for name, section in (("noise reduction", profile.denoise.by_gain), ("sharpening", profile.sharpen.by_gain)):
        if section:
            parts.append(f"{name} at {len(section)} gains")
    if profile.firmware:
        parts.append("carrying " + ", ".join(sorted(profile.firmware)) + " data")
    return ", ".join(parts)


def cmd_validate(args) -> int:
    from tuning_profiles.migrations import schema_version_of
    from tuning_profiles.model import SCHEMA_VERSION
    from tuning_profiles.store import profile_from_data
    from tuning_profiles.textio import decode, loads_json, read_bytes
    data = loads_json(decode(read_bytes(args.profile), args.profile), args.profile)
    profile = profile_from_data(data, args.profile)
    version = schema_version_of(data)
    migrated = "" if version == SCHEMA_VERSION else \
        f"; schema version {version}, becomes {SCHEMA_VERSION} when saved"
    print(f"{args.profile}: valid: {_summary(profile)}{migrated}")
    return 0


def cmd_diff(args) -> int:
    from tuning_profiles.diff import diff_profiles
    from tuning_profiles.store import load_profile
    lines = diff_profiles(load_profile(args.a), load_profile(args.b))
    if not lines:
        print("no differences")
        return 0
    section = None
    for line in lines:
        head = _section(line)
        if head != section:
            print(f"[{head}]")
            section = head
        print(f"  {line}")
    return 1


def _section(line: str) -> str:
    """The group a diff line belongs to: `stages.NAME` for stage parameters, else the top key."""
    path = line.split(":", 1)[0]
    parts = path.replace("[", ".").split(".")
    return ".".join(parts[:2]) if parts[0] == "stages" else parts[0]


def cmd_export(args) -> int:
    from app.atomic import atomic_write_bytes
    from tuning_profiles.formats import export_profile
    from tuning_profiles.store import load_profile
    profile = load_profile(args.profile)
    try:
        result = export_profile(profile, args.format)
    except CamtuneError as err:
        raise CamtuneError(err.reason, err.path or args.profile) from None
    _write(args.output, result.data, atomic_write_bytes)
    _notes(result.notes)
    print(f"wrote {args.output} ({args.format}, {len(result.data)} bytes)")
    return 0


def cmd_import(args) -> int:
    from tuning_profiles.formats import ImportOptions, import_file
    from tuning_profiles.store import save_profile
    opts = ImportOptions(name=args.name, bit_depth=args.bit_depth, cfa=args.cfa)
    fmt, imported = import_file(args.firmware, opts)
    _check_writable(args.output)
    save_profile(imported.profile, args.output)
    _notes(imported.notes)
    print(f"wrote {args.output} (from {fmt}: {_summary(imported.profile)})")
    return 0


def _check_writable(path: str) -> None:
    out = Path(path)
    if out.is_dir():
        raise CamtuneError("is a directory; give a file name", out)
    if not out.parent.exists():
        raise CamtuneError("the folder does not exist", out)


def _write(path: str, data: bytes, writer) -> None:
    _check_writable(path)
    try:
        writer(path, data)
    except OSError as err:
        raise CamtuneError(f"cannot write: {err.strerror or err}", path) from None
