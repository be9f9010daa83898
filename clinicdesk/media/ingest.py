"""Decoding untrusted image files defensively (DESIGN.md "Traps"; RELIABILITY.md rows 18-21).

Every image that comes in is opened through ``_open``: only the allow-listed formats (JPEG,
PNG, TIFF, HEIC/HEIF) are tried, the pixel count is checked from the header *before* any pixel
is decoded (Pillow only warns for a 100-megapixel bomb, so its warning is made an error too),
and ``inspect_image`` then decodes the whole image with ``load()``: ``verify()`` passes a
truncated JPEG, and ``LOAD_TRUNCATED_IMAGES`` is never enabled, so half an image is refused
rather than stored. Any failure becomes ``ImageRejected`` naming the file and the reason:
whatever Pillow or pillow-heif raises while reading the header, the EXIF, the pixels, or while
turning, shrinking, converting or saving the copies made from them (RELIABILITY.md row 19), so
one malformed file never stops a batch. Pillow's own warnings are ignored (a camera's slightly
broken EXIF is common and harmless), except a decompression bomb and a malformed APNG, which
are refusals; the outcome does not depend on the caller's warning filters.

A JPEG is checked for having any picture data at all: libjpeg only *warns* when the data ends
early (and fills the rest with grey), and Pillow drops that warning, so a 633-byte file whose
header claims 7000 × 7000 decoded "successfully". Huffman coding spends at least one bit on
every 8 × 8 block (its DC coefficient), so scan data shorter than a bit per block is refused as
damaged (``_jpeg_scan_bytes``; arithmetic-coded files, which can go below that, are not judged).

``read_image_file`` reads a file for import: only a regular file (after following links), never
more than the size limit, never blocking on a FIFO (RELIABILITY.md row 33).

The original bytes are never changed here. What leaves the program is made by
``display_copy`` and ``thumbnail``: EXIF orientation applied, converted to 8-bit RGB (so CMYK
and 16-bit originals are fine), saved as a fresh JPEG with no EXIF, GPS, XMP or comments.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import stat
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
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
ORIENTATION = 0x0112  # the EXIF tag saying how to turn the picture upright
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
DAMAGED = "the image is damaged or incomplete (it could not be read to the end)."
UNREADABLE = "the image is damaged or in a form ClinicDesk cannot read."
_READ_CHUNK = 1024 * 1024
_HIGH_BYTE = {False: "L;16", True: "L;16B"}  # Pillow's raw modes keeping a 16-bit value's MSB

log = logging.getLogger(__name__)


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
    """The image in ``data``, header read and size checked, not yet decoded. Whatever goes
    wrong with it inside the ``with`` block (decoding, EXIF, turning, shrinking, saving a copy)
    becomes ``ImageRejected``."""
    from PIL import Image

    _register_heif()
    if not data:
        raise ImageRejected(name, "the file is empty (0 bytes).")
    with warnings.catch_warnings():
        # The same outcome whatever filters the caller set (pytest makes warnings errors).
        warnings.simplefilter("ignore")
        warnings.filterwarnings("error", category=UserWarning, module=r"PIL\.PngImagePlugin")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(PHOTO_FORMATS))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageRejected(name, _too_large()) from None
        except UserWarning:  # "Invalid APNG": its chunks contradict each other
            raise ImageRejected(name, DAMAGED) from None
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
            if image.format == "JPEG":
                _check_jpeg_has_data(data, width, height, name)
            try:
                yield image
            except ImageRejected:
                raise
            except (Image.DecompressionBombWarning, Image.DecompressionBombError):
                raise ImageRejected(name, _too_large(width, height)) from None
            except Exception as exc:  # any decoder, EXIF or conversion failure of this file
                log.info("image refused: %s", type(exc).__name__)  # never the file's name
                raise ImageRejected(name, UNREADABLE) from None


# The JPEG marker grammar both walks follow (this one's and ``export_copy.strip_jpeg``'s).
# A marker that ends entropy-coded data: 0xFF followed by anything but a stuffed zero or a
# restart marker (RST0-7), which belong to the data.
END_OF_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")
NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0-7: no length field follows
SOS, EOI = 0xDA, 0xD9  # start of scan, end of image
_ARITHMETIC_SOF = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_scan_bytes(data: bytes, enough: int) -> int | None:
    """The bytes of entropy-coded data in the JPEG ``data`` up to its first EOI (all scans of a
    progressive file), counted no further than ``enough`` (only that much of the data is
    searched: a fraction of a millisecond for a camera photo), or None when they cannot be
    judged: arithmetic coding, or a marker structure this simple walk does not follow (libjpeg
    then decides alone)."""
    pos, total, end = 2, 0, len(data)
    while pos + 4 <= end and total < enough:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == EOI:
            break
        if marker in NO_LENGTH:
            pos += 2
            continue
        if marker in _ARITHMETIC_SOF:
            return None
        after = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == SOS:  # its data runs to the next real marker
            window = min(end, after + enough - total)
            found = END_OF_SCAN.search(data, after, window)
            stop = found.start() if found else window
            total += max(0, stop - after)
            pos = stop
        else:
            pos = after
    return total


def _check_jpeg_has_data(data: bytes, width: int, height: int, name: str) -> None:
    # At least one bit per 8 x 8 block of the full-size component (see the module docstring).
    needed = -(-width // 8) * -(-height // 8) // 8
    scan = _jpeg_scan_bytes(data, needed)
    if scan is not None and scan < needed:
        raise ImageRejected(name, DAMAGED)


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
            raise ImageRejected(name, DAMAGED) from None


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
        if fmt == "JPEG":
            # Decode at 1/8 scale: libjpeg still reads every coded block (a truncated or
            # corrupt file fails just the same) but skips most of the pixel work.
            # A thumbnail made from it needs at least its own size of pixels.
            least = min(thumbnail_size or 1, width, height)
            image.draft(image.mode, (max(least, width // 8), max(least, height // 8)))
        _decode(image, name)
        # After the decode: a PNG's EXIF may follow its pixels, so reading it decodes them,
        # and a truncated file is then refused as incomplete, like any other.
        orientation = image.getexif().get(ORIENTATION, 1)
        taken_at = _taken_at(image)
        small = None
        if thumbnail_size is not None:
            small = _small_copy(image, source_mode, icc, thumbnail_size)
    if orientation in (5, 6, 7, 8):  # rotated a quarter turn: shown with width and height swapped
        width, height = height, width
    return ImageFacts(fmt, width, height, taken_at, small)


def _small_copy(image: Image.Image, source_mode: str, icc: object, size: int) -> bytes:
    return _clean_jpeg(_upright_within(image, size), source_mode, icc, THUMBNAIL_QUALITY)


def _upright_within(image: Image.Image, side: int) -> Image.Image:
    """``image`` turned upright by its EXIF orientation and shrunk to fit ``side`` × ``side``.
    The 16- and 32-bit modes are brought to 8 bits first: Pillow's ``reduce`` (which
    ``thumbnail`` uses for a large shrink) has no path for them ("image has wrong mode")."""
    from PIL import Image, ImageOps

    upright = ImageOps.exif_transpose(image)
    if upright.mode in (*_SIXTEEN_BIT_MODES, "I", "F"):
        upright = _to_rgb(upright)
    upright.thumbnail((side, side), Image.Resampling.LANCZOS)
    return upright


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB for display: 16-bit greyscale scaled down (not clipped to white), CMYK and
    palette converted, transparency flattened onto white."""
    from PIL import Image

    if image.mode in _SIXTEEN_BIT_MODES:
        # The high byte of each value, straight from the raw data: a tenth of the time of
        # going through 32-bit integers (a 60-megapixel scan takes under half a second).
        big = image.mode == "I;16B" or (image.mode == "I;16N" and sys.byteorder == "big")
        image = Image.frombytes("L", image.size, image.tobytes(), "raw", _HIGH_BYTE[big])
    elif image.mode == "I":
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

    with _open(data, name) as image:
        source_mode, icc = image.mode, image.info.get("icc_profile")
        _decode(image, name)
        return _clean_jpeg(_upright_within(image, max_side), source_mode, icc, DISPLAY_QUALITY)


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

    with _open(data, name) as image:
        source_mode, icc = image.mode, image.info.get("icc_profile")
        if image.format == "JPEG":
            width, height = image.size
            scale = min(1.0, long_side / max(width, height))
            image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
        _decode(image, name)
        return _clean_jpeg(_upright_within(image, long_side), source_mode, icc, quality)


def read_image_file(path: Path, max_bytes: int) -> tuple[bytes, float]:
    """The bytes of the file at ``path`` and its modification time, for import. Refused with
    a reason (``ImageRejected``), at once: anything that is not a regular file once links are
    followed (a folder, a FIFO, a device such as ``/dev/zero``, a socket), a file over
    ``max_bytes``, a file that cannot be read. A FIFO is opened without blocking and the opened
    file is checked again (``fstat``), so nothing swapped in meanwhile is read; at most
    ``max_bytes`` are ever read, even from a file that grows while it is read."""
    name = path.name or str(path)
    try:
        _check_regular(os.stat(path), name, max_bytes)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags | getattr(os, "O_NOCTTY", 0))
        try:
            opened = os.fstat(fd)
            _check_regular(opened, name, max_bytes)
            chunks: list[bytes] = []
            total = 0
            # The size first (one read for the usual file), then small reads up to the limit.
            want = opened.st_size + 1
            while chunk := os.read(fd, min(want, max_bytes + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes:
                    raise ImageRejected(name, _file_too_large(max_bytes))
                want = _READ_CHUNK
        finally:
            os.close(fd)
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        raise ImageRejected(name, f"the file could not be read ({detail}).") from None
    return b"".join(chunks), opened.st_mtime


def _check_regular(status: os.stat_result, name: str, max_bytes: int) -> None:
    mode = status.st_mode
    if stat.S_ISREG(mode):
        if status.st_size > max_bytes:
            raise ImageRejected(name, _file_too_large(max_bytes))
        return
    if stat.S_ISDIR(mode):
        what = "a folder"
    elif stat.S_ISFIFO(mode):
        what = "a pipe (FIFO)"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "a device"
    else:
        what = "something other than a file"
    raise ImageRejected(
        name, f"this is {what}, not a photo file; only photo files can be imported."
    )


def _file_too_large(max_bytes: int) -> str:
    return f"the file is too large to import (over {max_bytes // (1024 * 1024)} MB)."
