"""A photo to hand to the patient (subject access): every picture element kept, every piece of
metadata gone (no EXIF, GPS, XMP, IPTC, comments, camera serial, embedded thumbnails or the
extra pictures a phone appends).

An upright JPEG (no EXIF orientation, or orientation 1) is copied losslessly: its marker
segments are walked and only what draws the picture is kept (frame and scan headers, tables,
the entropy-coded data, the ICC colour profile, Adobe's colour transform and a JFIF header
without thumbnail); everything after the picture's end (EOI) is dropped. That takes a few
milliseconds for a 12-megapixel photo, where decoding and saving it again takes about 350 ms,
and keeps the exact pixels. Anything else (a turned JPEG, PNG, TIFF, HEIC, or a JPEG whose
structure this walk does not follow) is decoded, turned upright and saved as a fresh full-size
JPEG with no metadata (``ingest.display_copy``). Failures are ``ImageRejected``.
"""

from __future__ import annotations

import io
import warnings

from clinicdesk.media.ingest import (
    END_OF_SCAN,
    EOI,
    NO_LENGTH,
    ORIENTATION,
    SOS,
    ImageRejected,
    display_copy,
)

# Larger than any photo ClinicDesk accepts: the re-encoded copy keeps the full size.
FULL_SIZE = 1_000_000
_APP0, _APP2, _APP14, _COM = 0xE0, 0xE2, 0xEE, 0xFE


def export_copy(data: bytes, name: str = "photo") -> tuple[bytes, str]:
    """A metadata-free copy of the photo ``data`` and its file extension (``"jpg"``)."""
    if data[:3] == b"\xff\xd8\xff" and _upright(data, name):
        stripped = strip_jpeg(data)
        if stripped is not None:
            return stripped, "jpg"
    return display_copy(data, name, max_side=FULL_SIZE), "jpg"


def _upright(data: bytes, name: str) -> bool:
    """Whether the JPEG needs no turning (reads the header only, not the pixels)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
                return image.getexif().get(ORIENTATION, 1) in (0, 1)
        except Exception:  # Pillow's many errors for a damaged header
            raise ImageRejected(name, "the photo could not be read as an image.") from None


def _keep(marker: int, body: bytes) -> bool:
    """Whether a segment before or between scans is needed to draw the picture."""
    if marker == _APP0:
        # JFIF with no thumbnail (its width and height bytes zero); JFXX carries thumbnails.
        return body[:5] == b"JFIF\x00" and len(body) >= 14 and body[12:14] == b"\x00\x00"
    if marker == _APP2:
        return body.startswith(b"ICC_PROFILE\x00")
    if marker == _APP14:
        return body.startswith(b"Adobe")
    return not (0xE0 <= marker <= 0xEF or marker == _COM)


def strip_jpeg(data: bytes) -> bytes | None:
    """``data`` (a JPEG) with its metadata segments and anything after the picture removed,
    or None when its structure is not the plain one this walk follows (the caller then
    re-encodes the picture)."""
    out = [b"\xff\xd8"]
    pos, end = 2, len(data)
    while pos + 2 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in NO_LENGTH:
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > end:
            return None
        after = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if after > end or after < pos + 4:
            return None
        if marker == SOS:
            found = END_OF_SCAN.search(data, after)
            if found is None:
                return None  # no end to the picture: damaged
            out.append(data[pos : found.start()])
            pos = found.start()
            continue
        if _keep(marker, data[pos + 4 : after]):
            out.append(data[pos:after])
        pos = after
    return None
