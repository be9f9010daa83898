"""Synthetic demo photos: more hair where the measurements say more, a camera date, no people."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from PIL import Image

from clinicdesk.domain.photos import View
from clinicdesk.media.ingest import inspect_image
from clinicdesk.media.synthetic import scalp_photo


def dark_share(data: bytes) -> float:
    with Image.open(io.BytesIO(data)) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    return sum(histogram[:90]) / (grey.width * grey.height)


@pytest.mark.parametrize("view", [v.value for v in View if v is not View.OCCIPITAL_DONOR])
def test_every_view_shows_more_hair_for_a_higher_density(view: str) -> None:
    thin = scalp_photo(view, density=80, seed=1)
    full = scalp_photo(view, density=190, seed=1)
    assert dark_share(full) > 1.1 * dark_share(thin)


def test_the_donor_area_keeps_its_hair() -> None:
    thin = dark_share(scalp_photo("occipital_donor", density=80, seed=1))
    full = dark_share(scalp_photo("occipital_donor", density=190, seed=1))
    assert thin == pytest.approx(full, rel=0.1)


def test_the_camera_time_is_the_only_metadata_and_it_imports_as_a_photo() -> None:
    taken = datetime(2026, 3, 4, 10, 2)
    data = scalp_photo("vertex", density=120, seed=7, taken_at=taken)
    facts = inspect_image(data, "demo.jpg")
    assert facts.taken_at == taken and (facts.width, facts.height) == (800, 600)
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert dict(exif) == {0x8769: exif[0x8769]}  # only the pointer to the EXIF sub-IFD
        assert list(exif.get_ifd(0x8769)) == [36867]  # DateTimeOriginal alone
    assert scalp_photo("vertex", density=120, seed=7, taken_at=taken) == data
    assert scalp_photo("vertex", density=120, seed=8, taken_at=taken) != data
