"""The tests' own look for leaked metadata in a JPEG (``jpeg_outside_scan``) sees the metadata
segments and anything after the image, and not the compressed scan."""

from __future__ import annotations

from tests.media.images import LEAKS, jpeg, jpeg_outside_scan, jpeg_with_metadata


def test_it_finds_exif_xmp_and_trailing_bytes_but_not_the_scan() -> None:
    with_metadata = jpeg_with_metadata()
    outside = jpeg_outside_scan(with_metadata)
    assert b"Exif" in outside and b"http://ns.adobe.com" in outside
    assert len(outside) < len(with_metadata)  # the scan is left out
    plain = jpeg()
    assert not any(leak in jpeg_outside_scan(plain) for leak in LEAKS)
    assert b"GPS" in jpeg_outside_scan(plain + b"GPS trailer")
