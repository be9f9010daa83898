"""Decoding untrusted image files defensively (DESIGN.md "Traps"; RELIABILITY.md rows 18-21).

Every image that comes in is opened through ``_open``: only the allow-listed formats (JPEG,
PNG, TIFF, HEIC/HEIF) are tried, the pixel count is checked from the header *before* any pixel
is decoded (Pillow only warns for a 100-megapixel bomb, so its warning is made an error too),
and ``inspect_image`` then decodes the whole image with ``load()``: ``verify()`` passes a
truncated JPEG, and ``LOAD_TRUNCATED_IMAGES`` is never enabled, so half an image is refused
rather than stored. Any failure becomes ``ImageRejected`` naming the file and the reason.

The original bytes are never changed here. What leaves the program is made by
``display_copy`` and ``thumbnail``: EXIF orientation applied, converted to 8-bit RGB (so CMYK
and 16-bit originals are fine), saved as a fresh JPEG with no EXIF, GPS, XMP or comments.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from clinicdesk.domain.photos import PHOTO_FORMATS
from clinicdesk.errors import UserError

# Pillow and pillow-heif are imported on the first image, not when the program starts (they
# take about 15 ms and the main window needs neither): each function imports what it uses.
if TYPE_CHECKING:
    from PIL import Image

# 24 MP is the usual camera; 60 MP leaves room for any clinic camera and refuses bombs.
MAX_PIXELS = 60_000_000
DISPLAY_MAX_SIDE = 2560
DISPLAY_QUALITY = 90
THUMBNAIL_QUALITY = 85
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL = 36867
_ORIENTATION = 0x0112
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


@functools.cache
def _register_heif() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


class ImageRejected(UserError):
    """An imported file is not a photo ClinicDesk can keep; ``reason`` says why, plainly."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class ImageFacts:
    format: str  # one of PHOTO_FORMATS
    width: int  # as shown, after EXIF orientation
    height: int
    taken_at: datetime | None  # EXIF DateTimeOriginal (camera local time), if present
    # A metadata-free upright JPEG thumbnail made from the pixels already decoded for the
    # check (``inspect_image(..., thumbnail_size=...)``), so import need not decode twice.
    thumbnail: bytes | None = None


@contextmanager
def _open(data: bytes, name: str) -> Iterator[Image.Image]:
    """The image in ``data``, header read and size checked, not yet decoded."""
    from PIL import Image

    _register_heif()
    if not data:
        raise ImageRejected(name, "the file is empty (0 bytes).")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(PHOTO_FORMATS))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageRejected(name, _too_large()) from None
        except Exception:  # Pillow raises many kinds for a file that is not an image
            raise ImageRejected(
                name, "this is not a JPEG, PNG, TIFF or HEIC photo (or it is damaged)."
            ) from None
        with image:
            if image.format not in PHOTO_FORMATS:  # a plugin outside the list answered
                raise ImageRejected(name, f"{image.format} images are not supported.")
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                raise ImageRejected(name, _too_large(width, height))
            yield image


def _too_large(width: int = 0, height: int = 0) -> str:
    size = f" ({width} × {height} pixels)" if width and height else ""
    return (
        f"the image is too large{size}; photos of up to {MAX_PIXELS // 1_000_000} megapixels "
        "can be imported."
    )


def _decode(image: Image.Image, name: str) -> None:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image.load()
        except Exception:
            raise ImageRejected(
                name, "the image is damaged or incomplete (it could not be read to the end)."
            ) from None


def _taken_at(image: Image.Image) -> datetime | None:
    value = image.getexif().get_ifd(_EXIF_IFD).get(_DATE_TIME_ORIGINAL)
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # a camera with its clock unset writes "0000:00:00 00:00:00"


def inspect_image(data: bytes, name: str, *, thumbnail_size: int | None = None) -> ImageFacts:
    """Check ``data`` (the file called ``name``) fully; raise ``ImageRejected`` if it cannot be
    kept. Decodes every pixel once, so a truncated or corrupt file is caught here. With
    ``thumbnail_size`` the facts carry a thumbnail made from that same decode."""
    with _open(data, name) as image:
        fmt = str(image.format)
        width, height = image.size
        source_mode, icc = image.mode, image.info.get("icc_profile")
        orientation = image.getexif().get(_ORIENTATION, 1)
        taken_at = _taken_at(image)
        if fmt == "JPEG":
            # Decode at 1/8 scale: libjpeg still reads every coded block (a truncated or
            # corrupt file fails just the same) but skips most of the pixel work.
            # A thumbnail made from it needs at least its own size of pixels.
            least = min(thumbnail_size or 1, width, height)
            image.draft(image.mode, (max(least, width // 8), max(least, height // 8)))
        _decode(image, name)
        small = None
        if thumbnail_size is not None:
            small = _small_copy(image, source_mode, icc, thumbnail_size)
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn: shown with width and height swapped
        width, height = height, width
    return ImageFacts(fmt, width, height, taken_at, small)


def _small_copy(image: Image.Image, source_mode: str, icc: object, size: int) -> bytes:
    from PIL import Image, ImageOps

    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((size, size), Image.Resampling.LANCZOS)
    return _clean_jpeg(upright, source_mode, icc, THUMBNAIL_QUALITY)


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB for display: 16-bit greyscale scaled down (not clipped to white), CMYK and
    palette converted, transparency flattened onto white."""
    from PIL import Image

    if image.mode in _SIXTEEN_BIT_MODES:
        image = image.convert("I")
    if image.mode == "I":
        image = image.point(lambda value: value * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _clean_jpeg(image: Image.Image, source_mode: str, icc: object, quality: int) -> bytes:
    """``image`` as a new JPEG carrying no metadata but, for RGB sources, the colour profile
    (it names a colour space, not a person or a camera)."""
    clean = _to_rgb(image)
    clean.info.clear()  # Pillow may otherwise carry XMP or comments into the saved file
    out = io.BytesIO()
    options: dict[str, object] = {"quality": quality, "optimize": True}
    if source_mode == "RGB" and isinstance(icc, bytes):
        options["icc_profile"] = icc
    clean.save(out, "JPEG", **options)
    return out.getvalue()


def display_copy(data: bytes, name: str = "photo", max_side: int = DISPLAY_MAX_SIDE) -> bytes:
    """An upright, metadata-free JPEG of ``data``, no side longer than ``max_side``."""
    from PIL import Image, ImageOps

    with _open(data, name) as image:
        source_mode, icc = image.mode, image.info.get("icc_profile")
        _decode(image, name)
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return _clean_jpeg(upright, source_mode, icc, DISPLAY_QUALITY)


def thumbnail(data: bytes, size: int = 256, name: str = "photo") -> bytes:
    """An upright, metadata-free JPEG thumbnail fitting ``size`` × ``size``. A JPEG is decoded
    at a reduced scale (``draft``), several times faster than a full decode."""
    with _open(data, name) as image:
        source_mode, icc = image.mode, image.info.get("icc_profile")
        if image.format == "JPEG":
            image.draft("RGB", (size, size))
        _decode(image, name)
        return _small_copy(image, source_mode, icc, size)


def print_copy(data: bytes, long_side: int, quality: int = 80, name: str = "photo") -> bytes:
    """An upright, metadata-free JPEG for a printed document, its long side ``long_side``
    (never enlarged). A JPEG is decoded at the smallest scale that still covers that size in
    its own shape (``thumbnail`` asks for a square, which halves the saving for a landscape
    photo): a 12-megapixel photo to 800 pixels takes about 25 ms."""
    from PIL import Image, ImageOps

    with _open(data, name) as image:
        source_mode, icc = image.mode, image.info.get("icc_profile")
        if image.format == "JPEG":
            width, height = image.size
            scale = min(1.0, long_side / max(width, height))
            image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
        _decode(image, name)
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        return _clean_jpeg(upright, source_mode, icc, quality)
