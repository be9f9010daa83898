"""Defensive decoding of imported images (RELIABILITY.md rows 18-21)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from clinicdesk.errors import UserError
from clinicdesk.media.ingest import ImageRejected, display_copy, inspect_image, thumbnail
from tests.media import images


@pytest.mark.parametrize("side", [10_000, 20_000])
def test_decompression_bomb_is_refused_quickly(side: int) -> None:
    data = images.bomb_png(side)
    assert len(data) < 100_000
    started = time.perf_counter()
    with pytest.raises(ImageRejected, match="too large"):
        inspect_image(data, "bomb.png")
    assert time.perf_counter() - started < 1.0


_MEASURE = """
import json, resource, sys
from pathlib import Path
from clinicdesk.media.ingest import ImageRejected, inspect_image
data = Path(sys.argv[1]).read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    inspect_image(data, "bomb.png")
    refused = False
except ImageRejected:
    refused = True
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "grew_kib": after - before}))
"""


def test_decompression_bomb_is_refused_without_large_memory_use(tmp_path: Path) -> None:
    pytest.importorskip("resource")
    path = tmp_path / "bomb.png"
    path.write_bytes(images.bomb_png(10_000))
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    measured = json.loads(result.stdout)
    assert measured["refused"]
    # Decoding it would take 100 MB (one byte per pixel); refusing it takes next to nothing.
    assert measured["grew_kib"] < 20 * 1024


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("scan.jpg", images.pdf(), "not a JPEG, PNG, TIFF or HEIC"),
        ("empty.jpg", b"", "empty"),
        ("noise.jpg", bytes(range(256)) * 64, "not a JPEG, PNG, TIFF or HEIC"),
        ("anim.gif", images.gif(), "not a JPEG, PNG, TIFF or HEIC"),
        ("half.jpg", images.truncated_jpeg(), "damaged or incomplete"),
    ],
)
def test_bad_files_are_refused_with_a_reason_naming_the_file(
    name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(ImageRejected) as refused:
        inspect_image(data, name)
    assert reason in refused.value.reason
    assert refused.value.message.startswith(f"{name}: ")
    assert isinstance(refused.value, UserError)


def test_verify_alone_would_pass_the_truncated_jpeg() -> None:
    # Why inspect_image decodes fully: Pillow's verify() does not notice the missing half.
    with Image.open(io.BytesIO(images.truncated_jpeg())) as image:
        image.verify()


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (images.jpeg((64, 48)), "JPEG"),
        (images.png((64, 48)), "PNG"),
        (images.png((64, 48), "RGBA"), "PNG"),
        (images.png((64, 48), "P"), "PNG"),
        (images.tiff((64, 48)), "TIFF"),
        (images.cmyk_jpeg((64, 48)), "JPEG"),
        (images.png_16_bit((64, 48)), "PNG"),
    ],
)
def test_supported_images_are_accepted_and_displayable(data: bytes, fmt: str) -> None:
    facts = inspect_image(data, "photo")
    assert (facts.format, facts.width, facts.height, facts.taken_at) == (fmt, 64, 48, None)
    with Image.open(io.BytesIO(display_copy(data))) as shown:
        assert (shown.format, shown.mode, shown.size) == ("JPEG", "RGB", (64, 48))
    with Image.open(io.BytesIO(thumbnail(data, 32))) as small:
        assert small.mode == "RGB" and max(small.size) == 32


def test_sixteen_bit_image_is_scaled_not_clipped() -> None:
    with Image.open(io.BytesIO(display_copy(images.png_16_bit((40, 30))))) as shown:
        top, bottom = shown.getpixel((20, 5)), shown.getpixel((20, 25))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert 220 <= top[0] <= 240  # 60000 / 256, not 255
    assert bottom[0] < 10


def test_orientation_and_capture_time_come_from_exif() -> None:
    facts = inspect_image(images.jpeg_with_metadata((80, 40)), "IMG_0001.JPG")
    assert (facts.width, facts.height) == (40, 80)
    assert facts.taken_at == datetime(2024, 5, 1, 10, 30)


def test_display_copy_is_upright_and_carries_no_metadata() -> None:
    original = images.jpeg_with_metadata((80, 40))
    for fixture in images.LEAKS[:3]:
        assert fixture in original  # the test file does carry them
    for copy in (display_copy(original), thumbnail(original, 64)):
        for leak in images.LEAKS:
            assert leak not in copy
        with Image.open(io.BytesIO(copy)) as shown:
            assert not shown.getexif()
            assert "xmp" not in shown.info
            width, height = shown.size
            assert height > width  # turned upright: 80 × 40 shown as 40 × 80
            # Orientation 6 turns the picture clockwise: the red top half ends up on the right.
            left = shown.getpixel((2, height // 2))
            right = shown.getpixel((width - 3, height // 2))
            assert isinstance(left, tuple) and isinstance(right, tuple)
            assert right[0] > right[2] and left[2] > left[0]


def test_thumbnail_of_a_large_jpeg_is_small() -> None:
    data = images.jpeg((3000, 2000))
    with Image.open(io.BytesIO(thumbnail(data, 256))) as small:
        assert small.size == (256, 171)


def test_heic_is_accepted_and_its_gps_does_not_leave() -> None:
    data = images.heic_with_gps((64, 48))
    assert b"Exif" in data
    facts = inspect_image(data, "IMG_0002.HEIC")
    assert (facts.format, facts.width, facts.height) == ("HEIF", 64, 48)
    for copy in (display_copy(data), thumbnail(data, 32)):
        for leak in images.LEAKS:
            assert leak not in copy


@pytest.mark.parametrize(
    "data", [images.apng(0), images.apng(1, repeat_actl=True)], ids=["no_frames", "two_actl"]
)
def test_a_malformed_apng_is_refused_whatever_the_warning_filters(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as in the installed program (pytest makes them errors)
        with pytest.raises(ImageRejected, match="damaged"):
            inspect_image(data, "anim.png")


def test_a_jpeg_header_with_no_picture_data_is_refused() -> None:
    data = images.jpeg_header_only(7000, 7000)
    assert len(data) < 1000
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        inspect_image(data, "IMG_0001.JPG", thumbnail_size=256)


@pytest.mark.parametrize(
    ("size", "progressive", "mode"),
    [
        ((4000, 3000), False, "L"),
        ((4000, 3000), True, "L"),
        ((4000, 3000), False, "RGB"),
        ((9, 7), True, "L"),
    ],
)
def test_small_flat_jpegs_are_still_accepted(
    size: tuple[int, int], progressive: bool, mode: str
) -> None:
    data = images.flat_jpeg(size, progressive=progressive, mode=mode)
    facts = inspect_image(data, "flat.jpg")
    assert (facts.width, facts.height) == size
