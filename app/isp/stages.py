"""The ISP stages and their parameters: the single declaration everything else derives from.

`IspParams` lists the stages in execution order; each field is one stage's frozen parameter
model. To add a stage: declare its params class here, add the field to `IspParams` at its place
in the order, and give it a node in `app/isp/pipeline.py` (see ARCHITECTURE.md).
"""
from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from app.isp.declare import StageParams, param

IDENTITY_3X3 = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
Matrix3x3 = tuple[float, float, float, float, float, float, float, float, float]
Vector4 = tuple[float, float, float, float]
MAX_GRID_SIDE = 128  # no firmware uses more than 64; a larger grid is a malformed file
# Per-channel vectors name Bayer channels, not tile positions: Gr shares rows with R, Gb with B.
BAYER_CHANNELS = ("R", "Gr", "Gb", "B")


class BlackLevel(StageParams):
    """Black level subtraction per CFA position, then normalisation by the white level."""

    title: ClassVar[str] = "Black level"

    source: Literal["capture", "manual"] = param(
        "capture", description="Use the capture's own black and white levels, or the manual ones below.")
    black: Vector4 = param(
        (0.0, 0.0, 0.0, 0.0), unit="DN", minimum=0, maximum=65535, step=1, labels=BAYER_CHANNELS,
        description="Manual black level per Bayer channel (R, Gr, Gb, B), in sensor DN.")
    white: float = param(
        4095.0, unit="DN", minimum=1, maximum=65535, step=1,
        description="Manual white (saturation) level in sensor DN.")


class DefectPixels(StageParams):
    """Dynamic defective-pixel correction from the eight nearest same-colour neighbours."""

    title: ClassVar[str] = "Defective pixels"

    threshold: float = param(
        0.08, unit="FS", minimum=0.0, maximum=1.0, step=0.005,
        description="How far (fraction of full scale, FS) a pixel must stand above the brightest "
                    "(or below the darkest) of its same-colour neighbours to be called defective.")
    strength: float = param(
        1.0, unit="", minimum=0.0, maximum=1.0, step=0.05,
        description="Blend between the original (0) and the corrected value (1) for defective pixels.")


class LensShading(StageParams):
    """Lens shading correction: per-CFA-channel gain grids, bilinearly interpolated over cell centres."""

    title: ClassVar[str] = "Lens shading"

    gains: tuple[tuple[tuple[float, ...], ...], ...] | None = param(
        None, kind="grid", unit="x", minimum=0.1, maximum=16.0,
        description="Gain grids [R, Gr, Gb, B][row][column] sampled at cell centres over the frame; "
                    "none means identity.")
    strength: float = param(
        1.0, unit="", minimum=0.0, maximum=1.0, step=0.05,
        description="Fraction of the correction applied (0 = none, 1 = full grids).")

    @field_validator("gains")
    @classmethod
    def _grid_shape(cls, gains):
        if gains is None:
            return gains
        if len(gains) != 4:
            raise ValueError(f"expected 4 channel grids (R, Gr, Gb, B), got {len(gains)}")
        rows = len(gains[0])
        cols = len(gains[0][0]) if rows else 0
        if rows < 2 or cols < 2:
            raise ValueError("each grid needs at least 2x2 cells")
        if rows > MAX_GRID_SIDE or cols > MAX_GRID_SIDE:
            raise ValueError(f"grid {rows}x{cols} is larger than {MAX_GRID_SIDE}x{MAX_GRID_SIDE}")
        for c, grid in enumerate(gains):
            if len(grid) != rows or any(len(r) != cols for r in grid):
                raise ValueError(f"grid {c} is not {rows}x{cols} like grid 0")
        return gains


class WhiteBalance(StageParams):
    """White balance gains on the mosaic (as shot by default)."""

    title: ClassVar[str] = "White balance"

    source: Literal["as_shot", "manual"] = param(
        "as_shot", description="Gains from the capture's as-shot white point, or the manual gains.")
    gains: tuple[float, float, float] = param(
        (2.0, 1.0, 1.6), unit="x", minimum=0.05, maximum=16.0, step=0.01, labels=("R", "G", "B"),
        description="Manual white-balance gains for R, G and B.")


class Demosaic(StageParams):
    """Colour interpolation of the mosaic; when off, each pixel shows only its own colour."""

    title: ClassVar[str] = "Demosaic"

    method: Literal["bilinear", "mhc", "rcd"] = param(
        "mhc", description="bilinear: fastest; mhc: Malvar-He-Cutler gradient-corrected; "
                           "rcd: ratio-corrected (RawTherapee/darktable) with Menon 2007's "
                           "refinement of colour differences; best detail, slowest.")


class ColourMatrix(StageParams):
    """Camera RGB to linear sRGB."""

    title: ClassVar[str] = "Colour matrix"

    source: Literal["capture", "manual"] = param(
        "capture", description="From the capture's colour matrices (interpolated between its two "
                               "illuminants at the as-shot white point), or the manual matrix.")
    matrix: Matrix3x3 = param(
        IDENTITY_3X3, kind="matrix3x3", unit="", minimum=-8.0, maximum=8.0, step=0.01,
        description="Manual 3x3 matrix, row-major: linear sRGB = matrix x white-balanced camera RGB.")


class Exposure(StageParams):
    """Digital gain in stops, with highlight clipping."""

    title: ClassVar[str] = "Exposure"

    ev: float = param(0.0, unit="EV", minimum=-6.0, maximum=6.0, step=0.05, label="Exposure",
                      description="Exposure compensation in stops (gain = 2^EV).")
    clip: bool = param(True, description="Clip linear values to [0, 1] after the gain.")


class Tone(StageParams):
    """Transfer function to display values, then a user tone curve, through a LUT."""

    title: ClassVar[str] = "Tone"

    transfer: Literal["srgb", "gamma", "linear"] = param(
        "srgb", description="Encoding of linear values: the sRGB curve, a pure power (gamma), or none.")
    gamma: float = param(2.2, unit="", minimum=1.0, maximum=3.0, step=0.05,
                         description="Exponent of the pure power transfer (used when transfer is gamma).")
    curve: tuple[tuple[float, float], ...] = param(
        ((0.0, 0.0), (1.0, 1.0)), kind="curve", minimum=0.0, maximum=1.0,
        description="Tone-curve control points (input, output) on encoded values, interpolated "
                    "monotonically; the identity by default.")

    @field_validator("curve")
    @classmethod
    def _curve_points(cls, curve):
        if len(curve) < 2:
            raise ValueError(f"expected at least 2 control points, got {len(curve)}")
        xs = [p[0] for p in curve]
        if any(b <= a for a, b in zip(xs, xs[1:])):
            raise ValueError("control-point inputs must increase strictly")
        return curve


class Denoise(StageParams):
    """Edge-preserving noise reduction of luma and chroma (Y'CbCr)."""

    title: ClassVar[str] = "Noise reduction"

    luma_strength: float = param(0.25, unit="", minimum=0.0, maximum=1.0, step=0.01,
                                 description="Luma smoothing (0 = off); edges are kept.")
    luma_radius: int = param(2, unit="px", minimum=1, maximum=8, step=1,
                             description="Neighbourhood radius of the luma filter.")
    chroma_strength: float = param(0.5, unit="", minimum=0.0, maximum=1.0, step=0.01,
                                   description="Chroma smoothing (0 = off), guided by luma edges.")
    chroma_radius: int = param(4, unit="px", minimum=1, maximum=8, step=1,
                               description="Neighbourhood radius of the chroma filter.")


class Sharpen(StageParams):
    """Unsharp mask on luma with threshold, strength and limit."""

    title: ClassVar[str] = "Sharpening"

    strength: float = param(0.6, unit="", minimum=0.0, maximum=4.0, step=0.05,
                            description="Gain of the detail (luma minus its blur) added back.")
    sigma: float = param(1.0, unit="px", minimum=0.3, maximum=4.0, step=0.05,
                         description="Width (Gaussian sigma) of the blur that defines detail.")
    threshold: float = param(0.01, unit="FS", minimum=0.0, maximum=0.2, step=0.001,
                             description="Detail smaller than this (fraction of full scale) is left alone, so noise is not sharpened.")
    limit: float = param(0.1, unit="FS", minimum=0.0, maximum=1.0, step=0.005,
                         description="Largest change (fraction of full scale) sharpening may make to a pixel; limits halos.")


class ColourAdjust(StageParams):
    """Saturation and hue, on chroma."""

    title: ClassVar[str] = "Saturation and hue"

    saturation: float = param(1.0, unit="x", minimum=0.0, maximum=3.0, step=0.01,
                              description="Chroma gain (0 = monochrome).")
    hue: float = param(0.0, unit="deg", minimum=-180.0, maximum=180.0, step=0.5,
                       description="Rotation of hue in the CbCr plane.")


class IspParams(BaseModel):
    """Every stage's parameters, in execution order. Frozen: edits make a new object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    black_level: BlackLevel = BlackLevel()
    dpc: DefectPixels = DefectPixels()
    lsc: LensShading = LensShading()
    wb: WhiteBalance = WhiteBalance()
    demosaic: Demosaic = Demosaic()
    ccm: ColourMatrix = ColourMatrix()
    exposure: Exposure = Exposure()
    denoise: Denoise = Denoise()
    tone: Tone = Tone()
    sharpen: Sharpen = Sharpen()
    colour: ColourAdjust = ColourAdjust()

    @classmethod
    def stage_names(cls) -> tuple[str, ...]:
        return tuple(cls.model_fields)

    @classmethod
    def stage_class(cls, name: str) -> type[StageParams]:
        return cls.model_fields[name].annotation

    def with_stage(self, name: str, **changes) -> "IspParams":
        """A copy with some parameters of one stage changed (validated)."""
        current = getattr(self, name)
        stage = type(current).model_validate({**current.model_dump(), **changes})
        return self.model_copy(update={name: stage})


# Short names for panels and reports; the class docstring says what the stage does.
STAGE_TITLES = {name: IspParams.stage_class(name).title for name in IspParams.stage_names()}
