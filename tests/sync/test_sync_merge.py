"""Two records of one person merged at one site: the merge syncs like any other change, and
the photo re-bound to the kept record opens there at every site."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicdesk.paths import Paths
from clinicdesk.services.context import ClinicServices, open_clinic
from clinicdesk.services.patient_merge import PatientMergeService
from clinicdesk.storage.keys import KeyRing
from tests.sync.helpers import Site, data_key, jpeg, make_sites


def opened(site: Site, key: bytes) -> ClinicServices:
    paths = Paths(site.data_dir)
    return open_clinic(paths, data_key=key, keyring=KeyRing.load(paths.keyring))


def add(site: Site, capsys: pytest.CaptureFixture[str]) -> str:
    return site.ok(
        capsys, "patients", "add", "--first", "Fay", "--last", "Twice", "--dob", "1971-05-06"
    ).strip()


def test_a_merge_at_the_main_clinic_reaches_the_satellite_with_its_photo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    main, satellite, _hub = make_sites(tmp_path, capsys, monkeypatch)
    key = data_key(main.data_dir)
    first = add(main, capsys)
    second = add(satellite, capsys)
    photo = jpeg(tmp_path / "p.jpg", (10, 120, 30))
    satellite.ok(
        capsys,
        "import-photos",
        second,
        str(photo),
        "--view",
        "frontal",
        "--visit",
        "2025-11-01",
        user="clinician",
    )
    main.sync(capsys)
    satellite.sync(capsys)
    main.sync(capsys)

    services = opened(main, key)
    try:
        clinician = services.clinic.user("clinician")
        merging = PatientMergeService(services)
        [pair] = merging.duplicates(clinician)
        assert {pair.first.id, pair.second.id} == {first, second}
        kept = services.patients.repo.get(first)
        away = services.patients.repo.get(second)
        assert kept is not None and away is not None
        merging.merge(clinician, first, kept.version, second, away.version)
    finally:
        services.close()
    main.sync(capsys)
    satellite.sync(capsys)

    services = opened(satellite, key)
    try:
        clinician = services.clinic.user("clinician")
        [moved] = services.photos.list_photos(clinician, first)
        assert services.photos.original(clinician, moved.id)[:2] == b"\xff\xd8"
        assert services.patients.repo.get(second).archived  # type: ignore[union-attr]
        assert PatientMergeService(services).duplicates(clinician) == []
    finally:
        services.close()
