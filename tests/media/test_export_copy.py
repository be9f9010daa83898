"""Photos handed to a patient (subject access): every pixel kept, no metadata at all."""

from __future__ import annotations

import io

from PIL import Image

from clinicdesk.media.export_copy import export_copy, strip_jpeg
from tests.media.images import EXIF_IFD, LEAKS, ORIENTATION, XMP, _picture, jpeg, png

GPS_IFD = 0x8825


def _upright_jpeg_with_everything() -> bytes:
    """Upright (orientation 1), but with GPS, a camera serial, XMP, a comment, an EXIF
    thumbnail and a second picture appended after the end, as phones write (MPF)."""
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    exif.get_ifd(EXIF_IFD)[0xA431] = "SN-CAMERA-0042"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    out = io.BytesIO()
    _picture((96, 64)).save(out, "JPEG", exif=exif, xmp=XMP, comment=b"GPS 51.5N near home")
    return out.getvalue() + jpeg((16, 16))  # a trailing picture (a depth map, a preview)


def test_an_upright_jpeg_keeps_its_pixels_and_loses_every_piece_of_metadata() -> None:
    original = _upright_jpeg_with_everything()
    copy, suffix = export_copy(original)
    assert suffix == "jpg"
    for leak in LEAKS:
        assert leak not in copy, leak
    assert b"near home" not in copy
    with Image.open(io.BytesIO(copy)) as image:
        assert not image.getexif()
        assert "xmp" not in image.info and "comment" not in image.info
        image.load()
        pixels = image.tobytes()
    with Image.open(io.BytesIO(original)) as source:
        assert pixels == source.tobytes()  # not decoded and saved again: the same picture
    assert copy.count(b"\xff\xd8") == 1  # the appended picture is gone


def test_a_turned_jpeg_is_made_upright_without_metadata() -> None:
    from tests.media.images import jpeg_with_metadata

    copy, _ = export_copy(jpeg_with_metadata((80, 40)))
    for leak in LEAKS:
        assert leak not in copy, leak
    with Image.open(io.BytesIO(copy)) as image:
        assert image.size == (40, 80)  # orientation 6 applied
        assert not image.getexif()


def test_a_png_becomes_a_clean_jpeg() -> None:
    copy, suffix = export_copy(png((30, 20)))
    assert suffix == "jpg"
    with Image.open(io.BytesIO(copy)) as image:
        assert image.format == "JPEG" and image.size == (30, 20)


def test_a_jpeg_cut_short_is_not_passed_on_as_if_whole() -> None:
    whole = jpeg((64, 48))
    assert strip_jpeg(whole[:-2]) is None  # no end of picture: the caller re-encodes
    assert strip_jpeg(whole[:40]) is None
