"""What a render covers: the full frame, a fitted preview, or a full-resolution region (ROI)."""
from __future__ import annotations

from dataclasses import dataclass

ROI_MARGIN = 32  # context pixels around a region: demosaic + NR + sharpening footprints


@dataclass(frozen=True)
class View:
    """A render's geometry. Build with `full()`, `preview(w, h)` or `region(x, y, w, h)`."""

    kind: str  # "full" | "preview" | "roi"
    width: int = 0
    height: int = 0
    x: int = 0
    y: int = 0

    @staticmethod
    def full() -> "View":
        return View("full")

    @staticmethod
    def preview(width: int, height: int) -> "View":
        if width < 16 or height < 16:
            raise ValueError(f"preview size {width}x{height} is too small (16x16 at least)")
        return View("preview", width=width, height=height)

    @staticmethod
    def region(x: int, y: int, width: int, height: int) -> "View":
        if width < 1 or height < 1:
            raise ValueError(f"region {width}x{height} is empty")
        return View("roi", width=width, height=height, x=x, y=y)


@dataclass(frozen=True)
class Geometry:
    """A view resolved against a capture: the mosaic window processed and what is returned.

    `window` (y0, x0, h, w) is the part of the mosaic the full-resolution nodes process (even
    origin, so the CFA phase is the capture's own); `crop` (y, x, h, w) is the part of the
    processed window handed back. For previews, `out_size` is the binned output (h, w).
    """

    kind: str
    window: tuple[int, int, int, int]
    crop: tuple[int, int, int, int]
    out_size: tuple[int, int] = (0, 0)

    @property
    def key(self) -> tuple:
        return (self.kind, self.window, self.crop, self.out_size)


def fitted_size(full_w: int, full_h: int, max_w: int, max_h: int) -> tuple[int, int]:
    """Largest (w, h) with the frame's aspect inside max_w x max_h, and at most half-resolution."""
    scale = min(max_w / full_w, max_h / full_h, 0.5)
    return max(1, round(full_w * scale)), max(1, round(full_h * scale))


def resolve(view: View, full_w: int, full_h: int, is_mosaic: bool) -> Geometry:
    """Turn a View into a Geometry for a frame of full_w x full_h."""
    whole = (0, 0, full_h, full_w)
    if view.kind == "full":
        return Geometry("full", whole, whole)
    if view.kind == "preview":
        # Binning yields at most half resolution: when the box asks for more than that (small
        # captures), the full-resolution path is both affordable and sharper.
        if not is_mosaic or min(view.width / full_w, view.height / full_h) >= 0.5 or min(full_w, full_h) < 32:
            return Geometry("full", whole, whole)
        w, h = fitted_size(full_w, full_h, view.width, view.height)
        return Geometry("preview", whole, (0, 0, h, w), out_size=(h, w))
    if view.kind == "roi":
        x0 = min(max(view.x, 0), full_w - 1)
        y0 = min(max(view.y, 0), full_h - 1)
        x1 = min(x0 + view.width, full_w)
        y1 = min(y0 + view.height, full_h)
        wx0 = max(0, x0 - ROI_MARGIN) & ~1
        wy0 = max(0, y0 - ROI_MARGIN) & ~1
        wx1 = min(full_w, x1 + ROI_MARGIN)
        wy1 = min(full_h, y1 + ROI_MARGIN)
        return Geometry("roi", (wy0, wx0, wy1 - wy0, wx1 - wx0),
                        (y0 - wy0, x0 - wx0, y1 - y0, x1 - x0))
    raise ValueError(f"unknown view kind {view.kind!r}")
