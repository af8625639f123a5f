"""Capture loading: one entry point, `load_capture`, for every file a user can open.

Dispatch is by content first, suffix second, because users rename files and LibRaw guesses
headerless dumps by file size (it reads ``test_1920x1080_10bit_RGGB.RAW`` as some camera's
GBRG raw). So:

* PGM magic (or ``.pgm``) -> `pgm` (CFA from ``raw_format``/sidecar/name);
* ``.raw``/``.bin`` -> headerless dump, unless it starts like a RAW container (Panasonic and
  Leica ``.raw`` are TIFF-like) and no ``raw_format`` was given;
* a LibRaw suffix or a RAW container signature -> `libraw` (DNG metadata via `dng_tags`);
* anything else -> headerless, if the geometry is known from ``raw_format``, a sidecar or the
  name; otherwise refused with instructions.

Every failure a user can cause raises `CaptureError` naming the file and one reason.
"""
from __future__ import annotations

import stat
from pathlib import Path

from app.capture import Capture
from app.errors import CaptureError, GeometryError
from app.loaders.headerless import load_headerless
from app.loaders.libraw import load_libraw
from app.loaders.pgm import MAGICS as PGM_MAGICS
from app.loaders.pgm import load_pgm
from app.loaders.rawspec import RawSpec, collect_hints, how_to_give_geometry, resolve_spec

__all__ = ["load_capture", "SUPPORTED_SUFFIXES", "RawSpec", "CaptureError"]

LIBRAW_SUFFIXES = (
    ".dng", ".gpr", ".nef", ".nrw", ".cr2", ".cr3", ".crw", ".arw", ".srf", ".sr2", ".orf", ".ori",
    ".rw2", ".rwl", ".raf", ".pef", ".ptx", ".srw", ".3fr", ".fff", ".iiq", ".mos", ".mef", ".mrw",
    ".erf", ".dcr", ".kdc", ".k25", ".dcs", ".x3f", ".ari", ".cap", ".rwz", ".sti", ".tif", ".tiff",
)
HEADERLESS_SUFFIXES = (".raw", ".bin")
PGM_SUFFIXES = (".pgm",)
SUPPORTED_SUFFIXES = LIBRAW_SUFFIXES + HEADERLESS_SUFFIXES + PGM_SUFFIXES

_TIFF_SUFFIXES = (".dng", ".gpr", ".tif", ".tiff", ".nef", ".nrw", ".cr2", ".arw", ".pef", ".srw")
_TIFF_MAGIC = (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")
_CONTAINER_MAGIC = _TIFF_MAGIC + (b"IIRO", b"IIRS", b"MMOR", b"IIU\0", b"FUJIFILM", b"FOVb",
                                  b"\0MRM", b"ARRI", b"IIII")
_FOREIGN_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
                  (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a ZIP archive"),
                  (b"%PDF", "a PDF document"), (b"RIFF", "a RIFF (WebP/AVI/WAV) file"))


def _is_container(head: bytes) -> bool:
    return head.startswith(_CONTAINER_MAGIC) or head[4:11] == b"ftypcrx" or head[6:14] == b"HEAPCCDR"


def _foreign(head: bytes) -> str | None:
    return next((what for magic, what in _FOREIGN_MAGIC if head.startswith(magic)), None)


def _is_pgm(head: bytes) -> bool:
    return head[:2] in PGM_MAGICS and head[2:3] in (b" ", b"\t", b"\r", b"\n", b"#")


def _open_check(path: Path) -> tuple[int, bytes]:
    """Size and first bytes of a readable, non-empty regular file; CaptureError otherwise."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CaptureError("file not found", path) from None
    except PermissionError:
        raise CaptureError("permission denied", path) from None
    except (OSError, ValueError) as e:
        raise CaptureError(f"cannot access: {getattr(e, 'strerror', None) or e}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise CaptureError("is a directory, not a capture file", path)
    if not stat.S_ISREG(st.st_mode):
        raise CaptureError("not a regular file", path)
    if st.st_size == 0:
        raise CaptureError("file is empty", path)
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except PermissionError:
        raise CaptureError("permission denied (cannot read)", path) from None
    except OSError as e:
        raise CaptureError(f"cannot read: {e.strerror or e}", path) from None
    return st.st_size, head


def _kind(path: Path, head: bytes, raw_format) -> str:
    suffix = path.suffix.lower()
    if suffix in PGM_SUFFIXES:
        if not _is_pgm(head):
            what = _foreign(head)
            raise CaptureError(f"not a PGM file{f': it is {what}' if what else ' (no P5/P2 header)'}", path)
        return "pgm"
    if suffix in HEADERLESS_SUFFIXES:
        return "libraw" if raw_format is None and _is_container(head) else "headerless"
    if suffix in LIBRAW_SUFFIXES:
        what = _foreign(head)
        if what:
            raise CaptureError(f"mislabelled file: it is {what}, not a {suffix[1:].upper()} raw", path)
        if suffix in _TIFF_SUFFIXES and not head.startswith(_TIFF_MAGIC):
            raise CaptureError(f"not a {suffix[1:].upper()} file (no TIFF header); damaged or mislabelled",
                               path)
        return "libraw"
    if _is_pgm(head):
        return "pgm"
    if _is_container(head):
        return "libraw"
    what = _foreign(head)
    if what:
        raise CaptureError(f"{what}, not a RAW capture", path)
    return "headerless"


def load_capture(path: str | Path, raw_format: str | RawSpec | None = None) -> Capture:
    """Load any supported capture. `raw_format` (CLI ``--raw-format``, see `rawspec`) gives the
    geometry of a headerless dump, or the CFA/levels of a PGM; it outranks a sidecar and the
    file name. Raises CaptureError (message "path: reason") for every user-caused failure.
    """
    path = Path(path)
    size, head = _open_check(path)
    kind = _kind(path, head, raw_format)
    if kind == "libraw":
        if raw_format is not None:
            raise CaptureError("--raw-format applies to headerless dumps and PGM files only; this "
                               "file is a RAW container that describes itself", path)
        return load_libraw(path)
    if kind == "pgm":
        hints, sources = collect_hints(path, raw_format)
        return load_pgm(path, hints, sources)
    if raw_format is None and path.suffix.lower() not in HEADERLESS_SUFFIXES:
        hints, _ = collect_hints(path, None)
        if hints.is_empty():
            raise GeometryError("unrecognised file format (not a RAW container); if it is a headerless "
                               "sensor dump, " + how_to_give_geometry(path), path)
    spec, hints, sources = resolve_spec(path, raw_format, size)
    extra: dict = {"raw_spec_from": sources}
    if hints.bits is None and hints.packing is None and not isinstance(raw_format, RawSpec):
        extra["bits_note"] = (f"bit depth not given: assumed {spec.bits} from the file size "
                              f"({spec.packing} container); give the true depth with --raw-format "
                              f"{spec.width}x{spec.height}:BITS:{spec.cfa} or a sidecar {path.name}.json")
    capture = load_headerless(path, spec, extra=extra, masked_areas=hints.masked_areas or ())
    if "bits_note" in capture.extra and "max_value" in capture.extra:
        capture.extra["bits_note"] += f"; the data peaks at {capture.extra['max_value']} " \
                                      f"({max(1, capture.extra['max_value'].bit_length())} bits)"
    return capture


