"""``clinicdesk backup DEST_DIR`` and ``clinicdesk restore ARCHIVE`` as an admin types them."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicdesk.app import main
from tests.services.backup_setup import DemoSource, demo_source

__all__ = ["demo_source"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_backup_prints_the_archive_and_restore_prints_the_counts(
    demo_source: DemoSource,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = demo_source.copy(tmp_path / "clinic")
    usb = tmp_path / "usb"
    usb.mkdir()
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    data = str(copy.paths.data_dir)
    code, out, err = run(capsys, "--data-dir", data, "--user", "admin", "backup", str(usb))
    assert code == 0, err
    archive = Path(out.strip())
    assert archive.parent == usb and archive.suffix == ".cdbackup"

    code, out, err = run(capsys, "--data-dir", data, "--user", "reception", "backup", str(usb))
    assert code == 3 and "does not allow" in err
    code, out, err = run(
        capsys, "--data-dir", data, "--user", "admin", "backup", str(tmp_path / "no-such")
    )
    assert code == 2 and "no-such does not exist" in err

    monkeypatch.delenv("CLINICDESK_PASSWORD")
    monkeypatch.setenv("CLINICDESK_RECOVERY_KEY", copy.recovery_key)
    new = tmp_path / "new-pc"
    code, out, err = run(capsys, "--data-dir", str(new), "--user", "admin", "restore", str(archive))
    assert code == 0, err
    assert f"Restored into {new}" in out
    assert "  patients: 6" in out
    assert "Restored the backup made on " in out
    code, out, err = run(capsys, "--data-dir", str(new), "--user", "admin", "restore", str(archive))
    assert code == 2 and "is not empty" in err


def test_restore_of_a_damaged_archive_exits_2_and_makes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = tmp_path / "damaged.cdbackup"
    archive.write_bytes(b"CDBACKUP" + b"\x00\x01" + b"\x00" * 10)
    monkeypatch.setenv("CLINICDESK_PASSWORD", "demo")
    new = tmp_path / "new-pc"
    code, _out, err = run(
        capsys, "--data-dir", str(new), "--user", "admin", "restore", str(archive)
    )
    assert code == 2
    assert "ends early" in err and "Nothing was restored" in err
    assert not new.exists()
