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


def jpeg_outside_scan(data: bytes) -> bytes:
    """The parts of a JPEG where metadata can live: every marker segment before the scan
    (APPn, COM...) and whatever follows the end-of-image marker. A noisy photograph's
    compressed scan is random bytes, which now and then spell "GPS" by chance: a search for
    a leak must not look there."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    at, parts = 2, []
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise AssertionError(f"no marker at byte {at}")
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            break
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        parts.append(data[at : at + 2 + length])
        at += 2 + length
    end = data.rfind(b"\xff\xd9")
    return b"".join(parts) + (data[end + 2 :] if end >= 0 else b"")


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


# -- malformed files (RELIABILITY.md rows 19 and 20), made here, never copied from elsewhere --

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png(header: bytes, *chunks: bytes) -> bytes:
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + b"".join(chunks) + _chunk(b"IEND", b"")


def _grey_rows(width: int, height: int, depth: int = 8) -> bytes:
    """Filter byte 0 then a ramp, row after row, for an 8- or 16-bit greyscale PNG."""
    sample = depth // 8
    row = bytes((x * 7) % 256 for x in range(width * sample))
    return (b"\x00" + row) * height


def grey_png(width: int = 64, height: int = 48) -> bytes:
    return _png(
        struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0),
        _chunk(b"IDAT", zlib.compress(_grey_rows(width, height))),
    )


def png_cut_short(fraction: float) -> bytes:
    """A PNG whose file stops part-way (in its pixel data, or in its last chunk)."""
    data = grey_png(200, 150)
    return data[: int(len(data) * fraction)]


def png_with_cut_end_chunk() -> bytes:
    """A PNG whose pixels are whole but whose file stops inside a chunk after them."""
    width, height = 64, 48
    data = _png(
        struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0),
        _chunk(b"IDAT", zlib.compress(_grey_rows(width, height))),
        _chunk(b"tEXt", b"Comment\x00" + b"x" * 200),
    )
    return data[:-120]


def png_with_broken_data_stream() -> bytes:
    """A PNG whose IDAT holds bytes that are not a zlib stream (the CRC is right)."""
    return _png(
        struct.pack(">IIBBBBB", 64, 48, 8, 0, 0, 0, 0),
        _chunk(b"IDAT", b"\x78\x9c" + bytes(range(200, 256)) * 8),
    )


def png_with_bad_filter() -> bytes:
    """A PNG whose rows use filter type 9 (there are five, 0 to 4)."""
    rows = _grey_rows(64, 48).replace(b"\x00", b"\x09", 1)
    return _png(
        struct.pack(">IIBBBBB", 64, 48, 8, 0, 0, 0, 0), _chunk(b"IDAT", zlib.compress(rows))
    )


def _actl(frames: int) -> bytes:
    return _chunk(b"acTL", struct.pack(">II", frames, 0))


def _fctl(sequence: int, width: int, height: int) -> bytes:
    return _chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, width, height, 0, 0, 1, 10, 0, 0))


def apng(frames_declared: int, *, repeat_actl: bool = False, first_sequence: int = 0) -> bytes:
    """An APNG with one frame; ``frames_declared`` in its acTL (0 is a syntax error), a second
    acTL if ``repeat_actl``, and the first fcTL numbered ``first_sequence`` (not 0: wrong)."""
    width, height = 32, 16
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = _chunk(b"IDAT", zlib.compress(_grey_rows(width, height)))
    extra = _actl(frames_declared) if repeat_actl else b""
    return _png(header, _actl(frames_declared), extra, _fctl(first_sequence, width, height), idat)


def big_sixteen_bit_png(side: int = 7680) -> bytes:
    """A ``side`` × ``side`` 16-bit greyscale PNG, uniform, so the file is small."""
    row = b"\x00" + b"\x80\x00" * side
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return _png(struct.pack(">IIBBBBB", side, side, 16, 0, 0, 0, 0), _chunk(b"IDAT", body))


def tiff_in_mode(mode: str, size: tuple[int, int] = (1100, 600)) -> bytes:
    """A TIFF in ``mode`` (16-bit, 32-bit, float, 1-bit, LAB, CMYK...), large enough that a
    thumbnail shrinks it by Pillow's ``reduce`` (which some modes lack)."""
    if mode in ("I;16", "I;16B"):
        count = size[0] * size[1] * 2
        ramp = bytes((n * 13) % 256 for n in range(4096))
        image = Image.frombytes(mode, size, (ramp * (count // len(ramp) + 1))[:count])
    elif mode in ("I", "F", "1"):
        image = _picture(size, "L").convert(mode)
    else:
        image = _picture(size, mode)
    out = io.BytesIO()
    image.save(out, "TIFF")
    return out.getvalue()


def jpeg_header_only(width: int = 7000, height: int = 7000) -> bytes:
    """A JPEG of a few hundred bytes whose header claims ``width`` × ``height``: the scan of an
    8 × 8 picture, then the end marker. libjpeg only warns, and fills the rest with grey."""
    small = jpeg((8, 8), quality=95)
    at = small.index(b"\xff\xc0") + 5  # SOF0: length (2), precision (1), then height, width
    return small[:at] + struct.pack(">HH", height, width) + small[at + 4 :]


def flat_jpeg(size: tuple[int, int], *, progressive: bool = False, mode: str = "L") -> bytes:
    """One colour all over: as small as a whole JPEG can honestly be."""
    out = io.BytesIO()
    Image.new(mode, size, 128 if mode == "L" else (90, 90, 90)).save(
        out, "JPEG", quality=50, optimize=True, progressive=progressive
    )
    return out.getvalue()
