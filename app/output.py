"""Writing rendered images: 8-bit PNG/JPEG for viewing, 8- or 16-bit TIFF for analysis."""
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
    if rgb.dtype == np.uint16 and suffix not in (".tif", ".tiff"):
        raise CamtuneError("16-bit output is written as TIFF: use .tif", path)
    try:
        with atomic_open(path, "wb") as handle:
            if suffix in (".tif", ".tiff"):
                import tifffile
                tifffile.imwrite(handle, rgb, photometric="rgb")
            else:
                from PIL import Image
                image = Image.fromarray(rgb, "RGB")
                if suffix == ".png":
                    image.save(handle, format="PNG", compress_level=1)
                else:
                    image.save(handle, format="JPEG", quality=quality, subsampling=0)
    except OSError as err:
        raise CamtuneError(f"cannot write: {err.strerror or err}", path) from None

