"""Writing rendered images: 8-bit PNG/JPEG for viewing, 16-bit TIFF/PNG for analysis."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.atomic import atomic_open
from app.errors import CamtuneError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def write_image(path: str | Path, rgb: np.ndarray, *, quality: int = 95) -> None:
    """Write an (H, W, 3) uint8 or uint16 image; the format follows the suffix. Atomic."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise CamtuneError(f"unsupported output type {suffix or '(none)'}; use one of "
                           f"{', '.join(IMAGE_SUFFIXES)}", path)
    if not path.parent.exists():
        raise CamtuneError("the output folder does not exist", path)
    rgb = np.ascontiguousarray(rgb)
    try:
        with atomic_open(path, "wb") as handle:
            if suffix in (".tif", ".tiff"):
                import tifffile
                tifffile.imwrite(handle, rgb, photometric="rgb")
            else:
                from PIL import Image
                if rgb.dtype == np.uint16:
                    if suffix != ".png":
                        raise CamtuneError("JPEG holds 8 bits only; write 16-bit output as .tif or .png", path)
                    _write_png16(handle, rgb)
                else:
                    image = Image.fromarray(rgb, "RGB")
                    if suffix == ".png":
                        image.save(handle, format="PNG", compress_level=1)
                    else:
                        image.save(handle, format="JPEG", quality=quality, subsampling=0)
    except OSError as err:
        raise CamtuneError(f"cannot write: {err.strerror or err}", path) from None


def _write_png16(handle, rgb: np.ndarray) -> None:
    """16-bit RGB PNG (Pillow cannot write 16-bit RGB itself): a minimal, standard encoder."""
    import struct
    import zlib

    h, w, _ = rgb.shape
    rows = np.empty((h, 1 + w * 6), np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = rgb.astype(">u2").view(np.uint8).reshape(h, w * 6)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    handle.write(b"\x89PNG\r\n\x1a\n")
    handle.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)))
    handle.write(chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)))
    handle.write(chunk(b"IEND", b""))
