"""The capture model: one shape for every RAW source (LibRaw files, DNG, headerless dumps)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CFA_PATTERNS = ("RGGB", "BGGR", "GRBG", "GBRG")
# Channel index per colour letter, as used by kernels: 0=R, 1=G, 2=B.
_CHANNEL = {"R": 0, "G": 1, "B": 2}


def cfa_channels(pattern: str) -> np.ndarray:
    """2x2 int array: the colour channel (0 R, 1 G, 2 B) at each position of the CFA tile."""
    if pattern not in CFA_PATTERNS:
        raise ValueError(f"unknown CFA pattern {pattern!r}; expected one of {', '.join(CFA_PATTERNS)}")
    return np.array([[_CHANNEL[pattern[0]], _CHANNEL[pattern[1]]],
                     [_CHANNEL[pattern[2]], _CHANNEL[pattern[3]]]], dtype=np.int32)


@dataclass(frozen=True, eq=False)
class Capture:
    """A RAW capture, as loaded. Immutable by convention: the mosaic is never written to.

    Levels are in the mosaic's own digital numbers (DN). `black_level` has one value per
    position of the 2x2 CFA tile, row-major (so for RGGB: R, Gr, Gb, B).
    `color_matrix1/2` follow DNG: XYZ -> camera RGB, 3x3, for `illuminant1/2` (EXIF
    LightSource codes, e.g. 17 = Standard light A, 21 = D65). `as_shot_neutral` is the camera
    RGB of a neutral object (DNG AsShotNeutral); white-balance gains are its reciprocals.
    For an already demosaiced (LinearRaw) capture `mosaic` is HxWx3 and `cfa` is "".
    """

    mosaic: np.ndarray
    cfa: str
    black_level: tuple[float, float, float, float]
    white_level: float
    bits: int
    source: str = ""
    format: str = ""
    as_shot_neutral: tuple[float, float, float] | None = None
    color_matrix1: np.ndarray | None = None
    color_matrix2: np.ndarray | None = None
    illuminant1: int | None = None
    illuminant2: int | None = None
    exposure_time: float | None = None
    iso: float | None = None
    make: str = ""
    model: str = ""
    unique_camera_model: str = ""
    masked_areas: tuple[tuple[int, int, int, int], ...] = ()  # (top, left, bottom, right)
    extra: dict = field(default_factory=dict)  # format-specific facts shown by `info`

    @property
    def height(self) -> int:
        return int(self.mosaic.shape[0])

    @property
    def width(self) -> int:
        return int(self.mosaic.shape[1])

    @property
    def is_mosaic(self) -> bool:
        return self.mosaic.ndim == 2

    @property
    def has_colour_metadata(self) -> bool:
        return self.color_matrix1 is not None or self.color_matrix2 is not None

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    def cfa_channels(self) -> np.ndarray:
        return cfa_channels(self.cfa)

    @property
    def token(self) -> int:
        """Identity of this capture for pipeline caches (objects are immutable)."""
        return id(self)

    def facts(self) -> dict:
        """Plain, JSON-ready facts for `info` and the status bar."""
        def mat(m):
            return None if m is None else [[round(float(v), 6) for v in row] for row in m]
        return {
            "source": self.source,
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "channels": 1 if self.is_mosaic else int(self.mosaic.shape[2]),
            "cfa": self.cfa or None,
            "bits": self.bits,
            "black_level": [float(v) for v in self.black_level],
            "white_level": float(self.white_level),
            "as_shot_neutral": None if self.as_shot_neutral is None else [float(v) for v in self.as_shot_neutral],
            "color_matrix1": mat(self.color_matrix1),
            "illuminant1": self.illuminant1,
            "color_matrix2": mat(self.color_matrix2),
            "illuminant2": self.illuminant2,
            "exposure_time": self.exposure_time,
            "iso": self.iso,
            "make": self.make,
            "model": self.model,
            "unique_camera_model": self.unique_camera_model,
            "masked_areas": [list(a) for a in self.masked_areas],
            **({"extra": self.extra} if self.extra else {}),
        }
