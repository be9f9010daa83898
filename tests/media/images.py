"""Image files made by the tests (no real photos): good ones, bad ones and a bomb."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
BODY_SERIAL = 0xA431
DATE_TIME_ORIGINAL = 36867
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="51,30.0N" exif:GPSLongitude="0,7.5W"/></rdf:RDF></x:xmpmeta>'
)
# What a metadata-free copy must not contain.
LEAKS = (b"Exif", b"GPS", b"exif:", b"SN-CAMERA-0042", b"http://ns.adobe.com")


def _picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A picture whose top half is red and bottom half blue (so rotation is visible)."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, size[1] // 2, size[0], size[1]))
    return image.convert(mode) if mode != "RGB" else image


def jpeg(size: tuple[int, int] = (64, 48), *, seed: int = 0, quality: int = 90) -> bytes:
    image = _picture(size)
    # A block coloured by the seed, so each seed makes a different file.
    image.paste(((seed * 37) % 256, 255, (seed * 91) % 256), (0, 0, 16, 16))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def jpeg_with_metadata(size: tuple[int, int] = (80, 40)) -> bytes:
    """Orientation 6 (shown rotated a quarter turn), GPS, a camera serial, a capture time and
    XMP with GPS in it."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif_ifd = exif.get_ifd(EXIF_IFD)
    exif_ifd[DATE_TIME_ORIGINAL] = "2024:05:01 10:30:00"
    exif_ifd[BODY_SERIAL] = "SN-CAMERA-0042"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 30.0)
    out = io.BytesIO()
    _picture(size).save(out, "JPEG", exif=exif, xmp=XMP)
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    _picture(size, mode).save(out, "PNG")
    return out.getvalue()


def png_16_bit(size: tuple[int, int] = (40, 30)) -> bytes:
    width, height = size
    top, bottom = (60000).to_bytes(2, "little"), (500).to_bytes(2, "little")
    rows = top * width * (height // 2) + bottom * width * (height - height // 2)
    image = Image.frombytes("I;16", size, rows)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def cmyk_jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    _picture(size, "CMYK").save(out, "JPEG")
    return out.getvalue()


def tiff(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    _picture(size).save(out, "TIFF")
    return out.getvalue()


def gif(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    _picture(size).save(out, "GIF")
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def truncated_jpeg() -> bytes:
    data = jpeg((400, 300))
    return data[: len(data) // 2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(side: int) -> bytes:
    """A 1-bit ``side`` × ``side`` black PNG of a few KiB, made without ever holding the
    pixels (Pillow would need ``side``² bytes to draw it)."""
    row = b"\x00" + bytes((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def heic_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """An iPhone-style HEIC carrying a GPS position (pillow-heif's encoder)."""
    import pillow_heif  # media.ingest registers it only when it first opens an image

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 0.0)
    out = io.BytesIO()
    _picture(size).save(out, "HEIF", exif=exif.tobytes())
    return out.getvalue()
