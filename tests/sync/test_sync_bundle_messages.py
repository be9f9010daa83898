"""What ``sync --export-bundle`` and ``--import-bundle`` (and the window, which shows the same
message) say when the USB path goes wrong: a bundle read at the wrong end, another clinic's
bundle, a stick pulled out or full. Each names the file or folder, and nothing is changed."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from clinicdesk.storage import archive
from tests.sync.helpers import Site, data_key, make_sites, rows


@pytest.fixture
def sites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Site, Site, Path]:
    return make_sites(tmp_path, capsys, monkeypatch)


def _add(site: Site, capsys: pytest.CaptureFixture[str], last: str) -> str:
    return site.ok(
        capsys, "patients", "add", "--first", "Ann", "--last", last, "--dob", "1980-02-03"
    ).strip()


def _export(site: Site, capsys: pytest.CaptureFixture[str], stick: Path) -> Path:
    out = site.ok(capsys, "sync", "--export-bundle", str(stick), "--json")
    return Path(json.loads(out)["bundle"])


def _hub_patients(site: Site) -> list[tuple[object, ...]]:
    return rows(site.hub / "hub.db", data_key(site.data_dir))


def test_a_bundle_read_at_the_wrong_end_says_where_to_read_it(
    sites: tuple[Site, Site, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    main, satellite, hub = sites
    _add(satellite, capsys, "Wrongend")
    bundle = _export(satellite, capsys, tmp_path / "usb")
    code, _out, err = satellite.run(capsys, "sync", "--import-bundle", str(bundle))
    assert code != 0
    assert f"{bundle} is a bundle written at an installation, not the hub's reply" in err
    assert "main clinic's PC" in err and "nothing was changed" in err
    reply = Path(
        json.loads(
            main.ok(capsys, "sync", "--hub", str(hub), "--import-bundle", str(bundle), "--json")
        )["reply"]
    )
    code, _out, err = main.run(capsys, "sync", "--hub", str(hub), "--import-bundle", str(reply))
    assert code != 0
    assert f"{reply} is the hub's reply to a bundle" in err


def test_another_clinics_bundle_is_named_as_such_and_changes_nothing(
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    main, _satellite, hub = sites
    _other_main, other_satellite, _other_hub = make_sites(tmp_path / "other", capsys, monkeypatch)
    _add(other_satellite, capsys, "Otherclinic")
    bundle = _export(other_satellite, capsys, tmp_path / "usb")
    before = _hub_patients(main)
    code, _out, err = main.run(capsys, "sync", "--hub", str(hub), "--import-bundle", str(bundle))
    assert code != 0
    assert f"{bundle} is a sync bundle of another clinic" in err
    assert _hub_patients(main) == before
    assert not list((tmp_path / "usb").glob("*.reply.cdsync"))


def test_a_stick_pulled_out_is_named_and_nothing_is_changed(
    sites: tuple[Site, Site, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    main, satellite, hub = sites
    _add(satellite, capsys, "Pulledout")
    bundle = _export(satellite, capsys, tmp_path / "usb")
    gone = tmp_path / "E" / bundle.name  # the stick's drive, no longer there
    before = _hub_patients(main)
    code, _out, err = main.run(capsys, "sync", "--hub", str(hub), "--import-bundle", str(gone))
    assert code != 0
    assert f"{gone} could not be read" in err and "plugged in" in err
    assert "Traceback" not in err
    assert _hub_patients(main) == before


def test_a_stick_that_fills_up_leaves_no_half_bundle_and_says_so(
    sites: tuple[Site, Site, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _main, satellite, _hub = sites
    _add(satellite, capsys, "Fullstick")
    stick = tmp_path / "usb"
    add = archive.ArchiveWriter.add

    def full(self: archive.ArchiveWriter, name: str, *args: object, **kwargs: object) -> object:
        if name != "changeset":
            raise OSError(errno.ENOSPC, "No space left on device")
        return add(self, name, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(archive.ArchiveWriter, "add", full)
        code, _out, err = satellite.run(capsys, "sync", "--export-bundle", str(stick))
    assert code != 0
    assert f"could not be written to {stick} (No space left on device)" in err
    assert "has room" in err
    assert list(stick.iterdir()) == [], "no half-written bundle is left on the stick"
    assert _export(satellite, capsys, stick).is_file(), "with room again, it is written"


def test_an_export_to_a_folder_that_cannot_be_made_names_it(
    sites: tuple[Site, Site, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _main, satellite, _hub = sites
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    code, _out, err = satellite.run(capsys, "sync", "--export-bundle", str(blocked / "usb"))
    assert code != 0
    assert f"could not be written to {blocked / 'usb'}" in err
    assert "Traceback" not in err
